"""Signal numbers, names, default actions and messages; dispositions."""

from __future__ import annotations

from kernel.abi.errno import EINVAL, Error

_SIGNALS = [
    ("SIGHUP", 1, "term", "Hangup"),
    ("SIGINT", 2, "term", "Interrupt"),
    ("SIGQUIT", 3, "core", "Quit"),
    ("SIGILL", 4, "core", "Illegal instruction"),
    ("SIGTRAP", 5, "core", "Trace/breakpoint trap"),
    ("SIGABRT", 6, "core", "Aborted"),
    ("SIGBUS", 7, "core", "Bus error"),
    ("SIGFPE", 8, "core", "Floating point exception"),
    ("SIGKILL", 9, "term", "Killed"),
    ("SIGUSR1", 10, "term", "User defined signal 1"),
    ("SIGSEGV", 11, "core", "Segmentation fault"),
    ("SIGUSR2", 12, "term", "User defined signal 2"),
    ("SIGPIPE", 13, "term", "Broken pipe"),
    ("SIGALRM", 14, "term", "Alarm clock"),
    ("SIGTERM", 15, "term", "Terminated"),
    ("SIGCHLD", 17, "ign", "Child exited"),
    ("SIGCONT", 18, "cont", "Continued"),
    ("SIGSTOP", 19, "stop", "Stopped (signal)"),
    ("SIGTSTP", 20, "stop", "Stopped"),
    ("SIGTTIN", 21, "stop", "Stopped (tty input)"),
    ("SIGTTOU", 22, "stop", "Stopped (tty output)"),
    ("SIGURG", 23, "ign", "Urgent I/O condition"),
    ("SIGWINCH", 28, "ign", "Window changed"),
    ("SIGSYS", 31, "core", "Bad system call"),
]
NSIG = 32
SIGNAL_NAMES: dict[int, str] = {num: name for name, num, _, _ in _SIGNALS}
SIGNAL_NUMBERS: dict[str, int] = {name: num for name, num, _, _ in _SIGNALS}
SIGNAL_DEFAULTS: dict[int, str] = {num: act for _, num, act, _ in _SIGNALS}
SIGNAL_MESSAGES: dict[int, str] = {num: msg for _, num, _, msg in _SIGNALS}
SIGHUP = 1
SIGINT = 2
SIGQUIT = 3
SIGILL = 4
SIGTRAP = 5
SIGABRT = 6
SIGBUS = 7
SIGFPE = 8
SIGKILL = 9
SIGUSR1 = 10
SIGSEGV = 11
SIGUSR2 = 12
SIGPIPE = 13
SIGALRM = 14
SIGTERM = 15
SIGCHLD = 17
SIGCONT = 18
SIGSTOP = 19
SIGTSTP = 20
SIGTTIN = 21
SIGTTOU = 22
SIGURG = 23
SIGWINCH = 28
SIGSYS = 31

SIG_DFL = 0
SIG_IGN = 1
#: libk's way of catching a signal: it becomes pending, interrupts blocking calls with
#: EINTR, and the program collects it with sigtake() (no handler runs asynchronously).
SIG_CATCH = 2


def signal_number(name: str) -> int:
    """Parse ``"TERM"``, ``"SIGTERM"`` or ``"15"`` into a signal number.

    Raises:
        Error: EINVAL if the name is not a signal.
    """
    text = name.strip().upper()
    if text.isdigit():
        num = int(text)
        if 0 <= num < NSIG:
            return num
        raise Error(EINVAL, f"invalid signal number: {name}")
    if not text.startswith("SIG"):
        text = "SIG" + text
    if text in SIGNAL_NUMBERS:
        return SIGNAL_NUMBERS[text]
    raise Error(EINVAL, f"invalid signal specification: {name}")
