"""The built-in generators, registered through the same hook as third-party plugins."""

from collections.abc import Callable

from artificial_needles.plugins.hookspecs import hookimpl


@hookimpl
def register_generators(register: Callable[[type], None]) -> None:
    from artificial_needles.generators.multi_hop_kv import MultiHopKVTask
    from artificial_needles.generators.multi_query_kv import MultiQueryKVTask
    from artificial_needles.generators.multi_subkey_kv import MultiSubkeyKVTask
    from artificial_needles.generators.simple_kv import SimpleKVTask

    register(SimpleKVTask)
    register(MultiSubkeyKVTask)
    register(MultiQueryKVTask)
    register(MultiHopKVTask)
