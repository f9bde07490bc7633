"""The panic view: shown in place of the panes when the kernel panics."""

from __future__ import annotations

import os

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static


def readable_report(report: str) -> str:
    """The report with source paths shown relative to the checkout (kernel/..., tests/...)."""
    import kernel

    root = os.path.dirname(os.path.dirname(os.path.abspath(kernel.__file__))) + os.sep
    return report.replace(root, "")


class PanicView(VerticalScroll, can_focus=True):
    """The panic report, with keys to reboot or quit."""

    DEFAULT_CSS = """
    PanicView {
        background: $error 15%;
        border: heavy $error;
        padding: 0 1;
    }
    PanicView > #panic-title {
        text-style: bold;
        color: $text-error;
        margin-bottom: 1;
    }
    PanicView > #panic-keys {
        margin-top: 1;
        color: $text-muted;
    }
    """
    BINDINGS = [
        Binding("r", "app.reboot", "Reboot"),
        Binding("q", "app.quit", "Quit"),
    ]
    ALLOW_MAXIMIZE = True

    def __init__(self, report: str, *, id: str | None = "panic") -> None:  # noqa: A002
        super().__init__(id=id)
        self.report = report
        self.border_title = "kernel panic"

    def compose(self) -> ComposeResult:
        yield Static("The kernel panicked and the machine has halted.", id="panic-title")
        yield Static(Text(readable_report(self.report)), id="panic-report")
        yield Static(
            "r or F9: reboot the machine    q or ^Q: quit    the console keeps the last output",
            id="panic-keys",
        )
