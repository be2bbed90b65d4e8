"""lm-eval tasks ``kv_retrieval_*``: synthetic dictionary KV retrieval sized by the model."""
