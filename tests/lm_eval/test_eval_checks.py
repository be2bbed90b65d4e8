"""Checks before any model loads: task names, data files, metadata,
model paths; broken data files give one line naming the file and the fault."""

from __future__ import annotations

import gzip

import pytest
from eval_data import write_flenqa, write_mdqa

from artificial_needles.errors import NeedlesError
from artificial_needles.eval import flenqa, mdqa


@pytest.fixture(autouse=True)
def _no_data_env(monkeypatch):
    monkeypatch.delenv(mdqa.ENV_VAR, raising=False)
    monkeypatch.delenv(flenqa.ENV_VAR, raising=False)


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and "None" not in msg, msg
    return msg


# -- broken data files -----------------------------------------------------------------------


def test_flenqa_non_gzip_file_named_gz(tmp_path):
    path = tmp_path / "FLenQA_hf.jsonl.gz"
    path.write_text('{"a": 1}\n')
    with pytest.raises(NeedlesError) as exc:
        flenqa.build_docs("pir", False, str(path))
    assert _one_line(exc).startswith(f"{path}: not a gzip file")


def test_flenqa_truncated_gzip(tmp_path):
    full = write_flenqa(tmp_path / "f.jsonl", per_dataset=50).read_bytes()
    path = tmp_path / "FLenQA_hf.jsonl.gz"
    path.write_bytes(gzip.compress(full)[:200])
    with pytest.raises(NeedlesError) as exc:
        flenqa.build_docs("pir", False, str(path))
    assert _one_line(exc).startswith(f"{path}: truncated or damaged gzip data")


def test_flenqa_directory_given_as_file(tmp_path):
    with pytest.raises(NeedlesError) as exc:
        flenqa.build_docs("pir", False, str(tmp_path))
    assert f"FLenQA data file {tmp_path} is a directory" in _one_line(exc)


def test_mdqa_non_gzip_file(tmp_path):
    path = tmp_path / "nq-open-20_total_documents_gold_at_0.jsonl.gz"
    path.write_text("not gzip\n")
    with pytest.raises(NeedlesError) as exc:
        mdqa.read_records(path)
    assert _one_line(exc).startswith(f"{path}: not a gzip file")


def test_flenqa_bad_parquet(tmp_path):
    path = tmp_path / "FLenQA_hf.parquet"
    path.write_text("no parquet here")
    with pytest.raises(NeedlesError) as exc:
        flenqa.build_docs("pir", False, str(path))
    assert _one_line(exc).startswith(f"{path}: not a readable parquet file")


# -- check_tasks -----------------------------------------------------------------------------


def test_check_tasks_names_a_misspelled_task():
    from artificial_needles.eval import check_tasks

    with pytest.raises(
        NeedlesError, match="'kv_retrival_simple' \\(did you mean 'kv_retrieval_simple'"
    ):
        check_tasks(["kv_retrival_simple"], {})


def test_check_tasks_needs_mdqa_data_for_groups_too():
    from artificial_needles.eval import check_tasks

    with pytest.raises(NeedlesError, match="mdqa_20docs_pos1.*no MDQA data given"):
        check_tasks(["mdqa_20docs"], {})


def test_check_tasks_flenqa_offline_without_file(monkeypatch):
    from artificial_needles.eval import check_tasks

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    flenqa.hub_records.cache_clear()
    with pytest.raises(NeedlesError, match="alonj/FLenQA.*flenqa_data"):
        check_tasks(["flenqa"], {})


def test_check_tasks_reads_the_data_and_validates_metadata(tmp_path, tiny_tokenizer_dir):
    from artificial_needles.eval import check_tasks

    data = write_mdqa(tmp_path / "nq-open-20_total_documents_gold_at_0.jsonl", 2)
    fq = write_flenqa(tmp_path / "f.jsonl", per_dataset=2)
    ok = {"mdqa_data": str(data), "flenqa_data": str(fq), "tokenizer": str(tiny_tokenizer_dir)}
    check_tasks(["mdqa_20docs", "flenqa_cot", "kv_retrieval", "mdqa_closedbook"], ok)
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_text("x")
    with pytest.raises(NeedlesError, match="broken.jsonl.gz: not a gzip file"):
        check_tasks(["flenqa_pir"], {**ok, "flenqa_data": str(broken)})
    with pytest.raises(NeedlesError, match="unknown key 'mdqa_dat' \\(did you mean 'mdqa_data'"):
        check_tasks(["mdqa_20docs"], {"mdqa_dat": str(data)})
    with pytest.raises(NeedlesError, match="kv_retrieval_simple.*tokenizer"):
        check_tasks(["kv_retrieval_simple"], {})
    with pytest.raises(NeedlesError, match="tokenizer path /no/such/tok does not exist"):
        check_tasks(["kv_retrieval_simple"], {"tokenizer": "/no/such/tok"})


# -- metadata model and artificial-needles eval errors --------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('["a"]', "--metadata: expected a JSON object"),
        ('{"num_samples": "many"}', "--metadata: num_samples: must be an integer, got 'many'"),
        ('{"mdqa_dat": "x"}', "--metadata: unknown key 'mdqa_dat' (did you mean 'mdqa_data'?)"),
        ('{"depth_buckets": 0}', "--metadata: depth_buckets: must be >= 1, got 0"),
        ('{"max_seq_lengths": [0]}', "--metadata: max_seq_lengths: must be one or more positive"),
        ("{oops", "--metadata: not valid JSON"),
    ],
)
def test_parse_metadata_errors(value, message):
    from artificial_needles.eval.metadata import parse_metadata

    with pytest.raises(NeedlesError) as exc:
        parse_metadata(value)
    assert message in _one_line(exc)


def test_parse_metadata_accepts_any_lengths():
    from artificial_needles.eval.metadata import EvalMetadata, parse_metadata

    assert parse_metadata('{"max_seq_lengths": [24576, 3000], "version": 2}')
    assert EvalMetadata(max_seq_lengths="24576,3000").max_seq_lengths == (24576, 3000)


def _eval(argv, capsys):
    from artificial_needles.cli.main import main

    code = main(["eval", *argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "hf", "--tasks", "kv_retrieval_simple"], "--model_args is required"),
        (
            ["--model_args", "pretrained=/no/such/model", "--tasks", "kv_retrieval_simple"],
            "model path /no/such/model does not exist",
        ),
        (["--model_args", "pretrained=M", "--tasks", "x", "--metadata", '["a"]'], "JSON object"),
        (
            ["--model_args", "pretrained=M", "--tasks", "x", "--metadata", '{"num_samples": "x"}'],
            "num_samples: must be an integer, got 'x'",
        ),
        (
            ["--model_args", "pretrained=M", "--tasks", "x", "--metadata", '{"mdqa_dat": "x"}'],
            "did you mean 'mdqa_data'",
        ),
    ],
)
def test_eval_cli_errors_before_the_model_loads(argv, message, capsys):
    code, err = _eval(argv, capsys)
    assert code == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("artificial-needles: error:") and message in line


def test_eval_cli_unknown_task_before_model_loads(tiny_model_dir, capsys):
    code, err = _eval(
        ["--model_args", f"pretrained={tiny_model_dir}", "--tasks", "mdqa_20doc_pos1"], capsys
    )
    assert code == 2 and "did you mean 'mdqa_20docs_pos1'" in err


# -- eval --help -------------------------------------------------------------------------------


def test_eval_help_lists_lm_eval_options(capsys):
    from artificial_needles.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["eval", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for opt in ("--no_check_lengths", "--no_apply_chat_template", "--model_args", "--limit"):
        assert opt in out, opt
