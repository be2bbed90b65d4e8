"""The report on committed lm-eval 0.4.11 fixture results: numbers equal the inputs (mean and
sd recomputed here with numpy), figures are valid PNGs, HTML is self-contained, bytes repeat."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from artificial_needles.cli.main import main
from artificial_needles.report import build_report

FIX = Path(__file__).parent / "fixtures"
BASE = FIX / "runs" / "base"
TUNED = FIX / "runs" / "finetuned"
BASE_LABEL = "mistralai/Mistral-7B-Instruct-v0.1"
TUNED_LABEL = "kv-template"


def _inputs(root: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(root.rglob("results_*.json"))]


def _values(root: Path, task: str, key: str) -> list[float]:
    return [d["results"][task][key] for d in _inputs(root) if task in d["results"]]


def _md_rows(md: str, title: str) -> dict[str, list[str]]:
    """The rows of the markdown table under ``**title**``, keyed by their first cell(s)."""
    block = md.split(f"**{title}**\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in block[2:]]
    return {" ".join(r[:1]): r for r in rows} | {" ".join(r[:2]): r for r in rows}


@pytest.fixture(scope="module")
def report():
    return build_report([BASE, TUNED])


@pytest.fixture(scope="module")
def saved(report, tmp_path_factory):
    return report.save(tmp_path_factory.mktemp("rep") / "report")


def test_labels_baseline_and_aggregation(report):
    data = report.to_json()
    assert data["labels"] == [BASE_LABEL, TUNED_LABEL]
    assert data["baseline"] == BASE_LABEL
    assert [r["seed"] for r in data["runs"]] == [None, 0, 1, 2]  # base: plain lm-eval
    assert data["absent"] == []


@pytest.mark.parametrize("docs,pos", [(10, 5), (20, 1), (20, 10), (30, 25)])
def test_mdqa_json_and_markdown_equal_inputs(report, docs, pos):
    task, key = f"mdqa_{docs}docs_pos{pos}", "best_subspan_em,none"
    base = _values(BASE, task, key)
    tuned = np.array(_values(TUNED, task, key))
    entry = report.to_json()["sections"]["mdqa"]["documents"][str(docs)]["positions"][str(pos)]
    b, t = entry["labels"][BASE_LABEL], entry["labels"][TUNED_LABEL]
    assert b["values"] == base and b["n"] == 1 and b["sd"] is None
    assert b["stderr"] == _inputs(BASE)[0]["results"][task]["best_subspan_em_stderr,none"]
    assert t["n"] == 3 and t["mean"] == pytest.approx(tuned.mean(), abs=1e-12)
    assert t["sd"] == pytest.approx(tuned.std(ddof=1), abs=1e-12)
    d = entry["deltas"][TUNED_LABEL]["delta"]
    assert d == pytest.approx(tuned.mean() - base[0], abs=1e-12)

    row = _md_rows(report.to_markdown(), f"{docs} documents")[str(pos)]
    assert row[1] == f"{base[0] * 100:.2f}"
    assert row[2] == f"{tuned.mean() * 100:.2f} ± {tuned.std(ddof=1) * 100:.2f}"
    assert row[3].split()[0] == f"{(tuned.mean() - base[0]) * 100:+.2f}"


def test_mdqa_closed_book_row(report):
    key = "best_subspan_em,none"
    tuned = np.array(_values(TUNED, "mdqa_closedbook", key))
    row = _md_rows(report.to_markdown(), "20 documents")["closed-book"]
    assert row[1] == f"{_values(BASE, 'mdqa_closedbook', key)[0] * 100:.2f}"
    assert row[2] == f"{tuned.mean() * 100:.2f} ± {tuned.std(ddof=1) * 100:.2f}"


def test_flenqa_per_length_and_overall(report):
    data = report.to_json()["sections"]["flenqa"]["modes"]
    assert set(data) == {"no_cot", "cot"}
    assert data["cot"]["lengths"] == [250, 500, 1000, 2000, 3000]
    vals = np.array(_values(TUNED, "flenqa_monorel_cot", "acc_ctx_2000,none"))
    got = data["cot"]["by_task"]["MonoRel"]["2000"]["labels"][TUNED_LABEL]
    assert got["mean"] == pytest.approx(vals.mean()) and got["sd"] == pytest.approx(
        vals.std(ddof=1)
    )
    # overall: the groups carry no per-length value, so the mean of the three tasks per run
    per_run = np.mean(
        [
            _values(TUNED, f"flenqa_{s}", "acc_ctx_500,none")
            for s in ("pir", "monorel", "ruletaker")
        ],
        axis=0,
    )
    got = data["no_cot"]["by_task"]["overall"]["500"]["labels"][TUNED_LABEL]
    assert got["mean"] == pytest.approx(per_run.mean()) and got["n"] == 3
    # "all" overall: the group's own acc
    group = np.array(_values(TUNED, "flenqa", "acc,none"))
    got = data["no_cot"]["by_task"]["overall"]["all"]["labels"][TUNED_LABEL]
    assert got["mean"] == pytest.approx(group.mean())
    row = _md_rows(report.to_markdown(), "FLenQA with CoT")["MonoRel 2000"]
    assert row[3] == f"{vals.mean() * 100:.2f} ± {vals.std(ddof=1) * 100:.2f}"


def test_kv_missing_buckets_are_empty_never_zero(report):
    kv = report.to_json()["sections"]["kv"]["tasks"]["kv_retrieval_simple"]
    assert list(kv["by_length"]) == ["4096", "8192"]  # -1 lengths are not shown
    assert kv["by_length"]["8192"]["labels"][BASE_LABEL] is None
    assert kv["by_length"]["8192"]["deltas"][TUNED_LABEL] is None
    row = _md_rows(report.to_markdown(), "kv_retrieval_simple: acc by length")["8192"]
    assert row[1] == "" and row[3] == ""
    assert {c["length"] for c in kv["grid"][BASE_LABEL]} == {4096}
    summary = kv["summary"]["value_acc"]["labels"][TUNED_LABEL]
    vals = np.array(_values(TUNED, "kv_retrieval_simple", "value_acc,none"))
    assert summary["mean"] == pytest.approx(vals.mean())


def test_kv_grid_from_samples_and_single_length(report):
    grid = report.to_json()["sections"]["kv"]["tasks"]["kv_retrieval_simple"]["grid"]
    cells = {(c["length"], c["depth"]): c for c in grid[TUNED_LABEL]}
    per_seed = []
    for path in sorted(TUNED.rglob("samples_kv_retrieval_simple_*.jsonl")):
        recs = [json.loads(line) for line in path.read_text().splitlines()]
        hits = [
            r["acc"] for r in recs if r["doc"]["max_length"] == 8192 and r["doc"]["depth"] == 30
        ]
        per_seed.append(np.mean(hits))
    assert cells[(8192, 30)]["values"] == pytest.approx(per_seed)
    assert len(cells) == 20
    # base: one length, so its per-depth metrics are the grid's one row
    base = {c["depth"]: c["mean"] for c in grid[BASE_LABEL]}
    assert base[40] == _values(BASE, "kv_retrieval_simple", "acc_depth_40,none")[0]


def test_general_table_and_flag(report):
    sec = report.to_json()["sections"]["general"]["benchmarks"]
    assert {t: b["metric"] for t, b in sec.items()} == {
        "mmlu": "acc,none",
        "hellaswag": "acc_norm,none",
        "gsm8k": "exact_match,strict-match",
        "triviaqa": "exact_match,remove_whitespace",
        "nq_open": "exact_match,remove_whitespace",
    }
    vals = np.array(_values(TUNED, "triviaqa", "exact_match,remove_whitespace"))
    assert sec["triviaqa"]["labels"][TUNED_LABEL]["sd"] == pytest.approx(vals.std(ddof=1))
    rows = _md_rows(report.to_markdown(), "General benchmarks")
    assert rows[TUNED_LABEL][4] == f"{vals.mean() * 100:.2f} ± {vals.std(ddof=1) * 100:.2f}"
    assert f"Δ {TUNED_LABEL}" in rows


def test_golden_paper_table2_deltas():
    """The paper's Table 2 (Mistral-7B-Instruct-v0.1, none vs KV with template)."""
    rep = build_report([FIX / "golden" / "none", FIX / "golden" / "kv"], labels=["none", "kv"])
    rows = _md_rows(rep.to_markdown(), "General benchmarks")
    header = ["label", "MMLU", "HellaSwag", "GSM8K", "TriviaQA", "NQ-Open"]
    assert rows["none"] == ["none", "53.42", "56.31", "34.65", "47.63", "11.61"]
    assert rows["kv"] == ["kv", "53.44", "56.22", "34.34", "47.74", "11.98"]
    delta = dict(zip(header, rows["Δ kv"], strict=True))
    assert (delta["TriviaQA"], delta["NQ-Open"], delta["GSM8K"]) == ("+0.11", "+0.37", "-0.31")
    assert "▼" not in "".join(rows["Δ kv"])  # within twice the combined stderr
    assert rep.absent == ["MDQA", "FLenQA", "KV retrieval"]
    assert "Not in these runs: MDQA, FLenQA, KV retrieval." in rep.to_markdown()


