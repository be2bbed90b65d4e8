"""Helpers of the Axolotl config tests: read a shipped config, run Axolotl's config path."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

CONFIG_DIR = Path(__file__).parents[2] / "configs" / "axolotl"
CONFIGS = sorted(CONFIG_DIR.glob("*.yml"))
SMOKE = CONFIG_DIR / "tiny-cpu-smoke.yml"
PAPER = CONFIG_DIR / "mistral-7b-instruct-v0.1-paper.yml"
DATA_ENV = ("ARTIFICIAL_NEEDLES_MDQA_DATA", "ARTIFICIAL_NEEDLES_FLENQA_DATA")
#: A local model or tokenizer directory (set by conftest) for configs whose ``base_model`` is a
#: relative placeholder such as ``./tiny-model``: config loading checks that it exists.
LOCAL_BASE: str | None = None


def raw(path: Path, prepared: Path, **changes) -> dict:
    """The YAML of ``path`` with ``dataset_prepared_path`` and ``changes`` applied (a ``None``
    change removes the key)."""
    cfg = yaml.safe_load(path.read_text())
    cfg["dataset_prepared_path"] = str(prepared)
    if LOCAL_BASE and str(cfg.get("base_model", "")).startswith("./"):
        cfg["base_model"] = LOCAL_BASE
    cfg.update(changes)
    return {k: v for k, v in cfg.items() if v is not None}


def validate(cfg: dict, capabilities: bool = False):
    """Axolotl's config path: register the plugins (our register hook), then validate."""
    from axolotl.cli.config import prepare_plugins
    from axolotl.utils.config import validate_config
    from axolotl.utils.dict import DictDefault

    cfg = DictDefault(copy.deepcopy(cfg))
    prepare_plugins(cfg)
    if capabilities:  # as `axolotl train` validates (also runs the capability validators)
        from axolotl.cli.config import gpu_capabilities

        caps, env = gpu_capabilities()
        return validate_config(cfg, capabilities=caps, env_capabilities=env)
    return validate_config(cfg)


def fake_eval_data(root: Path) -> dict[str, str]:
    """MDQA and FLenQA files in the reference schemas; returns the env vars pointing at them."""
    from eval_data import write_flenqa, write_mdqa

    for gold_at in (0, 4, 9, 14, 19):
        name = f"nq-open-20_total_documents_gold_at_{gold_at}.jsonl.gz"
        write_mdqa(root / "mdqa" / name, n=3, gold_at=gold_at)
    flenqa = write_flenqa(root / "flenqa" / "FLenQA.jsonl", per_dataset=3)
    return {DATA_ENV[0]: str(root / "mdqa"), DATA_ENV[1]: str(flenqa)}
