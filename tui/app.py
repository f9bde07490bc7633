"""The libk Textual app: header, console pane, the machine's panes, machine controls.

``LibkApp(info)`` boots a :class:`tui.machine.Machine` and runs it in budgeted slices
from a timer (unless ``autorun=False``: tests drive the machine themselves, so the
screens they snapshot are deterministic).
"""

from __future__ import annotations

import importlib
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Static, TabbedContent, TabPane

from kernel.image import BootInfo
from tui.machine import Machine

#: The panes beside the console: (widget id, tab title, "module:Class"). A pane is
#: built as ``Class(host)`` and has ``refresh_data()``. Adding a pane is one line.
PANES: list[tuple[str, str, str]] = [
    ("processes", "Processes", "tui.widgets.panes.processes:ProcessesPane"),
    ("threads", "Threads", "tui.widgets.panes.threads:ThreadsPane"),
    ("procfs", "/proc", "tui.widgets.panes.procbrowser:ProcBrowserPane"),
]


def pane_class(spec: str) -> Any:
    """Import ``module:Class``."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class LibkApp(App):
    """The libk-tui app."""

    TITLE = "libk"

    def __init__(self, info: BootInfo | str | None = None, *, autorun: bool = True) -> None:
        super().__init__()
        self.machine = Machine(info)
        self.autorun = autorun

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(id="console")
            with TabbedContent(id="panes"):
                for pane_id, title, spec in PANES:
                    with TabPane(title, id=f"tab-{pane_id}"):
                        pane = pane_class(spec)(self.machine.host)
                        pane.id = pane_id
                        yield pane
        yield Footer()
