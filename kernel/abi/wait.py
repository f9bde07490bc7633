"""Wait statuses: how the kernel encodes them and the macros that decode them."""

from __future__ import annotations

WNOHANG = 1
WUNTRACED = 2
WCONTINUED = 8


def W_EXITCODE(code: int, sig: int = 0) -> int:  # noqa: N802 - C macro names
    """Encode a wait status the way the kernel does."""
    return ((code & 0xFF) << 8) | (sig & 0x7F)


def W_STOPCODE(sig: int) -> int:  # noqa: N802
    """Encode a "stopped by sig" wait status."""
    return (sig << 8) | 0x7F


W_CONTINUED = 0xFFFF


def WIFEXITED(status: int) -> bool:  # noqa: N802
    """True if the child exited normally."""
    return (status & 0x7F) == 0


def WEXITSTATUS(status: int) -> int:  # noqa: N802
    """The exit code of a child that exited normally."""
    return (status >> 8) & 0xFF


def WIFSIGNALED(status: int) -> bool:  # noqa: N802
    """True if the child was killed by a signal."""
    return 0 < (status & 0x7F) < 0x7F


def WTERMSIG(status: int) -> int:  # noqa: N802
    """The signal that killed the child."""
    return status & 0x7F


def WCOREDUMP(status: int) -> bool:  # noqa: N802
    """True if the child 'dumped core' (was killed by a core-action signal)."""
    return bool(status & 0x80)


def WIFSTOPPED(status: int) -> bool:  # noqa: N802
    """True if the child is stopped."""
    return (status & 0xFF) == 0x7F


def WSTOPSIG(status: int) -> int:  # noqa: N802
    """The signal that stopped the child."""
    return (status >> 8) & 0xFF


def WIFCONTINUED(status: int) -> bool:  # noqa: N802
    """True if the child was continued by SIGCONT."""
    return status == W_CONTINUED
