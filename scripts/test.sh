#!/usr/bin/env bash
# The test command (CI runs it from a fresh clone). Two runs, both always attempted:
#  1. .venv: everything (extras dev, eval, axolotl), ruff, then the whole suite (args go to it);
#  2. .venv-eval: the `eval` extra alone (the newest lm-eval the pin allows, no Axolotl), proving
#     `pip install "artificial-needles[eval]"` is enough for our lm-eval tasks; runs tests/lm_eval.
# Exit status: non-zero if anything in either run failed. NEEDLES_SKIP_EVAL_ENV=1 skips run 2.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
TORCH="torch==2.13.0"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 AXOLOTL_DO_NOT_TRACK=1

# --- run 1: the full environment -------------------------------------------------------------
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# CPU torch first: anything resolved before it could pull a CUDA build.
.venv/bin/python -m pip install -q "$TORCH"
.venv/bin/python -m pip install -q -e ".[dev,eval,axolotl]"
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

echo "test.sh: full environment exit status $main_rc, eval-only environment exit status $eval_rc"
[ "$main_rc" = 0 ] && [ "$eval_rc" = 0 ]
