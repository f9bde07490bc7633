"""The command palette's libk commands: every machine control and every pane action.

Machine controls are listed here once (title, help, action); pane actions are found in
the panes' own key bindings, so a pane that adds a binding appears in the palette
without a change here. Textual's own commands (themes, keys, quit) are kept beside
them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.machine import FAST, SPEEDS, speed_label

if TYPE_CHECKING:
    from tui.app import LibkApp

#: (title, help, action string run on the app).
CONTROLS: list[tuple[str, str, str]] = [
    ("Pause / resume", "Stop or restart the machine's clock (F5)", "toggle_pause"),
    ("Step", "Pause, then run one scheduling quantum of virtual time (F6)", "step"),
    ("Slower", "The next slower speed (F7)", "slower"),
    ("Faster", "The next faster speed, up to fast (F8)", "faster"),
    ("Reboot", "Boot the machine again from its machine file (F9)", "reboot"),
    ("Open machine file…", "Boot another machine file (^O)", "open_image"),
    ("Power off", "Power the machine off; F9 boots it again", "power_off"),
    ("Help", "What the panes show and what the keys do (F1)", "help"),
    ("Save screenshot", "Save an SVG screenshot in the current directory (F12)", "screenshot"),
    ("Focus console", "Type at the machine's console (F2)", "focus_console"),
    ("Focus panes", "Move the focus to the visible pane (F3)", "focus_panes"),
    ("Next pane", "Bring the next pane to the front (F4)", "next_pane"),
    (
        "Maximise / restore",
        "Let the focused pane fill the screen, or restore (F11)",
        "toggle_maximize",
    ),
]


def speed_commands() -> list[tuple[str, str, str]]:
    """One command per speed."""
    out = [
        (f"Speed {speed_label(s, False)}", f"Run the clock at {s:g}× host time", f"speed('{s}')")
        for s in SPEEDS
    ]
    out.append(("Speed fast", "Skip idle time: the clock jumps to the next event", "speed('fast')"))
    return out


def pane_commands(app: LibkApp) -> list[tuple[str, str, str]]:
    """ "Show <pane>" for every pane, and each pane's own bindings as "<Pane>: <action>"."""
    from textual.widgets import TabPane

    out = []
    for tab in app.query(TabPane):
        pane_id = (tab.id or "").removeprefix("tab-")
        title = str(tab._title) if hasattr(tab, "_title") else pane_id
        out.append(
            (f"Show {title}", f"Bring the {title} pane to the front", f"show_pane('{pane_id}')")
        )
        for child in tab.children:
            for binding in _bindings(child):
                if not binding.description:
                    continue
                out.append(
                    (
                        f"{title}: {binding.description}",
                        binding.tooltip or f"{binding.description} ({binding.key})",
                        f"pane_action('{pane_id}', '{binding.action}')",
                    )
                )
    return out


def _bindings(widget: Any) -> list[Any]:
    from textual.binding import Binding

    out = []
    for item in getattr(type(widget), "BINDINGS", []):
        if isinstance(item, Binding):
            out.append(item)
        elif isinstance(item, tuple) and len(item) >= 3:
            out.append(Binding(*item))
    return out


def all_commands(app: LibkApp) -> list[tuple[str, str, str]]:
    """Every libk command the palette offers right now."""
    return CONTROLS + speed_commands() + pane_commands(app)


class MachineCommands(Provider):
    """Machine controls and pane actions for Textual's command palette."""

    def _runner(self, action: str) -> Callable[[], Any]:
        app = self.app

        async def run() -> None:
            await app.run_action(action)

        return run

    async def discover(self) -> Hits:
        """Everything, for the empty palette."""
        for title, help_text, action in all_commands(self.app):  # type: ignore[arg-type]
            yield DiscoveryHit(title, self._runner(action), help=help_text)

    async def search(self, query: str) -> Hits:
        """Commands whose title matches ``query``."""
        matcher = self.matcher(query)
        for title, help_text, action in all_commands(self.app):  # type: ignore[arg-type]
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._runner(action), help=help_text)


__all__ = ["CONTROLS", "FAST", "MachineCommands", "all_commands", "speed_commands"]
