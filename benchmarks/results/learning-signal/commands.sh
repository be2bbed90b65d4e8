#!/usr/bin/env bash
# The commands benchmarks/learning_signal.py ran, in order (a rerun appends; finished steps are not run again).
set -euo pipefail
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 AXOLOTL_DO_NOT_TRACK=1
# benchmarks/learning_signal.py, 2026-12-07 23:07:05
(cd /work/main/benchmarks/results/.work-learning-signal && /work/main/.venv/bin/python -m artificial_needles.cli demo-model /root/.cache/artificial-needles/demo-model)
(cd /work/main/benchmarks/results/.work-learning-signal && /work/main/.venv/bin/python /work/main/benchmarks/learning_signal/build_mdqa.py --num-questions 50 -o /work/main/benchmarks/results/.work-learning-signal/nq-open-10_total_documents-oracle.jsonl.gz)
(cd /work/main/benchmarks/results/.work-learning-signal && /work/main/.venv/bin/axolotl train /work/main/benchmarks/results/.work-learning-signal/pilot-lr0.0002.yml --launcher python)
(cd /work/main/benchmarks/results/.work-learning-signal && /work/main/.venv/bin/axolotl train /work/main/benchmarks/results/.work-learning-signal/pilot-lr0.001.yml --launcher python)
(cd /work/main/benchmarks/results/.work-learning-signal && /work/main/.venv/bin/axolotl train /work/main/benchmarks/results/learning-signal/axolotl.yml --launcher python)
