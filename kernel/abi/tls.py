"""The thread pointer: how a program reaches its thread's and its process's runtime data
without a system call, as libc does through x86-64's %fs register.

Programs share one Python interpreter, so a library cannot keep a process's state in
module globals. Instead the kernel gives every thread a :class:`TLS` block and loads
``tp.tls`` with the running thread's block each time it puts a thread on a CPU (a
register load, free in virtual time). ``TLS.process`` is one dict per process, shared
by its threads (libk's process-wide state: the heap); ``TLS.data`` is the thread's own
(its arena). ``TLS.cpu`` is the CPU the thread is running on, kept current by the
kernel as Linux keeps ``rseq->cpu_id``, so ``sched_getcpu()`` needs no system call.

Only the running thread may rely on ``tp.tls``: read it, use it, and do not keep it
across an ``await`` (another thread runs meanwhile).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TLS", "ThreadPointer", "tp", "current_tls", "caller_name"]


@dataclass(slots=True, eq=False)
class TLS:
    """A thread's block, reached through ``tp.tls`` while the thread runs.

    Attributes:
        tid: the thread's id.
        cpu: the CPU it is running on (the kernel updates it when it switches the
            thread in).
        process: the process's runtime data, one dict shared by its threads.
        data: this thread's runtime data.
    """

    tid: int
    process: dict[str, Any]
    cpu: int = 0
    data: dict[str, Any] = field(default_factory=dict)


class ThreadPointer:
    """The register: ``tls`` is the running thread's block (None outside any thread)."""

    __slots__ = ("tls",)

    def __init__(self) -> None:
        self.tls: TLS | None = None


tp = ThreadPointer()


def current_tls() -> TLS:
    """The running thread's block.

    Raises:
        RuntimeError: called outside a thread of the machine.
    """
    tls = tp.tls
    if tls is None:
        raise RuntimeError("no thread is running: tp.tls is only set inside the machine")
    return tls


def caller_name(skip_prefix: str) -> str:
    """The name of the innermost function on the running thread's stack whose module
    does not start with ``skip_prefix`` (glibc's ``__builtin_return_address`` plus
    symbolisation, for a library that reports who called it: the heap's leak report).
    """
    f = sys._getframe(1)
    while f is not None and f.f_globals.get("__name__", "").startswith(skip_prefix):
        f = f.f_back  # type: ignore[assignment]
    if f is None:
        return "?"
    return f.f_code.co_qualname.rsplit("<locals>.", 1)[-1]  # Demo.alloc, or a nested one's name
