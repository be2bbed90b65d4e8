"""Multi-hop dictionary KV retrieval (docs/formats.md, section 10): a chain of lookups.

The gold key's value is a key of another dictionary, whose value is a key of a third, and so on
for ``hops`` lookups; the question asks for the value at the end of the chain and the answer
names each dictionary on the way (``hops: 1`` is the simple task's lookup with this task's
wording). The chain's keys ``K1 .. Kh`` are distinct keys of the domain's key class and the end
value ``V`` a value distinct from all of them, so the chain never loops; every chain number is
reserved, so ``K1`` occurs once (a key), each later ``Ki`` twice (the value before it, then a
key) and ``V`` once. The first lookup is in the gold dictionary, the others in the linked
dictionaries (``Gold.linked``), which the sample builder places at random lines.

Data domains (:mod:`artificial_needles.seeding`): every key, the chain's included, is in the
domain's key class, so no evaluation key is ever a training key. The chain's inner values are
keys, hence in the key class rather than the domain's value class: in the ``validation`` domain
(Axolotl's eval split) a chain pair may in principle coincide with a pair of an lm-eval document
(as for any two independent draws), which the value classes otherwise rule out.

Extra metadata: ``chain_keys`` (the key of each lookup), ``chain_values`` (the value of each
lookup: the next key, then ``V``) and ``hops``; ``gold_key`` is ``K1`` and ``gold_value`` ``V``.
"""

from __future__ import annotations

import random

from pydantic import Field

from artificial_needles.generators.config import KVConfig
from artificial_needles.generators.linked import PAPER_STYLE, LinkedKVTask, expected_lines
from artificial_needles.generators.sample import Gold
from artificial_needles.generators.templates import multihop_answer, multihop_question


class MultiHopKVConfig(KVConfig):
    """Parameters of ``multi-hop-kv``: the shared ones and ``hops``."""

    hops: int = Field(2, ge=1, le=64, description="lookups in the chain (1: the simple lookup)")


class MultiHopKVTask(LinkedKVTask):
    name = "multi-hop-kv"
    config_cls = MultiHopKVConfig
    description = "Multi-hop dictionary key-value retrieval (a value is the next key to look up)"
    presets = {"paper-style": {**PAPER_STYLE, "hops": 2}}

    cfg: MultiHopKVConfig

    def make_gold(self, rng: random.Random) -> Gold:
        cfg = self.cfg
        numbers = self.distinct_numbers(rng, cfg.hops, 1)
        keys, values = numbers[:-1], numbers[1:]
        gold = Gold(
            pairs=[],
            key=keys[0],
            value=values[-1],
            question=multihop_question(keys[0], cfg.hops, cfg.answer_template),
            reserved=set(numbers),
            extra_meta={"chain_keys": keys, "chain_values": values, "hops": cfg.hops},
        )
        gold.pairs = self.dict_with(rng, gold, keys[0], values[0])
        gold.linked = [
            self.dict_with(rng, gold, k, v) for k, v in zip(keys[1:], values[1:], strict=True)
        ]
        return gold

    @classmethod
    def asked_keys(cls, config: KVConfig) -> int:
        return config.hops  # type: ignore[attr-defined]

    def near_miss_targets(self, gold: Gold) -> tuple[list[int], list[int]]:
        return gold.extra_meta["chain_keys"], [gold.value]

    def answer(self, gold: Gold, name: int) -> str:
        """The answer of a one-hop chain (the builder asks :meth:`answer_for`)."""
        meta = gold.extra_meta
        return multihop_answer(meta["chain_keys"][:1], meta["chain_values"][:1], [name])

    def answer_for(self, gold: Gold, names: list[int]) -> str:
        meta = gold.extra_meta
        return multihop_answer(meta["chain_keys"], meta["chain_values"], names)

    @classmethod
    def check_content(cls, dicts, gold_index, question, answer, meta):  # type: ignore[override]
        keys, values = meta["chain_keys"], meta["chain_values"]
        lines, names = expected_lines(meta)
        problems = []
        if len(keys) != meta["hops"] or len(lines) != meta["hops"]:
            problems.append(f"{len(keys)} chain keys on {len(lines)} lines for {meta['hops']} hops")
            return problems
        chain = [*keys, values[-1]]
        if len(set(chain)) != len(chain) or values[:-1] != keys[1:]:
            problems.append(f"the chain {chain} loops or does not link its lookups")
        problems += cls.check_lookups(dicts, keys, values, lines)
        numbers = [x for _, d in dicts for kv in d.items() for x in kv]
        for i, n in enumerate(chain):
            want = 1 if i in (0, len(chain) - 1) else 2
            if numbers.count(n) != want:
                problems.append(f"chain number {n} appears {numbers.count(n)} times, not {want}")
        if question != multihop_question(keys[0], meta["hops"], meta["answer_template"]):
            problems.append("question differs from the task's question for the chain")
        if answer != multihop_answer(keys, values, names):
            problems.append(f"answer {answer!r} is not the expected answer")
        if meta["gold_key"] != keys[0] or meta["gold_value"] != values[-1]:
            problems.append("gold_key / gold_value are not the chain's start and end")
        return problems
