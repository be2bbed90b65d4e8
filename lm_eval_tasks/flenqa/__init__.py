"""lm-eval tasks ``flenqa_*``: FLenQA (Same Task, More Tokens) with and without CoT."""
