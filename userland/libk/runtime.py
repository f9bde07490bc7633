"""A program's runtime: exit handlers, run when ``main`` returns (C's atexit and crt0),
and sched_getcpu without a system call.

Programs are coroutines started by the kernel with no C start-up code around them, so a
program that wants its exit handlers run (the heap's leak report, say) wraps its main
with :func:`program`; :func:`exit` runs them and ends the process from anywhere. A
crash or a signal runs none, as on Unix. Handlers are per process
(``tp.tls.process``), so the threads of a process share them.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import NoReturn

from kernel.abi import tp
from userland.libk import sys

Handler = Callable[[], Awaitable[None]]
Main = Callable[[list[str]], Awaitable[int]]


def atexit(handler: Handler) -> None:
    """Run ``handler`` when the program ends through :func:`program` or :func:`exit`
    (handlers run in the reverse order of registration)."""
    tp.tls.process.setdefault("atexit", []).append(handler)  # type: ignore[union-attr]


async def run_atexit() -> None:
    """Run the exit handlers once, newest first."""
    handlers: list[Handler] = tp.tls.process.pop("atexit", [])  # type: ignore[union-attr]
    for handler in reversed(handlers):
        await handler()


def program(main: Main) -> Main:
    """Wrap a program's ``main`` so its exit handlers run when it returns."""

    @functools.wraps(main)
    async def wrapper(argv: list[str]) -> int:
        status = await main(argv)
        await run_atexit()
        return status

    return wrapper


async def exit(status: int) -> NoReturn:  # noqa: A001 - C's name
    """Run the exit handlers and end the process with ``status``."""
    await run_atexit()
    await sys.exit_group(status)
    raise AssertionError("exit_group returned")  # pragma: no cover


def sched_getcpu() -> int:
    """The CPU the calling thread runs on, without a system call (the vDSO's way: the
    kernel keeps ``tp.tls.cpu`` current); the heap's per-CPU arenas choose by it."""
    return tp.tls.cpu  # type: ignore[union-attr]
