"""Evaluation data: MDQA and FLenQA loaders with their exact prompts, and KV retrieval eval docs.

Nothing here imports lm-eval; the task folders under ``lm_eval_tasks/`` are thin adapters.
"""
