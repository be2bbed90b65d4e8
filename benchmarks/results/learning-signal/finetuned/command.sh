#!/usr/bin/env bash
# needles finetuned evaluation (/work/main/benchmarks/results/learning-signal/axolotl.yml)
# Written by artificial-needles, which ran it as is. Rerun by hand: bash command.sh
# (--per_task skips tasks whose results exist unless --force is given; arguments
# of this script are appended to the command).
set -euo pipefail
cd /work/main/benchmarks/results/.work-learning-signal
unset CROSS_RANK CROSS_SIZE GROUP_RANK GROUP_WORLD_SIZE LOCAL_RANK LOCAL_SIZE LOCAL_WORLD_SIZE MASTER_ADDR MASTER_PORT NODE_RANK RANK ROLE_NAME ROLE_RANK ROLE_WORLD_SIZE WORLD_SIZE
for v in $(compgen -e); do case $v in TORCHELASTIC_*|PET_*|ACCELERATE_*|FSDP_*|DEEPSPEED_*) unset $v;; esac; done
export HF_DATASETS_OFFLINE=1
export HF_HUB_ENABLE_HF_TRANSFER=1
export HF_HUB_OFFLINE=1
export HF_XET_HIGH_PERFORMANCE=1
export PYTORCH_ALLOC_CONF=expandable_segments:True
export TRANSFORMERS_OFFLINE=1
export TOKENIZERS_PARALLELISM=false
exec /work/main/.venv/bin/python -m artificial_needles.cli eval --model hf --model_args pretrained=/root/.cache/artificial-needles/demo-model,peft=/work/main/benchmarks/results/.work-learning-signal/train,tokenizer=/work/main/benchmarks/results/.work-learning-signal/train,dtype=bfloat16,max_length=2048 --tasks kv_retrieval_simple,mdqa_10docs,mdqa_closedbook --output_path /work/main/benchmarks/results/.work-learning-signal/train/needles_eval/finetuned --per_task --batch_size 1 --apply_chat_template --log_samples --metadata '{"chat_template": true, "depth_buckets": 5, "max_seq_lengths": [1024, 2048], "mdqa_data": "/work/main/benchmarks/results/.work-learning-signal/nq-open-10_total_documents-oracle.jsonl.gz", "num_samples": 20}' --label smollm2-135m-kv-lora --stage finetuned --run_seed 0 --force "$@"
