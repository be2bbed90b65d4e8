"""Token counting with the target model's tokenizer.

A :class:`TokenCounter` answers one question: how many tokens does the model see for this
prompt? Three sources are supported:

* the embedded default, Mistral-7B v0.1's SentencePiece model shipped inside ``mistral-common``
  (the paper's model; no download),
* a SentencePiece ``.model`` file, counted with ``sentencepiece`` directly,
* any Hugging Face tokenizer (local directory or hub name), through ``transformers``.

With ``chat_template=True`` the prompt is counted as the model sees it inside a single user
turn with the generation prompt appended.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError

EMBEDDED_NAME = "embedded:mistral-7b-v0.1"
_EMBEDDED_ALIASES = {None, "", "default", "embedded", EMBEDDED_NAME}


def embedded_model_path() -> Path:
    """Path of the Mistral-7B v0.1 SentencePiece model inside the ``mistral-common`` package."""
    import mistral_common

    path = Path(mistral_common.__file__).parent / "data" / "tokenizer.model.v1"
    if not path.is_file():
        raise NeedlesError(
            f"the embedded tokenizer {path} is missing from the installed mistral-common; "
            "reinstall it with `pip install --force-reinstall mistral-common`"
        )
    return path


class TokenCounter(ABC):
    """Counts tokens of prompts for one tokenizer."""

    def __init__(self, name: str, chat_template: bool) -> None:
        self.name = name
        self.chat_template = chat_template

    @abstractmethod
    def encode_len(self, text: str) -> int:
        """Number of tokens of ``text`` alone, without special tokens or chat template."""

    def encode_len_many(self, texts: Sequence[str]) -> list[int]:
        """:meth:`encode_len` of many texts (batched where the tokenizer allows)."""
        return [self.encode_len(t) for t in texts]

    @abstractmethod
    def count_many(self, prompts: Sequence[str]) -> list[int]:
        """Tokens the model sees for each prompt as a user turn (special tokens included)."""

    def count(self, prompt: str) -> int:
        """Tokens the model sees for one prompt."""
        return self.count_many([prompt])[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, chat_template={self.chat_template})"


class SentencePieceCounter(TokenCounter):
    """Counts with a SentencePiece model; a prompt costs its pieces plus BOS."""

    def __init__(self, model_file: str | os.PathLike[str], name: str, chat_template: bool) -> None:
        import sentencepiece

        if chat_template:
            raise NeedlesError(
                f"tokenizer {name!r} is a bare SentencePiece model without a chat template; "
                "drop --chat-template or pass a Hugging Face tokenizer directory"
            )
        super().__init__(name, chat_template)
        try:
            self._sp = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
        except (OSError, RuntimeError) as exc:
            raise NeedlesError(
                f"tokenizer file {model_file}: not a SentencePiece model ({exc})"
            ) from exc

    def encode_len(self, text: str) -> int:
        return len(self._sp.encode(text))

    def encode_len_many(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self._sp.encode(list(texts))]

    def count_many(self, prompts: Sequence[str]) -> list[int]:
        return [len(ids) + 1 for ids in self._sp.encode(list(prompts))]


class EmbeddedMistralCounter(SentencePieceCounter):
    """The embedded default; with ``chat_template`` it counts Mistral-Instruct v0.1's format."""

    def __init__(self, chat_template: bool) -> None:
        super().__init__(embedded_model_path(), EMBEDDED_NAME, chat_template=False)
        self.chat_template = chat_template

    def count_many(self, prompts: Sequence[str]) -> list[int]:
        if not self.chat_template:
            return super().count_many(prompts)
        # Mistral-Instruct v0.1 renders a user turn as "<s>[INST] {prompt} [/INST]".
        wrapped = [f"[INST] {p} [/INST]" for p in prompts]
        return [len(ids) + 1 for ids in self._sp.encode(wrapped)]


class HFTokenCounter(TokenCounter):
    """Counts with a ``transformers`` tokenizer object."""

    def __init__(self, tokenizer: Any, name: str, chat_template: bool) -> None:
        if chat_template and not getattr(tokenizer, "chat_template", None):
            raise NeedlesError(
                f"tokenizer {name!r} has no chat template; drop the chat-template option "
                "or give the tokenizer one (tokenizer_config.json `chat_template`)"
            )
        super().__init__(name, chat_template)
        self.tokenizer = tokenizer

    def encode_len(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode_len_many(self, texts: Sequence[str]) -> list[int]:
        ids = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(x) for x in ids]

    def count_many(self, prompts: Sequence[str]) -> list[int]:
        if not self.chat_template:
            return [len(ids) for ids in self.tokenizer(list(prompts))["input_ids"]]
        return [len(self.chat_ids(p)) for p in prompts]

    def chat_ids(self, prompt: str) -> list[int]:
        """Token ids of ``prompt`` as a user turn followed by the generation prompt."""
        out = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=True, add_generation_prompt=True
        )
        if isinstance(out, dict) or hasattr(out, "keys"):
            out = out["input_ids"]
        return list(out)


def load_tokenizer(spec: str | None = None, chat_template: bool = False) -> TokenCounter:
    """Build a counter from a name: ``None``/``"default"`` (embedded), a ``.model`` file, or a
    Hugging Face tokenizer directory or hub name."""
    if spec in _EMBEDDED_ALIASES:
        return EmbeddedMistralCounter(chat_template)
    assert spec is not None
    path = Path(spec).expanduser()
    if path.is_file() or ".model" in path.suffixes:
        # A single file can only be a SentencePiece model (e.g. tokenizer.model, .model.v1).
        if not path.is_file():
            raise NeedlesError(f"tokenizer file {spec!r} does not exist")
        return SentencePieceCounter(path, str(spec), chat_template)
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:  # pragma: no cover - transformers is a dependency
        raise NeedlesError(f"loading tokenizer {spec!r} needs transformers: {exc}") from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path) if path.is_dir() else spec)
    except Exception as exc:  # transformers raises OSError, ValueError, HF hub errors...
        where = "local directory" if path.is_dir() else "hub name (offline or not found?)"
        raise NeedlesError(
            f"tokenizer {spec!r} could not be loaded as a {where}: {str(exc).splitlines()[0]}. "
            "Pass --tokenizer with a local Hugging Face tokenizer directory, a SentencePiece "
            ".model file, or omit it to use the embedded Mistral tokenizer."
        ) from exc
    return HFTokenCounter(tokenizer, str(spec), chat_template)
