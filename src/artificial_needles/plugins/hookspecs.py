"""Hook specifications: how a package adds synthetic task generators.

A plugin module implements ``register_generators(register)`` and calls
``register(TaskClass)`` for each :class:`artificial_needles.KVTask` subclass it provides
(the class carries its name, pydantic config model and presets).
Third-party packages expose such a module in the ``artificial_needles`` entry-point group.
"""

from collections.abc import Callable

import pluggy

hookspec = pluggy.HookspecMarker("artificial_needles")
hookimpl = pluggy.HookimplMarker("artificial_needles")


@hookspec
def register_generators(register: Callable[[type], None]) -> None:
    """Register task generator classes by calling ``register(cls)`` once per class.

    ``cls`` must subclass ``KVTask`` and define ``name``, ``config_cls``, ``description``
    and ``presets``. A name already taken is an error naming both providers.
    """
