"""Token counters for the tests of the count paths: the real tokenizers, recording or skewed.

``RecordingCounter`` is the embedded tokenizer recording the length of every prompt it counts
(to assert which prompts reach the tokenizer); ``OffByOneCounter`` counts one token more per 7
lines, a count neither the line additivity nor the structure can predict.
"""

from __future__ import annotations

from artificial_needles.tokens.counter import EmbeddedMistralCounter, HFTokenCounter


class RecordingCounter(EmbeddedMistralCounter):
    """The embedded tokenizer, recording the length of every prompt it counts."""

    def __init__(self, chat_template: bool = False) -> None:
        super().__init__(chat_template=chat_template)
        self.counted: list[int] = []

    def count_many(self, prompts):
        self.counted += [len(p) for p in prompts]
        return super().count_many(prompts)


class OffByOneCounter(RecordingCounter):
    """Counts one token more per 7 lines: dropping a line does not always save its tokens."""

    def count_many(self, prompts):
        return [
            n + p.count("\n") // 7
            for n, p in zip(super().count_many(prompts), prompts, strict=True)
        ]


def hf_counter(path, chat: bool = False) -> HFTokenCounter:
    """A counter of the Hugging Face tokenizer saved in ``path``."""
    from transformers import AutoTokenizer

    return HFTokenCounter(AutoTokenizer.from_pretrained(path), str(path), chat)
