"""The built-in generators, registered through the same hook as third-party plugins."""

from collections.abc import Callable

from artificial_needles.plugins.hookspecs import hookimpl


@hookimpl
def register_generators(register: Callable[[type], None]) -> None:
    from artificial_needles.generators.multi_subkey_kv import MultiSubkeyKVGenerator
    from artificial_needles.generators.simple_kv import SimpleKVGenerator

    register(SimpleKVGenerator)
    register(MultiSubkeyKVGenerator)
