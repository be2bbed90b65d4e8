"""Mistakes in the evaluation settings fail when the config is loaded, not after training
(`axolotl preprocess` / `axolotl train` stop before any work), naming what is wrong."""

from __future__ import annotations

import logging

import axolotl_cfg
import pytest
from axolotl_cfg import DATA_ENV, PAPER, SMOKE, fake_eval_data, raw, validate


@pytest.fixture
def no_data_env(monkeypatch):
    for name in DATA_ENV:
        monkeypatch.delenv(name, raising=False)


def test_misspelled_eval_task_fails_at_load_naming_it(tmp_path):
    cfg = raw(SMOKE, tmp_path, needles_eval_tasks=["kv_retrieval_simpel"])
    with pytest.raises(ValueError) as info:
        validate(cfg)
    message = str(info.value)
    assert "needles_eval_tasks" in message and "kv_retrieval_simpel" in message
    assert "kv_retrieval_simple" in message, "suggests the close task name"


def test_paper_config_without_eval_data_fails_at_load(tmp_path, no_data_env):
    with pytest.raises(ValueError) as info:
        validate(raw(PAPER, tmp_path, base_model=axolotl_cfg.LOCAL_BASE))
    message = str(info.value)
    assert "mdqa_20docs" in message and "mdqa_data" in message
    assert "ARTIFICIAL_NEEDLES_MDQA_DATA" in message


def test_paper_config_passes_when_its_eval_data_is_resolvable(tmp_path, monkeypatch):
    for name, value in fake_eval_data(tmp_path / "data").items():
        monkeypatch.setenv(name, value)
    cfg = validate(raw(PAPER, tmp_path, base_model=axolotl_cfg.LOCAL_BASE))
    assert "mdqa_20docs" in cfg.needles_eval_tasks


def test_eval_data_path_in_the_config_is_checked(tmp_path, no_data_env):
    env = fake_eval_data(tmp_path / "data")
    meta = {"max_seq_lengths": [4096], "mdqa_data": env[DATA_ENV[0]], "flenqa_data": "nope.jsonl"}
    with pytest.raises(ValueError) as info:
        validate(
            raw(PAPER, tmp_path, base_model=axolotl_cfg.LOCAL_BASE, needles_eval_metadata=meta)
        )
    assert "flenqa" in str(info.value) and "nope.jsonl" in str(info.value)
    meta["flenqa_data"] = env[DATA_ENV[1]]
    assert validate(
        raw(PAPER, tmp_path, base_model=axolotl_cfg.LOCAL_BASE, needles_eval_metadata=meta)
    ).needles_eval_tasks


def test_unknown_eval_metadata_key_gets_a_suggestion(tmp_path):
    meta = {"max_seq_lengths": [1024], "num_sample": 2}
    with pytest.raises(ValueError) as info:
        validate(raw(SMOKE, tmp_path, needles_eval_metadata=meta))
    assert "num_sample" in str(info.value) and "num_samples" in str(info.value)


@pytest.mark.parametrize(
    ("key", "ours"),
    [
        ("needle_eval_limit", "needles_eval_limit"),
        ("needles_eval_limt", "needles_eval_limit"),
        ("need_eval_tasks", "needles_eval_tasks"),
    ],
)
def test_top_level_key_close_to_ours_gets_did_you_mean(tmp_path, key, ours):
    cfg = raw(SMOKE, tmp_path, **{key: 2})
    with pytest.raises(ValueError) as info:
        validate(cfg)
    assert f"{key} (did you mean {ours}?)" in str(info.value)


def test_axolotl_keys_are_not_mistaken_for_ours(tmp_path):
    cfg = raw(SMOKE, tmp_path, seed=3, logging_steps=2, sequence_len=256)
    assert validate(cfg).seed == 3


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_smoke_config_loads_without_deprecation_warnings(tmp_path):
    # Axolotl's logger does not propagate to the root logger (caplog), and importing Axolotl
    # configures logging anew: import first, then listen on its logger directly
    import axolotl.cli.config  # noqa: F401

    handler = _Records()
    logger = logging.getLogger("axolotl")
    logger.addHandler(handler)
    try:
        validate(raw(SMOKE, tmp_path), capabilities=True)
    finally:
        logger.removeHandler(handler)
    assert not [m for m in handler.messages if "deprecat" in m.lower()]