def test_saved_files_and_pngs(saved):
    import matplotlib.image as mpimg

    names = sorted(p.name for p in saved.iterdir())
    pngs = [n for n in names if n.endswith(".png")]
    assert {"report.md", "report.html", "report.json"} <= set(names)
    assert len(pngs) == 8
    doc = json.loads((saved / "report.json").read_text())
    assert sorted(doc["figures"]) == pngs
    md = (saved / "report.md").read_text()
    for name in pngs:
        raw = (saved / name).read_bytes()
        assert raw.startswith(b"\x89PNG\r\n\x1a\n")
        assert b"Software" not in raw
        img = mpimg.imread(saved / name)
        assert img.shape[0] > 100 and img.shape[1] > 100
        assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 20  # not blank
        assert f"]({name})" in md


def test_html_is_self_contained(saved):
    page = (saved / "report.html").read_text()
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", page, flags=re.I)
    assert refs and all(r.startswith("data:image/png;base64,") for r in refs)
    assert "<link" not in page and "<script" not in page and "url(" not in page
    assert page.count("<img") == 8


def test_same_inputs_same_bytes(saved, tmp_path):
    again = build_report([BASE, TUNED]).save(tmp_path / "again")
    first = {p.name: p.read_bytes() for p in saved.iterdir()}
    second = {p.name: p.read_bytes() for p in again.iterdir()}
    assert first == second


