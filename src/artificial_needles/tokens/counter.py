"""Token counting with the target model's tokenizer.

A :class:`TokenCounter` answers one question: how many tokens does the model see for this
prompt? Three sources are supported:

* the embedded default, Mistral-7B v0.1's SentencePiece model shipped inside ``mistral-common``
  (the paper's model; no download),
* a SentencePiece ``.model`` file, counted with ``sentencepiece`` directly,
* any Hugging Face tokenizer (local directory or hub name), through ``transformers``.

What is counted (the budget rule):

* ``chat_template=True``: the conversation as written minus the answer, i.e. the ``system`` turn
  (when the record format has one, e.g. ``openai``) and the user turn, rendered by the
  tokenizer's chat template with the generation prompt, exactly the tokens the model is given
  before it answers;
* ``chat_template=False``: the user prompt as a plain completion, BOS + prompt (a system turn
  only exists inside a chat template, so none is counted).

Local tokenizer paths are named by their absolute path (what the records' ``meta`` stores, so
``validate --recount`` finds them from any directory); hub names stay names.

(A little over 300 lines on purpose: the three counters and the loader share the budget rule
above, which this one module states once.)
"""

from __future__ import annotations

import functools
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.tokens.cache import TokenCaches, shared_caches
from artificial_needles.tokens.digit_barrier import structural_counts_enabled

EMBEDDED_NAME = "embedded:mistral-7b-v0.1"
_EMBEDDED_ALIASES = {None, "", "default", "embedded", EMBEDDED_NAME}


def embedded_model_path() -> Path:
    """Path of the Mistral-7B v0.1 SentencePiece model inside the ``mistral-common`` package."""
    import importlib.util

    # Located without importing mistral-common (its import costs more than the whole set-up).
    spec = importlib.util.find_spec("mistral_common")
    where = list(spec.submodule_search_locations or []) if spec else []
    path = Path(where[0] if where else "mistral_common") / "data" / "tokenizer.model.v1"
    if not path.is_file():
        raise NeedlesError(
            f"the embedded tokenizer {path} is missing from the installed mistral-common; "
            "reinstall it with `pip install --force-reinstall mistral-common`"
        )
    return path


