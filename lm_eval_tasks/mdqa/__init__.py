"""lm-eval tasks ``mdqa_*``: multi-document QA by gold position (Lost in the Middle)."""
