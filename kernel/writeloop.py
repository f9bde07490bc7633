"""The loop every write-like system call runs (write on any file; send, sendto and
sendmsg on a socket): write until the whole buffer is in, sleeping while the file would
block, and end with a short count where Linux does (O_NONBLOCK or MSG_DONTWAIT once
some bytes went in, a signal during the wait, an error after a partial write), with
SIGPIPE on EPIPE unless the caller said MSG_NOSIGNAL. One loop, so a file and a
socket cannot drift apart in these rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import EAGAIN, EINTR, EPIPE, O_NONBLOCK, SIGPIPE, Error
from kernel.fs.vfs import WouldBlock

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from kernel.fs.file import File
    from kernel.kernel import Kernel
    from kernel.thread import Sleep, Thread


def write_loop(
    k: Kernel,
    t: Thread,
    f: File,
    step: Callable[[int], int],
    total: int,
    *,
    dontwait: bool = False,
    sigpipe: bool = True,
    cost: int = 0,
) -> Generator[Sleep, None, int]:
    """The loop of every write-like call (write, send, sendto, sendmsg): write until all
    ``total`` bytes are in, sleeping while the file would block.

    Args:
        k, t: the kernel and the calling thread.
        f: the open file written to; its O_NONBLOCK is read each time it would block
            (fcntl may set it meanwhile, as Linux's pipe_write sees).
        step: writes the data from offset ``done`` on (``step(done)``) and returns how
            many bytes it took; raises ``WouldBlock`` when none fit now, or an Error.
        total: the length of the data.
        dontwait: fail with EAGAIN instead of sleeping even without O_NONBLOCK
            (send's MSG_DONTWAIT).
        sigpipe: send SIGPIPE to the caller on EPIPE (not with MSG_NOSIGNAL).
        cost: virtual time charged per successful step (the machine's I/O cost).

    Returns:
        ``total``, or the count written so far when a partial write ends early (EAGAIN
        on a non-blocking file, a signal (EINTR), or an error after some bytes went
        in), as Linux returns a short count instead of the error.
    """
    done = 0
    while True:
        try:
            n = step(done)
        except WouldBlock as wb:
            if dontwait or f.flags & O_NONBLOCK:
                if done:
                    return done
                raise Error(EAGAIN) from None
            try:
                yield wb.sleep
            except Error as err:
                if err.errno == EINTR and done:
                    return done
                raise
            continue
        except Error as err:
            if err.errno == EPIPE and sigpipe:
                k.signals.send(t.proc, SIGPIPE)
            if done:
                return done
            raise
        done += n
        t.proc.wchar += n
        if cost:
            k.charge(cost)
        if done >= total:
            return total
