"""Token counting with the target model's tokenizer, and everything that makes it fast.

- :mod:`~.counter`: :class:`TokenCounter` and :func:`load_tokenizer` (embedded Mistral
  SentencePiece model, ``.model`` files, Hugging Face tokenizers), the budget rule;
- :mod:`~.cache`: the per-tokenizer caches (in process and on disk) and the fast backend path;
- :mod:`~.digit_barrier`: whether a tokenizer gives every digit a token of its own.
"""

from __future__ import annotations

from artificial_needles.tokens.counter import (
    EMBEDDED_NAME,
    TokenCounter,
    embedded_model_path,
    load_tokenizer,
)

__all__ = ["EMBEDDED_NAME", "TokenCounter", "embedded_model_path", "load_tokenizer"]
