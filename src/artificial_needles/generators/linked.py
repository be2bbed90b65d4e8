"""What the tasks whose answer needs several dictionaries share (``multi-query-kv``,
``multi-hop-kv``): distinct gold numbers, a dictionary around a fixed pair, and the checks of
lookups on given lines.

:class:`LinkedKVTask` is ``simple-kv`` (integer keys and values in the domain's classes, the
batch draw of distractors, near-miss distractors) with a gold dictionary and the linked ones of
``Gold.linked``, which the sample builder places and names. Each of those dictionaries has
``gold_dict_size`` keys (``match``: drawn like a distractor's size).
"""

from __future__ import annotations

import random
from typing import Any

from artificial_needles.generators.draw import gold_size
from artificial_needles.generators.parse import Parsed
from artificial_needles.generators.sample import Gold
from artificial_needles.generators.simple_kv import SimpleKVTask

#: The paper recipe's settings (``paper-mistral`` of ``simple-kv``) for the tasks here, filling
#: the budget (their linked dictionaries come on top of a fixed count): their ``paper-style``
#: presets add the number of queries or hops.
PAPER_STYLE: dict[str, Any] = {
    "num_samples": 350,
    "gold_dict_size": 3,
    "dict_size": (3, 4),
    "key_digits": (3, 4),
    "value_digits": (3, 4),
    "max_tokens": 4096,
    "margin": 100,
    "gold_position": "paper",
    "answer_template": True,
}


def expected_lines(meta: dict[str, Any]) -> tuple[list[int], list[int]]:
    """The 0-based lines and the names of the gold dictionary and the linked ones, in answer
    order, from a sample's metadata."""
    lines = [meta["gold_position"] - 1, *(p - 1 for p in meta.get("linked_positions", []))]
    names = [meta["gold_dict_name"], *meta.get("linked_dict_names", [])]
    return lines, names


class LinkedKVTask(SimpleKVTask):
    """``simple-kv`` with dictionaries built around given pairs (module docstring)."""

    presets: dict[str, dict[str, Any]] = {}

    def distinct_numbers(self, rng: random.Random, keys: int, values: int) -> list[int]:
        """``keys`` keys then ``values`` values (domain classes), all distinct."""
        out: list[int] = []
        while len(out) < keys:
            k = self.draw_key(rng)
            if k not in out:
                out.append(k)
        while len(out) < keys + values:
            v = self.draw_value(rng)
            if v not in out:
                out.append(v)
        return out

    def distinct_pairs(self, rng: random.Random, count: int) -> tuple[list[int], list[int]]:
        """``count`` keys and ``count`` values, every number distinct."""
        numbers = self.distinct_numbers(rng, count, count)
        return numbers[:count], numbers[count:]

    def dict_with(self, rng: random.Random, gold: Gold, key: int, value: int) -> list[Any]:
        """A dictionary holding ``key: value`` and distractor pairs (``make_pair``: never a
        reserved number), ``gold_dict_size`` keys in all, in random order."""
        size = gold_size(self.cfg, rng)
        pairs = {key: value}
        while len(pairs) < size:
            k, v = self.make_pair(rng, gold)
            pairs.setdefault(k, v)
        items = list(pairs.items())
        rng.shuffle(items)
        return items

    @classmethod
    def check_lookups(
        cls, dicts: Parsed, keys: list[int], values: list[int], lines: list[int]
    ) -> list[str]:
        """Problems with ``keys[i]`` mapping to ``values[i]`` in the dictionary on line
        ``lines[i]`` (0-based) and in no other, the lines all different."""
        problems = []
        if len(set(lines)) != len(lines):
            problems.append(f"the answer's dictionaries share lines: {[i + 1 for i in lines]}")
        for key, value, line in zip(keys, values, lines, strict=True):
            holders = [i for i, (_, d) in enumerate(dicts) if key in d]
            if holders != [line]:
                problems.append(f"key {key} is in dictionary lines {[i + 1 for i in holders]}")
            elif dicts[line][1][key] != value:
                problems.append(f"key {key} maps to {dicts[line][1][key]}, not {value}")
        return problems
