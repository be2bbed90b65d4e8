"""lm-evaluation-harness task folders of artificial-needles (see each family README)."""
