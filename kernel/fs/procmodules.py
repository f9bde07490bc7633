"""``/proc/modules``: the loaded modules in Linux's format (kernel/module/procfs.c's
m_show): ``name size refcnt holders, state address``, the holders each followed by a
comma (``-`` for none), the state ``Live``, ``Loading`` or ``Unloading``, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel.kernel import Kernel

STATES = {"live": "Live", "coming": "Loading", "going": "Unloading"}


def modules_text(k: Kernel) -> str:
    """The text of /proc/modules."""
    mods = getattr(k, "modules", None)
    if mods is None:
        return ""
    lines = []
    for mod in reversed(list(mods.loaded.values())):
        holders = "".join(f"{h}," for h in mod.holders) or "-"
        lines.append(
            f"{mod.name} {mod.defn.size} {mod.refcnt} {holders} {STATES[mod.state]}"
            " 0x0000000000000000\n"
        )
    return "".join(lines)
