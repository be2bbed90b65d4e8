"""The KV section shows the multi-query and multi-hop tasks like the paper's KV tasks: summary,
per-step (query / hop), per-length and per-depth tables with deltas, and the heatmap; the group
``kv_retrieval_multi`` gets no table of its own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from artificial_needles.report import build_report

FIX = Path(__file__).parent / "fixtures" / "runs"


def _multi_results(acc: float, hops: list[float], depth: dict[int, float]) -> dict:
    out = {"alias": "kv_retrieval_multihop", "acc,none": acc, "acc_stderr,none": 0.01}
    out["chain_acc,none"] = min(hops)
    for i, v in enumerate(hops, 1):
        out[f"hop_acc_{i},none"] = v
    out["acc_4096,none"] = acc
    out["acc_8192,none"] = -1.0  # not requested in this run
    for p, v in depth.items():
        out[f"acc_depth_{p},none"] = v
    return out


def _with_multihop(src: Path, dest: Path, acc: float, hops: list[float]) -> Path:
    shutil.copytree(src, dest)
    (f,) = dest.rglob("results_*.json")
    data = json.loads(f.read_text())
    data["results"]["kv_retrieval_multihop"] = _multi_results(acc, hops, {0: acc, 50: acc / 2})
    data["results"]["kv_retrieval_multi"] = {"alias": "kv_retrieval_multi", "acc,none": acc}
    data["versions"]["kv_retrieval_multihop"] = 1.0
    data["n-samples"]["kv_retrieval_multihop"] = {"original": 40, "effective": 40}
    f.write_text(json.dumps(data))
    return dest


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("multi")
    base = _with_multihop(FIX / "base", root / "base", 0.25, [0.5, 0.25])
    tuned = _with_multihop(FIX / "finetuned" / "seed0", root / "tuned", 0.75, [1.0, 0.75])
    return build_report([base, tuned])


def test_multihop_tables_with_deltas(report):
    tasks = report.to_json()["sections"]["kv"]["tasks"]
    assert "kv_retrieval_multi" not in tasks  # a group
    hop = tasks["kv_retrieval_multihop"]
    labels = list(hop["summary"]["acc"]["labels"])
    base, tuned = labels
    assert hop["summary"]["acc"]["labels"][base]["mean"] == 0.25
    assert hop["summary"]["chain_acc"]["labels"][tuned]["mean"] == 0.75
    assert hop["by_step"]["1"]["labels"][tuned]["mean"] == 1.0
    assert hop["by_step"]["2"]["deltas"][tuned]["delta"] == pytest.approx(0.5)
    assert set(hop["by_length"]) == {"4096"}  # -1 (not requested) is left out
    md = report.to_markdown()
    assert "**kv_retrieval_multihop: acc by lookup**" in md
    block = md.split("**kv_retrieval_multihop: acc by lookup**\n\n", 1)[1].split("\n\n", 1)[0]
    row2 = next(r for r in block.splitlines() if r.startswith("| 2 |"))
    assert "25.00" in row2 and "75.00" in row2 and "+50.00" in row2


def test_multihop_heatmap_from_one_length(report):
    figures = [f.name for s in report.sections for f in s.figures]
    assert "kv_retrieval_multihop.png" in figures
