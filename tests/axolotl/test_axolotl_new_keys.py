"""The issue 20 generator fields as Axolotl keys: a length mixture (``needles_max_tokens`` as a
list, with ``needles_max_tokens_weights``), ``needles_gold_dict_size: match`` and the near-miss
shares pass Axolotl's config validation into the generation spec; a mixture budget over
``sequence_len`` fails at config load naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from axolotl_cfg import SMOKE, raw, validate


def _spec(cfg) -> dict:
    line = Path(cfg.datasets[0]["path"]).read_text().splitlines()[0]
    return json.loads(json.loads(line)["spec"])


def test_new_keys_reach_the_spec(tmp_path):
    cfg = validate(
        raw(
            SMOKE,
            tmp_path,
            sequence_len=1024,
            needles_max_tokens=[512, 1024],
            needles_max_tokens_weights=[1, 3],
            needles_gold_dict_size="match",
            needles_near_miss_keys=0.2,
            needles_near_miss_values=0.1,
        )
    )
    over = _spec(cfg)["overrides"]
    assert over["max_tokens"] == [512, 1024] and over["max_tokens_weights"] == [1, 3]
    assert over["gold_dict_size"] == "match"
    assert (over["near_miss_keys"], over["near_miss_values"]) == (0.2, 0.1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"needles_max_tokens": [512, 2048]}, "needles_max_tokens: the length mixture"),
        ({"needles_max_tokens": [512, 512]}, "needles_max_tokens"),
        ({"needles_max_tokens_weights": [1, 2]}, "needles_max_tokens_weights"),
        ({"needles_gold_dict_size": "same"}, "needles_gold_dict_size"),
        ({"needles_near_miss_keys": 1.5}, "needles_near_miss_keys"),
    ],
)
def test_bad_new_keys_fail_at_load(tmp_path, changes, message):
    with pytest.raises(ValueError) as info:
        validate(raw(SMOKE, tmp_path, sequence_len=1024, **changes))
    assert message in str(info.value)