def test_header_and_warnings(tmp_path):
    limited = tmp_path / "limited"
    shutil.copytree(TUNED / "seed0", limited)
    (f,) = limited.rglob("results_*.json")
    data = json.loads(f.read_text())
    data["config"]["limit"] = 5.0
    data["versions"]["flenqa_pir"] = 2.0
    data["artificial_needles"]["label"] = "limited"
    for task in ("kv_retrieval_simple", "kv_retrieval_multisubkey"):
        del data["results"][task]
    f.write_text(json.dumps(data))
    rep = build_report([BASE, limited])
    w = rep.warnings
    assert any("limited" in x and "--limit 5" in x for x in w), w
    assert any(x.startswith("flenqa_pir: version differs") for x in w), w
    assert any(x.startswith("limited lacks tasks") and "kv_retrieval_simple" in x for x in w), w
    md = rep.to_markdown()
    assert "> **Warning:** limited" in md
    runs = _md_rows(md, "Runs")
    assert runs["limited"][5] == "0.4.11" and runs["limited"][6] == "5"
    tasks = _md_rows(md, "Tasks: version and samples per label")
    assert tasks["flenqa_pir"][1] == "1.0/2.0" and tasks["gsm8k"][2] == "1319"


def test_labels_flag_and_baseline(tmp_path):
    rep = build_report(
        [TUNED / "seed0", TUNED / "seed1", BASE], labels=["a", "a", "b"], baseline="b"
    )
    assert rep.labels == ["a", "b"] and rep.baseline == "b"
    entry = rep.to_json()["sections"]["general"]["benchmarks"]["nq_open"]
    assert entry["labels"]["a"]["n"] == 2 and list(entry["deltas"]) == ["a"]


