"""Heap strategies by name: the ``libk.allocators`` entry-point group.

A package adds a strategy by registering an :class:`~userland.libk.heap.arena.Arena`
subclass under the group (``mine = "mypkg.heap:MyArena"``); ``LIBK_HEAP=mine`` then
selects it, and the heap pane, heapstat, the checks and heapbench work with it as with
the built-in ones. Only registered names are ever imported.
"""

from __future__ import annotations

import importlib
from importlib import metadata

from kernel.abi import EINVAL, Error
from userland.libk.heap.arena import Arena

GROUP = "libk.allocators"

_registered: dict[str, type[Arena] | str] = {}
_discovered = False


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    for ep in metadata.entry_points(group=GROUP):
        _registered.setdefault(ep.name, ep.value)


def register_strategy(name: str, cls: type[Arena]) -> None:
    """Register a strategy at run time (as an entry point would): tests, embedding."""
    _discover()
    _registered[name] = cls


def strategy_names() -> list[str]:
    """Every registered strategy's name, sorted."""
    _discover()
    return sorted(_registered)


def strategy_class(name: str) -> type[Arena]:
    """The Arena class registered as ``name``.

    Raises:
        Error: EINVAL for a name nobody registered, or one whose module fails to load.
    """
    _discover()
    entry = _registered.get(name)
    if entry is None:
        known = ", ".join(strategy_names())
        raise Error(EINVAL, f"LIBK_HEAP={name}: no such heap strategy (there are: {known})")
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except Exception as err:  # noqa: BLE001 - a broken plugin is the user's to see
            raise Error(EINVAL, f"LIBK_HEAP={name}: cannot load {entry}: {err}") from None
        if not (isinstance(cls, type) and issubclass(cls, Arena)):
            raise Error(EINVAL, f"LIBK_HEAP={name}: {entry} is not a heap Arena class")
        _registered[name] = entry = cls
    return entry
