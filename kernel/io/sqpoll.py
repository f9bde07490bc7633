"""The submission-polling thread of a ring set up with SETUP_SQPOLL (Linux's
``iou-sqp-<pid>``): submission with no system call at all.

It is a thread of the ring's process (``ps -L`` shows it as ``iou-sqp-<pid>``), running
kernel code: it loads the submission tail in a loop and consumes whatever the process
published, paying for every load and every pass of the loop in virtual time like any
spinning thread. After ``SQ_THREAD_IDLE`` with nothing to do it sets SQ_NEED_WAKEUP in
the ring's flags and sleeps (``ring_enter(fd, 0, 0, ENTER_SQ_IDLE)``, with no deadline);
``ring_enter(fd, 0, 0, ENTER_SQ_WAKEUP)`` (which libk's ``submit`` calls only when it
sees the flag) wakes it. It leaves when the ring closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import (
    CHECKPOINT,
    CQE_SIZE,
    ENTER_SQ_IDLE,
    SQ_NEED_WAKEUP,
    SQE_SIZE,
    SYSCALL_BY_NAME,
    Error,
    Req,
)
from kernel.abi.tls import TLS
from kernel.thread import Thread

if TYPE_CHECKING:
    from kernel.io.ring import Ring
    from kernel.kernel import Kernel

SQ_THREAD_IDLE = 1_000_000  # ns of finding nothing before it sleeps
_RING_ENTER = SYSCALL_BY_NAME["ring_enter"].nr
_NANOSLEEP = SYSCALL_BY_NAME["nanosleep"].nr
_SPIN = Req(CHECKPOINT, ())


async def sq_thread(k: Kernel, ring: Ring) -> int:
    """The polling loop (the thread's coroutine)."""
    view = ring.proc.mm.view
    entry_words = (SQE_SIZE + CQE_SIZE) // 8
    last = k.now()
    while not ring.closed:
        view.n += 1  # the load of the tail
        n = ring.sq_pending
        if n:
            view.n += entry_words * n
            ring.submit(ring.poller, n, charge=False)  # type: ignore[arg-type]
            last = k.now()
        elif k.now() - last >= SQ_THREAD_IDLE:
            ring.set_sq_flag(SQ_NEED_WAKEUP, True)
            if ring.sq_pending:  # published while the flag was going up: no sleep
                ring.set_sq_flag(SQ_NEED_WAKEUP, False)
                continue
            try:
                await Req(_RING_ENTER, (ring.fd, 0, 0, ENTER_SQ_IDLE))
            except Error:  # its descriptor is gone or another file: look again in a while
                await Req(_NANOSLEEP, (SQ_THREAD_IDLE,))
            ring.set_sq_flag(SQ_NEED_WAKEUP, False)
            last = k.now()
        else:
            await _SPIN
    return 0


def start_sq_thread(k: Kernel, ring: Ring, cpu: int) -> Thread:
    """Create the ring's polling thread in its process and make it runnable."""
    from kernel.sysproc import check_task_limits

    proc = ring.proc
    check_task_limits(k, proc.cred, proc.cred.uid, proc)
    tid = k.procs.alloc_id()
    th = Thread(
        tid=tid,
        proc=proc,
        coro=sq_thread(k, ring),
        name=f"iou-sqp-{proc.pid}"[:15],
        cpu=cpu,
        start_time=k.now(),
        tls=TLS(tid, proc.runtime),
    )
    proc.threads.append(th)
    k.procs.threads[tid] = th
    k.make_runnable(th)
    ring.poller = th
    return th


def wake_sq_thread(k: Kernel, ring: Ring) -> None:
    """ENTER_SQ_WAKEUP, or the ring closing: end the thread's sleep."""
    if ring.sq_wait:
        k.wake_all(ring.sq_wait)
