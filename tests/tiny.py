"""Tiny tokenizers and models for the tests: re-exports :mod:`artificial_needles.testing`.

Kept so that ``from tiny import build_model`` keeps working in the tests; new code imports
``artificial_needles.testing`` directly.
"""

from artificial_needles.testing import (
    CHAT_TEMPLATES,
    CHATML,
    END_OF_TURN,
    LLAMA3,
    MISTRAL,
    OFFLINE_ENV,
    SPECIAL,
    TINY_SHAPE,
    build_model,
    build_tokenizer,
)

__all__ = [
    "CHATML",
    "CHAT_TEMPLATES",
    "END_OF_TURN",
    "LLAMA3",
    "MISTRAL",
    "OFFLINE_ENV",
    "SPECIAL",
    "TINY_SHAPE",
    "build_model",
    "build_tokenizer",
]
