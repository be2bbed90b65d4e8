"""Multi-query dictionary KV retrieval (docs/formats.md, section 9): several keys, one answer
line per key in the asked order.

The question asks for ``num_queries`` integer keys, each in its own dictionary: the first is the
gold dictionary, the others are the task's linked dictionaries (``Gold.linked``), which the
sample builder places at random lines. Keys, values and distractors are those of ``simple-kv``
(the same domain classes and the same batch draw of distractors); every asked key and value is
reserved, so each occurs exactly once in the prompt.

Extra metadata: ``query_keys`` and ``query_values`` (asked order); the builder adds
``linked_dict_names`` and ``linked_positions`` (the dictionaries of the 2nd, 3rd... asked key).
"""

from __future__ import annotations

import random

from pydantic import Field

from artificial_needles.generators.config import KVConfig
from artificial_needles.generators.linked import PAPER_STYLE, LinkedKVTask, expected_lines
from artificial_needles.generators.sample import Gold
from artificial_needles.generators.templates import multiquery_answer, multiquery_question


class MultiQueryKVConfig(KVConfig):
    """Parameters of ``multi-query-kv``: the shared ones and ``num_queries``."""

    num_queries: int = Field(2, ge=1, le=64, description="keys asked, each in its own dictionary")


class MultiQueryKVTask(LinkedKVTask):
    name = "multi-query-kv"
    config_cls = MultiQueryKVConfig
    description = "Multi-query dictionary key-value retrieval (several keys, answers in order)"
    presets = {"paper-style": {**PAPER_STYLE, "num_queries": 2}}

    cfg: MultiQueryKVConfig

    def make_gold(self, rng: random.Random) -> Gold:
        cfg = self.cfg
        keys, values = self.distinct_pairs(rng, cfg.num_queries)
        gold = Gold(
            pairs=[],
            key=keys[0],
            value=values[0],
            question=multiquery_question(keys, cfg.answer_template),
            reserved={*keys, *values},
            extra_meta={"query_keys": keys, "query_values": values},
        )
        gold.pairs = self.dict_with(rng, gold, keys[0], values[0])
        gold.linked = [
            self.dict_with(rng, gold, k, v) for k, v in zip(keys[1:], values[1:], strict=True)
        ]
        return gold

    @classmethod
    def asked_keys(cls, config: KVConfig) -> int:
        return config.num_queries  # type: ignore[attr-defined]

    def near_miss_targets(self, gold: Gold) -> tuple[list[int], list[int]]:
        return gold.extra_meta["query_keys"], gold.extra_meta["query_values"]

    def answer(self, gold: Gold, name: int) -> str:
        """The first answer line (the builder asks :meth:`answer_for`, which has them all)."""
        return multiquery_answer([gold.key], [gold.value], [name])

    def answer_for(self, gold: Gold, names: list[int]) -> str:
        meta = gold.extra_meta
        return multiquery_answer(meta["query_keys"], meta["query_values"], names)

    @classmethod
    def check_content(cls, dicts, gold_index, question, answer, meta):  # type: ignore[override]
        keys, values = meta["query_keys"], meta["query_values"]
        lines, names = expected_lines(meta)
        problems = cls.check_lookups(dicts, keys, values, lines)
        numbers = [x for _, d in dicts for kv in d.items() for x in kv]
        for n in (*keys, *values):
            if numbers.count(n) != 1:
                problems.append(f"asked number {n} appears {numbers.count(n)} times")
        if question != multiquery_question(keys, meta["answer_template"]):
            problems.append("question differs from the task's question for the asked keys")
        if answer != multiquery_answer(keys, values, names):
            problems.append(f"answer {answer!r} is not the expected answer")
        return problems
