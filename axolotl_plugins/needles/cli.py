"""``axolotl needles-generate CONFIG``: write the plugin's training data as chat records.

Registered under Axolotl's ``axolotl.cli_commands`` entry-point group, so it runs as an
``axolotl`` subcommand. It reads the ``needles_*`` keys, ``sequence_len`` and the tokenizer
(``tokenizer_config`` or ``base_model``, local or cached) of an Axolotl config and writes the
same samples the training rows are built from, one JSON chat record per line
(:mod:`artificial_needles.generators.records`), then prints a summary.
"""

from __future__ import annotations

from pathlib import Path

import click


def load_config(path: str) -> dict:
    """The YAML config with its ``needles_*`` keys validated (errors name the key)."""
    import yaml

    from artificial_needles.axolotl.checks import check_config

    with open(path, encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh) or {}
    try:
        args = check_config({k: v for k, v in cfg.items() if not k.startswith("needles_eval")})
    except ValueError as exc:
        raise click.UsageError(f"{path}: {exc}") from None
    if args is None:
        raise click.UsageError(f"{path}: needles_task is not set; nothing to generate")
    return cfg


@click.command("needles-generate")
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--split", type=click.Choice(["train", "eval"]), default="train", show_default=True)
@click.option("--num-samples", type=int, default=None, help="override needles_num_samples")
def generate(config: str, output: str, split: str, num_samples: int | None) -> None:
    """Generate the needles plugin's training data of CONFIG as JSONL chat records."""
    from transformers import AutoTokenizer

    from artificial_needles.axolotl.spec import build_spec, iter_split, spec_generator
    from artificial_needles.generators.build import Summary
    from artificial_needles.generators.records import to_json_line
    from artificial_needles.io import atomic_write

    cfg = load_config(config)
    spec = build_spec(cfg, split)
    count = num_samples or spec["count"]
    if not count:
        raise click.UsageError(
            f"{config}: no sample count for the {split} split; set needles_num_samples / "
            "needles_eval_samples or pass --num-samples"
        )
    name = cfg.get("tokenizer_config") or cfg["base_model"]
    gen = spec_generator(spec, AutoTokenizer.from_pretrained(name), str(name))
    summary = Summary(gen.cfg.budget)
    with atomic_write(output) as fh:
        for sample in iter_split(gen, spec, count):
            fh.write(to_json_line(sample))
            summary.add(sample.meta)
    click.echo(summary.render())
    click.echo(f"wrote {count} samples to {Path(output)}")
