"""Evaluation: the lm-eval runner, pre-flight checks, lengths, plans, output folders and the
evaluation child process (modules move here with the layout of issue 17)."""