class TokenCounter(ABC):
    """Counts tokens of prompts for one tokenizer."""

    def __init__(self, name: str, chat_template: bool, system: str | None = None) -> None:
        self.name = name
        self.chat_template = chat_template
        #: system turn rendered before each prompt (chat template only; ``None``: no turn)
        self.system = system if chat_template else None

    @abstractmethod
    def encode_len(self, text: str) -> int:
        """Number of tokens of ``text`` alone, without special tokens or chat template."""

    def encode_len_many(self, texts: Sequence[str]) -> list[int]:
        """:meth:`encode_len` of many texts (batched where the tokenizer allows)."""
        return [self.encode_len(t) for t in texts]

    @abstractmethod
    def count_many(self, prompts: Sequence[str]) -> list[int]:
        """Tokens the model sees for each prompt as a user turn, after the system turn if any
        (special tokens and generation prompt included)."""

    def count(self, prompt: str) -> int:
        """Tokens the model sees for one prompt."""
        return self.count_many([prompt])[0]

    def scan_digit_barrier(self) -> bool:
        """Whether every digit is a token of its own (:mod:`~.digit_barrier`); read it through
        :meth:`digit_barrier`, which scans once per tokenizer."""
        return False

    def digit_barrier(self) -> bool:
        """:meth:`scan_digit_barrier`, kept in :attr:`caches`; always False with
        ``ARTIFICIAL_NEEDLES_COUNT=tokenize``."""
        if not structural_counts_enabled():
            return False
        caches = self.caches
        if caches.digit_barrier is None:
            caches.digit_barrier = self.scan_digit_barrier()
        return caches.digit_barrier

    def identity(self) -> tuple[Any, ...] | None:
        """What makes two counters the same tokenizer: class, name and, for a local path, the
        name, size and modification time of its files (a tokenizer rewritten in place is a new
        one); ``None`` (nothing shared) for other names, e.g. hub names."""
        name = str(self.name)
        path = Path(name)
        try:
            if path.is_dir():
                files = sorted(f for f in path.iterdir() if f.is_file())
                stamp: tuple[Any, ...] = tuple(
                    (f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files
                )
            elif path.is_file():
                stamp = (path.stat().st_size, path.stat().st_mtime_ns)
            else:
                return None
        except OSError:
            return None
        return (type(self).__qualname__, name, stamp)

    def content_identity(self) -> bytes | None:
        """Bytes that name this tokenizer's on-disk caches (:mod:`~.cache`): its
        :meth:`identity` (absolute path and file stamps, what Python checks before reusing byte
        code, so a start does not hash a multi-megabyte file); ``None``: nothing on disk."""
        key = self.identity()
        return None if key is None else repr(key).encode()

    @functools.cached_property
    def caches(self) -> TokenCaches:
        """Everything remembered about this tokenizer (:class:`~.cache.TokenCaches`), shared
        with every counter of the same :meth:`identity` in this process and kept on disk."""
        return shared_caches(self.identity(), self.content_identity())

    def __repr__(self) -> str:
        system = f", system={self.system!r}" if self.system else ""
        return f"{type(self).__name__}({self.name!r}, chat_template={self.chat_template}{system})"


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

    def scan_digit_barrier(self) -> bool:
        from artificial_needles.tokens.digit_barrier import sentencepiece_barrier

        return sentencepiece_barrier(self._sp)

    def encode_len_many(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self._sp.encode(list(texts))]

    def count_many(self, prompts: Sequence[str]) -> list[int]:
        # One call per string: SentencePiece's list call costs ~20-40% more CPU per prompt
        # (its batch machinery), even for a list of 16.
        encode = self._sp.encode
        return [len(encode(p)) + 1 for p in prompts]


class EmbeddedMistralCounter(SentencePieceCounter):
    """The embedded default; with ``chat_template`` it counts Mistral-Instruct v0.1's format."""

    def __init__(self, chat_template: bool, system: str | None = None) -> None:
        super().__init__(embedded_model_path(), EMBEDDED_NAME, chat_template=False)
        self.chat_template = chat_template
        self.system = system if chat_template else None

    def identity(self) -> tuple[Any, ...]:
        # Fixed by the installed package: the name is enough in a process.
        return (type(self).__qualname__, self.name, ())

    def content_identity(self) -> bytes:
        return type(self).__qualname__.encode() + self._sp.serialized_model_proto()

    def count_many(self, prompts: Sequence[str]) -> list[int]:
        if not self.chat_template:
            return super().count_many(prompts)
        # Mistral-Instruct v0.1 (mistral-common's v1 tokenizer) renders a user turn as
        # "<s>[INST] {prompt} [/INST]", the system prompt prepended to the first user turn
        # followed by a blank line.
        head = f"{self.system}\n\n" if self.system else ""
        return super().count_many([f"[INST] {head}{p} [/INST]" for p in prompts])


class SystemTurnRefused(NeedlesError):
    """The tokenizer's chat template does not take a system turn."""


class HFTokenCounter(TokenCounter):
    """Counts with a ``transformers`` tokenizer object."""

    def __init__(
        self, tokenizer: Any, name: str, chat_template: bool, system: str | None = None
    ) -> None:
        if chat_template and not getattr(tokenizer, "chat_template", None):
            raise NeedlesError(
                f"tokenizer {name!r} has no chat template; drop the chat-template option "
                "or give the tokenizer one (tokenizer_config.json `chat_template`)"
            )
        super().__init__(name, chat_template, system)
        self.tokenizer = tokenizer
        from artificial_needles.tokens.cache import backend_lengths

        #: exact counts through the Rust backend, checked at load (None: call the tokenizer)
        self._fast = backend_lengths(tokenizer)
        if self.system:
            try:
                self.chat_ids("x")
            except Exception as exc:  # jinja2 errors, raise_exception() of the template...
                raise SystemTurnRefused(
                    f"tokenizer {name!r}: its chat template does not take a system turn "
                    f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); use "
                    "--format mistral (no system turn) or a tokenizer whose template has one"
                ) from exc

    def encode_len(self, text: str) -> int:
        return self.encode_len_many([text])[0]

    def scan_digit_barrier(self) -> bool:
        from artificial_needles.tokens.digit_barrier import hf_barrier

        return hf_barrier(self.tokenizer)

    def encode_len_many(self, texts: Sequence[str]) -> list[int]:
        fast = self._fast and self._fast(texts, False)
        if fast is not None:
            return fast
        ids = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(x) for x in ids]

    def count_many(self, prompts: Sequence[str]) -> list[int]:
        if not self.chat_template:
            fast = self._fast and self._fast(prompts, True)
            if fast is not None:
                return fast
            return [len(ids) for ids in self.tokenizer(list(prompts))["input_ids"]]
        return [len(self.chat_ids(p)) for p in prompts]

    def messages(self, prompt: str) -> list[dict[str, str]]:
        """The conversation counted for ``prompt``: the system turn if any, then the user."""
        user = {"role": "user", "content": prompt}
        return [{"role": "system", "content": self.system}, user] if self.system else [user]

    def chat_ids(self, prompt: str) -> list[int]:
        """Token ids of ``prompt`` as a user turn (after the system turn, if any) followed by
        the generation prompt."""
        out = self.tokenizer.apply_chat_template(
            self.messages(prompt), tokenize=True, add_generation_prompt=True
        )
        if isinstance(out, dict) or hasattr(out, "keys"):
            out = out["input_ids"]
        return list(out)


def load_tokenizer(
    spec: str | None = None, chat_template: bool = False, system: str | None = None
) -> TokenCounter:
    """Build a counter from a name: ``None``/``"default"`` (embedded), a ``.model`` file, or a
    Hugging Face tokenizer directory or hub name. ``system`` is the system turn counted before
    each prompt with ``chat_template`` (``None``: the conversation has none)."""
    if spec in _EMBEDDED_ALIASES:
        return EmbeddedMistralCounter(chat_template, system)
    assert spec is not None
    path = Path(spec).expanduser()
    if is_missing_path(spec):
        raise NeedlesError(
            f"tokenizer {spec!r} does not exist; pass --tokenizer with a local "
            "Hugging Face tokenizer directory or a SentencePiece .model file"
        )
    if path.is_file() or ".model" in path.suffixes:
        # A single file can only be a SentencePiece model (e.g. tokenizer.model, .model.v1).
        if not path.is_file():
            raise NeedlesError(f"tokenizer file {spec!r} does not exist")
        return SentencePieceCounter(path, os.path.abspath(path), chat_template)
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
    name = os.path.abspath(path) if path.is_dir() else str(spec)
    return HFTokenCounter(tokenizer, name, chat_template, system)


def is_missing_path(spec: str) -> bool:
    """Whether ``spec`` names a local path that does not exist. A hub name is ``name`` or
    ``org/name``; anything that starts with ``/``, ``.`` or ``~`` or has more than one ``/`` is a
    path."""
    if Path(spec).expanduser().exists():
        return False
    return spec.startswith(("/", ".", "~")) or spec.count("/") > 1
