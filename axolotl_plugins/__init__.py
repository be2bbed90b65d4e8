"""Axolotl integration of artificial-needles."""
