"""``gold_dict_size: match`` (issue 20, item 1): the gold dictionary's size has the distractors'
distribution, so a dictionary's size no longer tells where the answer is.

Exact counts over 10,000 samples: the gold sizes of samples 0-9,999 (each drawn by the sample's
own gold draw) against the sizes of 10,000 distractor dictionaries of real samples, by a
chi-square test of homogeneity; and the paper setting (3 keys) shows the cue the option removes.
"""

from __future__ import annotations

from collections import Counter

import pytest

from artificial_needles.generators.build import make_generator
from artificial_needles.generators.parse import parse_dictionaries
from artificial_needles.seeding import sample_rng
from artificial_needles.tokens.counter import EmbeddedMistralCounter

N = 10_000
#: chi-square critical values at p = 0.001 by degrees of freedom.
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27}


def _chi2_homogeneity(a: Counter, b: Counter) -> tuple[float, int]:
    sizes = sorted(set(a) | set(b))
    na, nb = sum(a.values()), sum(b.values())
    stat = 0.0
    for s in sizes:
        total = a[s] + b[s]
        for obs, n in ((a[s], na), (b[s], nb)):
            exp = total * n / (na + nb)
            stat += (obs - exp) ** 2 / exp
    return stat, len(sizes) - 1


@pytest.fixture(scope="module")
def counter():
    return EmbeddedMistralCounter(chat_template=False)


@pytest.mark.parametrize(
    ("task", "dict_size"),
    [("simple-kv", (3, 4)), ("multi-subkey-kv", (2, 3)), ("multi-hop-kv", (2, 5))],
)
def test_gold_size_has_the_distractors_distribution(counter, task, dict_size):
    over = {"gold_dict_size": "match", "dict_size": dict_size, "max_tokens": 1024}
    gen = make_generator(task, overrides=over, tokenizer=counter)
    task_obj = gen.task
    gold = Counter(
        len(task_obj.make_gold(sample_rng(0, i, gen.name, gen.domain)).pairs) for i in range(N)
    )
    distractors: Counter = Counter()
    index = 0
    while sum(distractors.values()) < N:
        s = gen.sample(index)
        dicts, _ = parse_dictionaries(s.prompt)
        skip = {s.meta["gold_position"] - 1, *(p - 1 for p in s.meta.get("linked_positions", []))}
        distractors.update(len(d) for i, (_, d) in enumerate(dicts) if i not in skip)
        index += 1
    assert set(gold) == set(range(dict_size[0], dict_size[1] + 1))
    stat, df = _chi2_homogeneity(gold, distractors)
    assert stat < CHI2_999[df], (gold, distractors)


def test_paper_setting_has_the_cue(counter):
    gen = make_generator("simple-kv", preset="paper-mistral", tokenizer=counter)
    sizes = Counter(len(gen.task.make_gold(sample_rng(0, i, gen.name)).pairs) for i in range(500))
    assert sizes == Counter({3: 500})