def test_axolotl_output_dir(tmp_path):
    """An Axolotl output_dir: needles_eval/base and needles_eval/finetuned, read as one RUN."""
    out = tmp_path / "axolotl-out"
    for stage, src in (("base", BASE), ("finetuned", TUNED / "seed1")):
        (f,) = src.rglob("results_*.json")
        data = json.loads(f.read_text())
        data["model_name"] = "m"
        data["artificial_needles"] = {"stage": stage, "seed": 1}
        dest = out / "needles_eval" / stage / "m" / f.name
        dest.parent.mkdir(parents=True)
        dest.write_text(json.dumps(data))
    (out / "checkpoint-1").mkdir()
    (out / "checkpoint-1" / "results_x.json").write_text("{not json")  # outside needles_eval
    rep = build_report([out])
    assert rep.labels == ["m [base]", "m [finetuned]"]
    target = rep.save(out / "needles_eval" / "report")
    assert (target / "report.html").is_file()
    again = build_report([out])  # the report folder inside needles_eval is not a run
    assert again.labels == rep.labels


def test_cli_prints_headline_tables(tmp_path, capsys):
    rc = main(["report", str(BASE), str(TUNED), "-o", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "20 documents" in out and "General benchmarks" in out and "kv_retrieval_simple" in out
    assert "Runs" not in out  # the header stays in the files


def test_newest_file_per_task_wins_unless_every_file(tmp_path):
    (src,) = BASE.rglob("results_*.json")
    data = json.loads(src.read_text())
    folder = tmp_path / "run" / "model"
    folder.mkdir(parents=True)
    old = {**data, "results": {k: v for k, v in data["results"].items() if k != "nq_open"}}
    (folder / "results_2024-06-01T00-00-00.json").write_text(json.dumps(old))
    new = json.loads(json.dumps(data))
    new["date"] += 60
    new["results"] = {"triviaqa": {**data["results"]["triviaqa"]}}
    new["results"]["triviaqa"]["exact_match,remove_whitespace"] = 0.9
    (folder / "results_2024-06-01T00-01-00.json").write_text(json.dumps(new))
    rep = build_report([tmp_path / "run"]).to_json()
    assert len(rep["runs"]) == 1 and len(rep["runs"][0]["files"]) == 2
    bench = rep["sections"]["general"]["benchmarks"]
    assert bench["triviaqa"]["labels"][BASE_LABEL]["values"] == [0.9]  # the newer file
    assert bench["mmlu"]["labels"][BASE_LABEL]["n"] == 1  # only in the older file
    every = build_report([tmp_path / "run"], every_file=True).to_json()
    assert len(every["runs"]) == 2
    assert every["sections"]["general"]["benchmarks"]["triviaqa"]["labels"][BASE_LABEL]["n"] == 2


def test_axolotl_output_dir_one_folder_per_task(tmp_path):
    """The plugin and ``eval`` write one lm-eval folder per task; each stage stays one run."""
    out = tmp_path / "axolotl-out"
    for stage, src in (("base", BASE), ("finetuned", TUNED / "seed1")):
        (f,) = src.rglob("results_*.json")
        data = json.loads(f.read_text())
        for task in data["results"]:
            part = {**data, "results": {task: data["results"][task]}}
            part["model_name"] = "m"
            part["artificial_needles"] = {"stage": stage, "seed": 1, "label": f"m-{stage}"}
            dest = out / "needles_eval" / stage / task / "m" / f.name
            dest.parent.mkdir(parents=True)
            dest.write_text(json.dumps(part))
    rep = build_report([out]).to_json()
    assert [r["label"] for r in rep["runs"]] == ["m-base", "m-finetuned"]
    whole = json.loads(next(BASE.rglob("results_*.json")).read_text())["results"]
    assert all(len(r["files"]) == len(whole) for r in rep["runs"])
    assert not [w for w in rep.get("warnings", []) if "missing" in w]
    nq = rep["sections"]["general"]["benchmarks"]["nq_open"]["labels"]
    assert nq["m-base"]["n"] == 1 and nq["m-finetuned"]["n"] == 1
