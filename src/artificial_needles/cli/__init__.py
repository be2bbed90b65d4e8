"""The ``artificial-needles`` command line: one module per sub-command.

- :mod:`~.main`: the parser and :func:`main` (the console script), ``generate``, ``list``,
  ``validate``, ``tasks-path``;
- :mod:`~.eval`, :mod:`~.report`, :mod:`~.configs`, :mod:`~.tiny_model`: the other sub-commands;
- :mod:`~.param_flags`: the generator parameters as flags; :mod:`~.util`: argument types,
  ``--version`` and one-line endings.

Nothing is imported here, so the console script loads only the sub-command it runs.
"""
