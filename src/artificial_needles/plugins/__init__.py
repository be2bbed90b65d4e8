"""Extension points (pluggy): the hook specifications, the plugin manager and the built-ins.

- :mod:`~.hookspecs`: what a plugin implements (``register_generators``) and ``hookimpl``;
- :mod:`~.manager`: loading built-in and entry-point plugins lazily, once;
- :mod:`~.builtin`: the built-in generators, registered through the same hook.
"""
