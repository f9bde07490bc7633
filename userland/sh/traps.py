"""Traps: ``trap 'commands' SIG…``, ignoring signals, and the EXIT trap.

libk runs no signal handler asynchronously. A trapped signal is set to the kernel's
SIG_CATCH disposition: when it arrives it becomes pending in the process and interrupts
a blocking call (read, wait4, thread_join) with EINTR. The shell collects pending
signals with ``sigtake`` between commands (only while some trap is set, so untrapped
shells pay nothing) and after an EINTR, runs their traps with ``$?`` preserved, and
then goes on (a wait for a foreground job is simply retried).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import (
    NSIG,
    SIG_CATCH,
    SIG_DFL,
    SIG_IGN,
    SIGINT,
    SIGNAL_NAMES,
    SIGQUIT,
    SIGTSTP,
    SIGTTIN,
    SIGTTOU,
    Error,
    signal_number,
)
from userland.libk import sys

if TYPE_CHECKING:
    from userland.sh.interp import IO, Shell

_INTERACTIVE_IGNORED = (SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU)


def trap_name(sig: int) -> str:
    """``EXIT`` for 0, else the signal's name without ``SIG``."""
    return "EXIT" if sig == 0 else SIGNAL_NAMES.get(sig, f"SIG{sig}")[3:]


def parse_condition(text: str) -> int:
    """A trap condition: ``EXIT``/``0``, a signal name (with or without SIG) or number.

    Raises:
        Error: EINVAL for an unknown condition.
    """
    if text.upper() in ("EXIT", "SIGEXIT", "0"):
        return 0
    return signal_number(text)


class TrapMixin:
    """The trap half of :class:`userland.sh.interp.Shell`."""

    traps: dict[int, str]
    catching: bool

    async def run_traps(self: Shell) -> list[int]:  # type: ignore[misc]
        """Collect the pending caught signals and run their traps; return the signals."""
        if not self.catching:
            return []
        try:
            sigs = await sys.sigtake()
        except Error:
            return []
        for sig in sigs:
            action = self.traps.get(sig)
            if action:
                await self.run_trap_action(action)
        return sigs

    async def run_trap_action(self: Shell, action: str) -> None:  # type: ignore[misc]
        """Run a trap's commands; ``$?`` is what it was before."""
        from userland.sh.builtins import run_source

        saved = self.status
        try:
            await run_source(self, action, {0: 0, 1: 1, 2: 2})
        finally:
            self.status = saved

    async def run_exit_trap(self: Shell, status: int) -> int:  # type: ignore[misc]
        """Run the EXIT trap once (``$?`` is the exit status); return the final status."""
        from userland.sh.errors import ShellExit

        action = self.traps.pop(0, None)
        if not action:
            return status
        self.status = status
        try:
            from userland.sh.builtins import run_source

            await run_source(self, action, {0: 0, 1: 1, 2: 2})
        except ShellExit as ex:
            return ex.status
        return status

    async def set_trap(self: Shell, sig: int, action: str | None) -> None:  # type: ignore[misc]
        """Set (a string), ignore (``""``) or reset (None) the trap of ``sig``.

        Raises:
            Error: the kernel refused the disposition (SIGKILL, SIGSTOP).
        """
        if sig != 0:
            if action is None:
                keep_ignored = self.interactive and sig in _INTERACTIVE_IGNORED
                disposition = SIG_IGN if keep_ignored else SIG_DFL
            else:
                disposition = SIG_CATCH if action else SIG_IGN
            await sys.sigaction(sig, disposition)
        if action is None:
            self.traps.pop(sig, None)
        else:
            self.traps[sig] = action
        self.catching = any(s and a for s, a in self.traps.items())


async def b_trap(sh: Shell, argv: list[str], io: IO) -> int:
    """``trap [action] condition…``, ``trap`` (list), ``trap -l``."""
    from userland.sh.builtins import shell_quote

    args = argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args or args == ["-p"]:
        for sig in sorted(sh.traps):
            await sh.write(io, 1, f"trap -- {shell_quote(sh.traps[sig])} {trap_name(sig)}\n")
        return 0
    if args[0] == "-l":
        names = [f"{n:2d}) {SIGNAL_NAMES[n]}" for n in range(1, NSIG) if n in SIGNAL_NAMES]
        await sh.write(io, 1, "\n".join(names) + "\n")
        return 0
    action: str | None
    if args[0] == "-" or args[0].isdigit():
        # `trap - SIG…` resets; so does a first operand that is a number (POSIX)
        action = None
        conditions = args[1:] if args[0] == "-" else args
    else:
        action = args[0]
        conditions = args[1:]
        if not conditions:
            await sh.write(io, 2, f"trap: {args[0]}: bad trap\n")
            return 1
    status = 0
    for cond in conditions:
        try:
            sig = parse_condition(cond)
            await sh.set_trap(sig, action)
        except Error:
            await sh.write(io, 2, f"trap: {cond}: bad trap\n")  # dash: no "sh: LINE:"
            status = 1
    return status
