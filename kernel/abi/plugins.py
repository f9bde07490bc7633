"""Plugins a program may load: the heap strategies of the ``libk.allocators``
entry-point group (a program's ``dlopen``, limited to registered names).

Userland never touches the host, so it cannot import a module by name itself; this is
the one door, and it opens only onto names a package registered (or a test registered
at run time), in the groups listed in :data:`GROUPS`.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from typing import Any

from kernel.abi.errno import EINVAL, Error

__all__ = ["PLUGIN_GROUPS", "plugin", "plugin_names", "register_plugin"]

PLUGIN_GROUPS = ("libk.allocators",)

_registered: dict[str, dict[str, Any]] = {}


def _group(group: str) -> dict[str, Any]:
    if group not in PLUGIN_GROUPS:
        raise Error(EINVAL, f"{group}: not a plugin group (there are: {', '.join(PLUGIN_GROUPS)})")
    found = _registered.get(group)
    if found is None:
        found = _registered[group] = {}
        for ep in metadata.entry_points(group=group):
            found.setdefault(ep.name, ep.value)
    return found


def register_plugin(group: str, name: str, obj: Any) -> None:
    """Register ``obj`` as ``name`` at run time (as an entry point would): tests, embedding."""
    _group(group)[name] = obj


def plugin_names(group: str) -> list[str]:
    """The names registered in ``group``, sorted."""
    return sorted(_group(group))


def plugin(group: str, name: str) -> Any:
    """The object registered as ``name`` in ``group``, imported on first use.

    Raises:
        Error: EINVAL for a name nobody registered (the message lists the names), or one
            whose module fails to load (the message says why).
    """
    found = _group(group)
    entry = found.get(name)
    if entry is None:
        raise Error(EINVAL, f"{name}: not registered (there are: {', '.join(plugin_names(group))})")
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        try:
            obj: Any = importlib.import_module(module)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except Exception as err:  # noqa: BLE001 - a broken plugin is its package's fault
            raise Error(
                EINVAL, f"{name}: cannot load {entry}: {type(err).__name__}: {err}"
            ) from None
        found[name] = entry = obj
    return entry
