"""Plugin manager: built-in and third-party generators, loaded lazily and once.

Entry points of the group ``artificial_needles`` are loaded on first use. Set
``ARTIFICIAL_NEEDLES_PLUGINS`` to a comma-separated list of entry-point names to load only
those (an empty value loads none); the built-in generators are always present. A plugin that
fails to import or to register stops the program with its name in the message.
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import pluggy

from artificial_needles.errors import NeedlesError
from artificial_needles.plugins import hookspecs

if TYPE_CHECKING:
    from artificial_needles.generators.task import KVTask

GROUP = "artificial_needles"
ENV_ALLOW = "ARTIFICIAL_NEEDLES_PLUGINS"

_pm: pluggy.PluginManager | None = None
_generators: dict[str, type[KVTask]] | None = None
_providers: dict[str, str] = {}


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, created (and entry points loaded) on first call."""
    global _pm
    if _pm is None:
        pm = pluggy.PluginManager(GROUP)
        pm.add_hookspecs(hookspecs)
        from artificial_needles.plugins import builtin as builtin_plugin

        pm.register(builtin_plugin, name="builtin")
        allow = os.environ.get(ENV_ALLOW)
        allowed = None if allow is None else {n.strip() for n in allow.split(",") if n.strip()}
        for ep in entry_points(group=GROUP):
            if allowed is not None and ep.name not in allowed:
                continue
            try:
                module = ep.load()
            except Exception as exc:
                raise NeedlesError(
                    f"plugin {ep.name!r} ({ep.value}) failed to load: {exc!r}; uninstall it or "
                    f"exclude it with {ENV_ALLOW}"
                ) from exc
            try:
                pm.register(module, name=ep.name)
            except ValueError as exc:  # pluggy: name or module already registered
                raise NeedlesError(
                    f"plugin {ep.name!r} ({ep.value}) clashes with another plugin: {exc}; "
                    f"uninstall one of them or select plugins with {ENV_ALLOW}"
                ) from exc
        pm.check_pending()
        _pm = pm
    return _pm


def _collect() -> dict[str, type[KVTask]]:
    from artificial_needles.generators.task import KVTask

    pm = get_plugin_manager()
    found: dict[str, type[KVTask]] = {}
    for impl in pm.hook.register_generators.get_hookimpls():
        provider = impl.plugin_name

        def register(cls: type, provider: str = provider) -> None:
            if not (isinstance(cls, type) and issubclass(cls, KVTask)):
                raise NeedlesError(f"plugin {provider!r} registered {cls!r}, not a KVTask subclass")
            if cls.name in found:
                raise NeedlesError(
                    f"generator name {cls.name!r} registered by both "
                    f"{_providers[cls.name]!r} and {provider!r}"
                )
            found[cls.name] = cls
            _providers[cls.name] = provider

        try:
            impl.function(register=register)
        except NeedlesError:
            raise
        except Exception as exc:
            raise NeedlesError(f"plugin {provider!r} failed while registering: {exc!r}") from exc
    return found


def get_generators() -> dict[str, type[KVTask]]:
    """All registered generator classes by name (built-in first)."""
    global _generators
    if _generators is None:
        _generators = _collect()
    return _generators


def provider_of(name: str) -> str:
    """The plugin that registered generator ``name``."""
    get_generators()
    return _providers[name]


def get_generator(name: str) -> type[KVTask]:
    """The generator class called ``name``, or an error listing the known names."""
    gens = get_generators()
    if name not in gens:
        raise NeedlesError(f"unknown task {name!r}; known tasks: {', '.join(sorted(gens))}")
    return gens[name]


def reset() -> None:
    """Forget loaded plugins (tests register plugins and reload)."""
    global _pm, _generators
    _pm = None
    _generators = None
    _providers.clear()
