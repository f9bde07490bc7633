"""Helpers for the TUI tests: a deterministic machine (and one whose busy loops use
virtual time quickly), test programs put in /bin only while a test runs, and a screen
as plain text."""

from __future__ import annotations

import dataclasses
import io
import itertools
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from textual.app import App

from kernel import boot
from kernel import programs as execmod
from kernel.abi import checkpoint
from kernel.exec import register_program
from kernel.image import BootInfo
from kernel.kernel import Kernel
from userland.libk import sys

SECOND = 1_000_000_000


def fast_info() -> BootInfo:
    """The default image with the clock in ``fast`` mode (its seed is fixed)."""
    info = boot.load(None)
    return dataclasses.replace(info, clock=dataclasses.replace(info.clock, mode="fast"))


def machine(argv: list[str]) -> Kernel:
    """The default image, fast clock, init running ``argv``. A checkpoint costs 100 us
    here (not 50 ns), so a busy loop uses virtual seconds in a few host milliseconds."""
    info = boot.load(None)
    costs = dataclasses.replace(info.clock.costs, checkpoint=100_000)
    clock = dataclasses.replace(info.clock, mode="fast", costs=costs)
    return boot.boot(boot.with_init(dataclasses.replace(info, clock=clock), argv))


async def busy(argv: list[str]) -> int:
    """A test program that spins forever (preemptible), using CPU time."""
    while True:
        await checkpoint()


async def idle(argv: list[str]) -> int:
    """A test program that sleeps 1,000 virtual seconds."""
    await sys.nanosleep(1000 * SECOND)
    return 0


class ProgramSet:
    """A test module's programs, in /bin only while one of its tests runs (other
    modules' machines, and their snapshots, must not see them).

    The module names its programs with :meth:`add` and registers them around each test
    with an autouse fixture that yields from :meth:`registered`.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.programs: dict[str, Any] = {}
        self.active = False
        self._seq = itertools.count(1)

    def add(self, main: Any) -> str:
        """A fresh name for ``main`` in /bin (``/bin/PREFIX_NAME_N``)."""
        name = f"{self.prefix}_{main.__name__}_{next(self._seq)}"
        self.programs[name] = main
        if self.active:
            register_program(name, main)
        return "/bin/" + name

    def registered(self) -> Iterator[None]:
        """Register the programs for one test, and remove them after it."""
        for name, main in self.programs.items():
            register_program(name, main)
        self.active = True
        yield
        self.active = False
        for name in self.programs:
            execmod._registered.pop(name, None)


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
