"""Synthetic retrieval task generators; each module registers one generator."""
