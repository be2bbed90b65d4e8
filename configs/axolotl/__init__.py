"""Axolotl configs, installed as ``artificial_needles.configs`` (package data).

See ``artificial-needles configs list`` and ``artificial-needles configs copy NAME DIR``.
"""
