"""poll(2): wait until one of several files is ready — Linux's fs/select.c.

Each file answers through its inode's ``poll(f)`` (the events that would not block
now, and the wait queues a change is announced on): pipes and FIFOs, terminals, rings,
block devices and plain files (always ready). The caller sleeps on all those queues at
once, with the timeout as the deadline, and looks again when any wakes it; a signal
ends the wait with EINTR. ``select`` is libk's, over this call
(``userland.libk.poll``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import EINVAL, POLLERR, POLLHUP, POLLNVAL, Error
from kernel.thread import Sleep

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread

#: The most entries one call may pass (Linux: RLIMIT_NOFILE; ours, its default).
POLL_MAX = 1024
_MS = 1_000_000


def _entries(fds: Any) -> list[tuple[int, int]]:
    """The (fd, events) pairs, checked: EINVAL for anything else."""
    if not isinstance(fds, (list, tuple)) or len(fds) > POLL_MAX:
        raise Error(EINVAL, "poll: fds must be a list of (fd, events) pairs, at most 1024")
    out = []
    for entry in fds:
        if (
            not isinstance(entry, (list, tuple))
            or len(entry) != 2
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in entry)
            or not -(2**31) <= entry[0] < 2**31
            or not 0 <= entry[1] < 2**16
        ):
            raise Error(EINVAL, f"poll: bad entry {entry!r}: want (fd, events)")
        out.append((entry[0], entry[1]))
    return out


def scan(t: Thread, entries: list[tuple[int, int]]) -> tuple[list[int], list[Any]]:
    """Each entry's revents now (a negative fd: 0; a closed one: POLLNVAL), and the
    wait queues to sleep on until one may change."""
    files = t.proc.fds.files
    revents: list[int] = []
    queues: list[Any] = []
    for fd, events in entries:
        if fd < 0:
            revents.append(0)
            continue
        f = files.get(fd)
        if f is None:
            revents.append(POLLNVAL)
            continue
        ready, qs = f.inode.poll(f)
        revents.append(ready & (events | POLLERR | POLLHUP))
        for q in qs:
            if q not in queues:
                queues.append(q)
    return revents, queues


def sys_poll(k: Kernel, t: Thread, fds: Any, timeout: int) -> Any:
    entries = _entries(fds)
    deadline = None if timeout < 0 else k.now() + timeout * _MS
    while True:
        revents, queues = scan(t, entries)
        if any(revents) or timeout == 0:
            return revents
        if deadline is not None and k.now() >= deadline:
            return revents
        yield Sleep(tuple(queues), deadline, "do_sys_poll")
