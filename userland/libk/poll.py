"""``select`` over the poll(2) system call, as the C library's select is to Linux's
ppoll for programs that think in sets of descriptors.

``await poll([(fd, POLLIN), …], timeout_ms)`` is the system call itself (in
``userland.libk.sys``); :func:`select` takes three iterables of descriptors and a
timeout in seconds (None: wait for ever) and returns the three lists that are ready,
as Python's ``select.select`` does.
"""

from __future__ import annotations

from collections.abc import Iterable

from kernel.abi import EBADF, EINVAL, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, Error
from userland.libk import sys

READABLE = POLLIN | POLLHUP | POLLERR  # select counts end of file and errors as readable
WRITABLE = POLLOUT | POLLERR


async def select(
    rlist: Iterable[int],
    wlist: Iterable[int],
    xlist: Iterable[int],
    timeout: float | None = None,
) -> tuple[list[int], list[int], list[int]]:
    """Wait until a descriptor is ready to read, to write, or has an exceptional
    condition (out-of-band data: POLLPRI); return the ready ones of each list.

    Args:
        rlist, wlist, xlist: descriptors to watch for each condition.
        timeout: seconds to wait at most (0: just look); None: no limit.

    Raises:
        Error: EBADF for a descriptor that is not open; EINVAL for a negative
            timeout; EINTR when a signal ends the wait.
    """
    r, w, x = list(rlist), list(wlist), list(xlist)
    if timeout is not None and timeout < 0:
        raise Error(EINVAL, "select: negative timeout")
    wanted: dict[int, int] = {}
    for fds, events in ((r, POLLIN), (w, POLLOUT), (x, POLLPRI)):
        for fd in fds:
            wanted[fd] = wanted.get(fd, 0) | events
    order = list(wanted)
    ms = -1 if timeout is None else int(timeout * 1000 + 0.999999)
    revents = await sys.poll([(fd, wanted[fd]) for fd in order], ms)
    ready = dict(zip(order, revents, strict=True))
    if any(ev & POLLNVAL for ev in revents):
        raise Error(EBADF)
    return (
        [fd for fd in r if ready[fd] & READABLE],
        [fd for fd in w if ready[fd] & WRITABLE],
        [fd for fd in x if ready[fd] & POLLPRI],
    )
