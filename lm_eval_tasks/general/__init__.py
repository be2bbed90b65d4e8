"""lm-eval group ``needles_general``: lm-eval's own general benchmarks (no Python here)."""
