"""System-call wrappers: one function per entry of the ABI's table.

``await sys.read(fd, 4096)`` returns the call's value or raises :class:`Error` (one
error type, carrying errno and message; there is no global errno). The wrappers are
made from ``kernel.abi.SYSCALLS``, so the table is the one place a call is defined.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Generator
from typing import Any

from kernel.abi import SYSCALLS, Req, checkpoint

__all__ = ["checkpoint", "syscall"]


def syscall(nr: int, *args: Any) -> Req:
    """A raw system call by number: ``await syscall(SYSCALL_BY_NAME["getpid"].nr)``."""
    return Req(nr, args)


def _wrapper(nr: int, name: str, doc: str, nargs: int) -> Callable[..., Any]:
    # Generator-based coroutines: awaiting one yields the request straight to the
    # kernel, one frame fewer than awaiting a Req (whose __await__ is a generator too).
    if nargs == 0:
        shared = Req(nr, ())  # immutable, so every call can hand over the same request

        @types.coroutine
        def call(*args: Any) -> Generator[Req, Any, Any]:
            return (yield Req(nr, args) if args else shared)

    else:

        @types.coroutine
        def call(*args: Any) -> Generator[Req, Any, Any]:
            return (yield Req(nr, args))

    call.__name__ = call.__qualname__ = name
    call.__doc__ = doc
    return call


for _spec in SYSCALLS:
    _args = ", ".join(a.name if a.default is ... else f"{a.name}={a.default!r}" for a in _spec.args)
    globals()[_spec.name] = _wrapper(
        _spec.nr, _spec.name, f"{_spec.name}({_args}): {_spec.summary}.", len(_spec.args)
    )
    __all__.append(_spec.name)
