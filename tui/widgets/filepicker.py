"""The "open another machine" dialog: a tree of machine files and a path field."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label

MACHINE_SUFFIXES = (".yaml", ".yml")


class MachineTree(DirectoryTree):
    """A directory tree that shows only directories and machine files."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        """Keep directories (not hidden) and ``*.yaml`` / ``*.yml`` files."""
        out = []
        for p in paths:
            if p.name.startswith("."):
                continue
            try:
                if p.is_dir() or p.suffix in MACHINE_SUFFIXES:
                    out.append(p)
            except OSError:
                continue
        return out


class FilePicker(ModalScreen[str | None]):
    """Pick a machine file; dismisses with its path, or None when cancelled."""

    DEFAULT_CSS = """
    FilePicker {
        align: center middle;
    }
    FilePicker > Vertical {
        width: 80%;
        height: 80%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    FilePicker MachineTree {
        height: 1fr;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, start: str | None = None) -> None:
        super().__init__()
        self.start = start or os.getcwd()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Open a machine file (Enter on a file, or type a path)")
            yield Input(placeholder="path/to/machine.yaml", id="path")
            yield MachineTree(self.start, id="tree")

    def on_mount(self) -> None:
        """Start in the path field."""
        self.query_one("#path", Input).focus()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        """A file chosen in the tree."""
        self.dismiss(str(event.path))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """A path typed in the field."""
        value = event.value.strip()
        if value:
            self.dismiss(os.path.expanduser(value))

    def action_cancel(self) -> None:
        """Close without opening anything."""
        self.dismiss(None)
