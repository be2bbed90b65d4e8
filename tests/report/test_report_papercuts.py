"""Report papercuts found by a new user (issue 19): runs left out of the heatmap are named,
runs with different depth buckets or lengths are a loud warning, the seed column shows only
our run record's seed, text columns are left-aligned, and --limit's empty buckets are explained.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from artificial_needles.report import build_report

FIX = Path(__file__).parent / "fixtures" / "runs"
BASE = FIX / "base"
TUNED = FIX / "finetuned"
TASK = "kv_retrieval_simple"


def _copy(src: Path, dst: Path, edit=None, keep_samples: bool = True) -> Path:
    shutil.copytree(src, dst)
    for f in dst.rglob("samples_*.jsonl"):
        if not keep_samples:
            f.unlink()
    if edit is not None:
        for f in dst.rglob("results_*.json"):
            data = json.loads(f.read_text())
            edit(data)
            f.write_text(json.dumps(data))
    return dst


def _notes(report) -> list[str]:
    return next(s for s in report.sections if s.key == "kv").notes


def test_a_run_left_out_of_the_heatmap_is_named(tmp_path):
    bare = _copy(TUNED / "seed0", tmp_path / "no-samples", keep_samples=False)
    report = build_report([TUNED / "seed1", bare], labels=["kv", "kv"])
    grid = report.to_json()["sections"]["kv"]["tasks"][TASK]["grid"]["kv"]
    assert grid and all(c["n"] == 1 for c in grid)  # only seed1 gives cells
    (note,) = [n for n in _notes(report) if "left out of the heatmap" in n]
    assert str(bare) in note and "--log_samples" in note


def test_different_depth_buckets_are_a_loud_warning(tmp_path):
    def three_buckets(data):
        vals = data["results"][TASK]
        for key in [k for k in vals if k.startswith("acc_depth_")]:
            del vals[key]
        for p in (0, 33, 66):
            vals[f"acc_depth_{p},none"] = 0.5

    other = _copy(BASE, tmp_path / "three", three_buckets)
    report = build_report([BASE, other], labels=["ten", "three"])
    (warning,) = [w for w in report.warnings if "different depth buckets" in w]
    assert warning.startswith(f"{TASK}: ")
    assert "0/10/20/30/40/50/60/70/80/90 in ten" in warning and "0/33/66 in three" in warning
    assert "depth_buckets" in report.to_text()
    # same buckets, no warning
    assert not [w for w in build_report([BASE, BASE]).warnings if "different" in w]


def test_different_lengths_are_a_loud_warning(tmp_path):
    def one_length(data):
        vals = data["results"][TASK]
        for key in [k for k in vals if re.fullmatch(r"acc_\d+,none", k)]:
            del vals[key]
        vals["acc_4096,none"] = 0.5

    other = _copy(BASE, tmp_path / "one", one_length)
    report = build_report([BASE, other], labels=["all", "one"])
    assert [w for w in report.warnings if "different lengths" in w and "max_seq_lengths" in w]


def test_seed_is_only_our_run_records(tmp_path):
    # the base fixture is a plain lm-eval run: config.random_seed 0 is not a training seed
    report = build_report([BASE, TUNED])
    assert [r["seed"] for r in report.to_json()["runs"]] == [None, 0, 1, 2]
    runs = report.to_markdown().split("**Runs**\n\n", 1)[1].splitlines()
    base_row = next(line for line in runs if line.startswith("| mistralai/"))
    assert base_row.split(" | ")[2] == ""


def test_text_columns_are_left_aligned(tmp_path):
    report = build_report([BASE, TUNED])
    md = report.to_markdown()
    runs = md.split("**Runs**\n\n", 1)[1].splitlines()
    assert runs[0] == "| label | model | seed | stage | date (UTC) | lm-eval | limit | source |"
    assert runs[1] == "|---|---|---:|---|---|---|---:|---|"
    html = report.to_html()
    assert '<th class="l">model</th><th>seed</th><th class="l">stage</th>' in html
    assert "td.l,th.l{text-align:left}" in html


def test_limit_explains_the_empty_buckets(tmp_path):
    def limit(data):
        data["config"]["limit"] = 2

    limited = _copy(TUNED / "seed0", tmp_path / "limited", limit)
    (note,) = [n for n in _notes(build_report([limited])) if "--limit" in n]
    assert "num_samples" in note and "first length and depth buckets" in note
    assert not [n for n in _notes(build_report([TUNED / "seed0"])) if "--limit" in n]
