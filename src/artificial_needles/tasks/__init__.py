"""Synthetic retrieval task generators; each task module registers one generator.

Module map (a plugin author needs only :mod:`~artificial_needles.tasks.generator`, and imports
its names from ``artificial_needles`` itself):

- :mod:`~artificial_needles.tasks.generator`: :class:`KVGenerator`, the base class (what a task
  defines, and the sample loop);
- :mod:`~artificial_needles.tasks.config`: :class:`KVConfig`, the shared pydantic parameters;
- :mod:`~artificial_needles.tasks.sample`: :class:`Sample`, :class:`Gold`, :class:`DictBlock`
  and the metadata keys of a sample;
- :mod:`~artificial_needles.tasks.draw`: number and gold-position draws;
- :mod:`~artificial_needles.tasks.distractors`: drawing distractor dictionaries, the fill;
- :mod:`~artificial_needles.tasks.budget`: token estimate, calibration, feasibility check, line
  counts after a dictionary is added or dropped;
- :mod:`~artificial_needles.tasks.parse`: parsing a prompt back, and the shared checks;
- :mod:`~artificial_needles.tasks.simple_kv`, :mod:`~artificial_needles.tasks.multi_subkey_kv`:
  the built-in tasks.
"""
