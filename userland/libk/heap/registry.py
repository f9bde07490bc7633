"""Heap strategies by name: the ``libk.allocators`` entry-point group.

A package adds a strategy by registering an :class:`~userland.libk.heap.arena.Arena`
subclass under the group (``mine = "mypkg.heap:MyArena"``); ``LIBK_HEAP=mine`` then
selects it, and the heap pane, heapstat, the checks and heapbench work with it as with
the built-in ones. Only registered names are ever loaded (through the ABI's plugin
loader: userland never imports by name itself).
"""

from __future__ import annotations

from kernel.abi import EINVAL, Error, plugin, plugin_names, register_plugin
from userland.libk.heap.arena import Arena

GROUP = "libk.allocators"


def register_strategy(name: str, cls: type[Arena]) -> None:
    """Register a strategy at run time (as an entry point would): tests, embedding."""
    register_plugin(GROUP, name, cls)


def strategy_names() -> list[str]:
    """Every registered strategy's name, sorted."""
    return plugin_names(GROUP)


def strategy_class(name: str) -> type[Arena]:
    """The Arena class registered as ``name``.

    Raises:
        Error: EINVAL for a name nobody registered, or one whose module fails to load.
    """
    names = strategy_names()
    if name not in names:
        known = ", ".join(names)
        raise Error(EINVAL, f"LIBK_HEAP={name}: no such heap strategy (there are: {known})")
    try:
        cls = plugin(GROUP, name)
    except Error as err:
        raise Error(
            EINVAL, f"LIBK_HEAP={name}: {err.message.replace(name + ': ', '', 1)}"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Arena)):
        raise Error(EINVAL, f"LIBK_HEAP={name}: {cls!r} is not a heap Arena class")
    return cls
