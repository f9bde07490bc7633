"""Processes from a program's side: spawning, waiting, describing how a child ended."""

from __future__ import annotations

from kernel.abi import (
    SIGNAL_MESSAGES,
    WCOREDUMP,
    WEXITSTATUS,
    WIFEXITED,
    WIFSIGNALED,
    WIFSTOPPED,
    WSTOPSIG,
    WTERMSIG,
)


def exit_code(status: int) -> int:
    """The shell's view of a wait status: the exit code, or 128 + the signal."""
    if WIFEXITED(status):
        return WEXITSTATUS(status)
    if WIFSIGNALED(status):
        return 128 + WTERMSIG(status)
    if WIFSTOPPED(status):
        return 128 + WSTOPSIG(status)
    return 0


def describe(status: int) -> str:
    """What a shell prints for a child that did not exit normally ("" if it did).

    ``Segmentation fault (core dumped)``, ``Killed``, ``Terminated``, ``Stopped``…;
    SIGINT and SIGPIPE print nothing, as in sh.
    """
    if WIFSIGNALED(status):
        sig = WTERMSIG(status)
        if sig in (2, 13):
            return ""
        text = SIGNAL_MESSAGES.get(sig, f"Signal {sig}")
        return text + (" (core dumped)" if WCOREDUMP(status) else "")
    if WIFSTOPPED(status):
        return SIGNAL_MESSAGES.get(WSTOPSIG(status), "Stopped")
    return ""
