"""Whether a tokenizer gives every ASCII digit a token of its own (a "digit barrier").

Such a tokenizer never joins a digit with anything, so the tokens of a text are the tokens of
the digit-free pieces between the digits, each tokenized on its own, plus one per digit. Two
prompts that differ only in which digits they print then have the same count, and a prompt
whose numbers change length changes count by exactly the digits it gains or loses. The KV
generators use this to count a prompt from its structure instead of tokenizing it
(:mod:`artificial_needles.generators.exact_count`); the count is the same number.

The property is read from the vocabulary, for tokenizers whose segmentation can only emit
vocabulary pieces (SentencePiece models, and Hugging Face fast tokenizers with a BPE or Unigram
model and no dropout):

* each of ``0``-``9`` is a piece, and no other piece that the text can produce contains a digit
  (byte-fallback pieces ``<0x..>`` and control pieces cannot);
* a probe text with digits among letters, spaces and punctuation tokenizes into those digits one
  by one.

Anything else (Llama-3 and GPT-style tokenizers that join up to three digits, WordPiece, slow
tokenizers) is not a barrier, and its prompts are tokenized. A counter scans its vocabulary
once (``TokenCounter.digit_barrier()`` keeps the answer in its caches, :mod:`~.cache`).
``ARTIFICIAL_NEEDLES_COUNT=tokenize`` turns structural counting off.
"""

from __future__ import annotations

import os
import re
from typing import Any

#: Set to ``tokenize`` to count every prompt with the tokenizer (no structural counts).
COUNT_ENV = "ARTIFICIAL_NEEDLES_COUNT"
_DIGITS = "0123456789"
_HAS_DIGIT = re.compile(r"[0-9]")
_BYTE_PIECE = re.compile(r"<0x[0-9A-Fa-f]{2}>")
#: Digits next to letters, spaces, punctuation and a newline, in every position of a word.
PROBE = "a0b 1c2, {34: 567}\n[8] x9 (90): 123456789"


def structural_counts_enabled() -> bool:
    """False when the user asked for every prompt to be tokenized (:data:`COUNT_ENV`)."""
    return os.environ.get(COUNT_ENV, "").strip().lower() != "tokenize"


def _pieces_ok(pieces: list[str]) -> bool:
    """Whether ``pieces`` (what the probe tokenizes into) hold each of its digits alone."""
    digits = [p for p in pieces if _HAS_DIGIT.search(p) and not _BYTE_PIECE.fullmatch(p)]
    return all(len(p) == 1 for p in digits) and "".join(digits) == "".join(
        c for c in PROBE if c in _DIGITS
    )


def sentencepiece_barrier(sp: Any) -> bool:
    """The digit barrier of a ``sentencepiece.SentencePieceProcessor``."""
    unk = sp.unk_id()
    if any(sp.piece_to_id(d) == unk for d in _DIGITS):
        return False
    for i in range(sp.get_piece_size()):
        if sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i) or sp.is_unused(i):
            continue
        piece = sp.id_to_piece(i)
        if len(piece) > 1 and _HAS_DIGIT.search(piece):
            return False
    return _pieces_ok(sp.encode(PROBE, out_type=str))


def hf_barrier(tokenizer: Any) -> bool:
    """The digit barrier of a ``transformers`` tokenizer (fast ones only)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if not getattr(tokenizer, "is_fast", False) or backend is None:
        return False
    model = backend.model
    if type(model).__name__ not in ("BPE", "Unigram") or getattr(model, "dropout", None):
        return False
    vocab = backend.get_vocab(with_added_tokens=True)
    if any(d not in vocab for d in _DIGITS):
        return False
    for piece in vocab:
        if len(piece) > 1 and _HAS_DIGIT.search(piece) and not _BYTE_PIECE.fullmatch(piece):
            return False
    try:
        pieces = backend.encode(PROBE, add_special_tokens=False).tokens
    except Exception:  # a backend that cannot encode the probe: no barrier
        return False
    return _pieces_ok(pieces)
