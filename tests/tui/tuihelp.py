"""Helpers for the TUI tests: a deterministic machine, and a screen as plain text."""

from __future__ import annotations

import dataclasses
import io

from rich.console import Console
from textual.app import App

from kernel import boot
from kernel.image import BootInfo


def fast_info() -> BootInfo:
    """The default image with the clock in ``fast`` mode (its seed is fixed)."""
    info = boot.load(None)
    return dataclasses.replace(info, clock=dataclasses.replace(info.clock, mode="fast"))


def screen_text(app: App) -> str:
    """The current screen (with any screens behind a modal) as lines of text."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    return console.export_text(styles=False)
