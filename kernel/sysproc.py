"""System calls on processes and threads: spawn, exit, wait, signals, ids, threads, time.

There is no fork and no way to kill a thread: kill() given a thread id answers
EISTHREAD, whose message says to use thread_request_exit() instead.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    CLOCK_HOST,
    CLOCK_REALTIME,
    EBUSY,
    ECHILD,
    EDEADLK,
    EINVAL,
    EISTHREAD,
    EPERM,
    ESRCH,
    NSIG,
    SIG_CATCH,
    SIG_DFL,
    SIG_IGN,
    SIGCONT,
    SIGKILL,
    SIGSTOP,
    TLS,
    W_CONTINUED,
    WCONTINUED,
    WNOHANG,
    WUNTRACED,
    Error,
    SpawnAttr,
    Tms,
)
from kernel.exec import check_task_limits, spawn
from kernel.proc import ALIVE, ZOMBIE, Process
from kernel.thread import Sleep, Thread, WaitQueue

if TYPE_CHECKING:
    from kernel.kernel import Kernel

#: Virtual wall-clock time at boot: 2026-01-01T00:00:00Z (override with params.epoch).
DEFAULT_EPOCH_NS = 1_767_225_600 * 1_000_000_000


# ------------------------------------------------------------------ processes


def sys_spawn(
    k: Kernel,
    t: Thread,
    path: str,
    argv: list[str],
    env: dict[str, str] | None,
    cwd: str | None,
    actions: list[tuple[Any, ...]] | None,
    attr: SpawnAttr | None,
) -> int:
    k.charge(k.info.clock.costs.spawn)
    if not argv:
        argv = [path]
    return spawn(k, t.proc, path, argv, env, cwd, actions, attr).pid


def sys_exit(k: Kernel, t: Thread, status: int) -> int:
    k.exits.exit_process(t.proc, (status & 0xFF) << 8)
    return 0


def sys_exit_group(k: Kernel, t: Thread, status: int) -> int:
    return sys_exit(k, t, status)


def _matches(child: Process, pid: int, caller: Process) -> bool:
    if pid > 0:
        return child.pid == pid
    if pid == 0:
        return child.pgid == caller.pgid
    if pid == -1:
        return True
    return child.pgid == -pid


def sys_wait4(k: Kernel, t: Thread, pid: int, options: int) -> Any:
    if options & ~(WNOHANG | WUNTRACED | WCONTINUED):
        raise Error(EINVAL)
    proc = t.proc
    sleep = Sleep((proc.child_wait,), None, "do_wait")
    while True:
        if (
            not any(_matches(c, pid, proc) for c in proc.children.values())
            if pid != -1
            else not proc.children
        ):
            raise Error(ECHILD)
        for c in list(proc.waitable.values()):
            if not _matches(c, pid, proc):
                continue
            if c.state == ZOMBIE:
                status = c.exit_status
                k.catch_up(c.end_time)  # it may have died on a CPU whose clock ran ahead
                k.exits.reap(c)
                return c.pid, status
            report = c.report
            if report is None:
                proc.waitable.pop(c.pid, None)
                continue
            continued = report == W_CONTINUED
            if (continued and options & WCONTINUED) or (not continued and options & WUNTRACED):
                c.report = None
                proc.waitable.pop(c.pid, None)
                return c.pid, report
        if options & WNOHANG:
            return 0, 0
        yield sleep


def sys_getpid(k: Kernel, t: Thread) -> int:
    return t.proc.pid


def sys_getppid(k: Kernel, t: Thread) -> int:
    return t.proc.ppid


def _may_signal(sender: Process, target: Process, sig: int) -> bool:
    c, tc = sender.cred, target.cred
    if c.euid == 0:
        return True
    if sig == SIGCONT and sender.sid == target.sid:
        return True
    return c.uid in (tc.uid, tc.euid) or c.euid in (tc.uid, tc.euid)


def sys_kill(k: Kernel, t: Thread, pid: int, sig: int) -> int:
    if sig >= NSIG:
        raise Error(EINVAL)
    me = t.proc
    procs = k.procs
    if pid > 0:
        target = procs.procs.get(pid)
        if target is None:
            th = procs.threads.get(pid)
            if th is not None and not th.is_main:
                raise Error(
                    EISTHREAD,
                    f"{pid} is a thread of process {th.proc.pid}, and threads are never "
                    f"killed; ask it to leave with thread_request_exit({pid}) instead",
                )
            raise Error(ESRCH)
        if not _may_signal(me, target, sig):
            raise Error(EPERM)
        k.signals.send(target, sig)
        return 0
    if pid == -1:
        targets = [
            p for p in procs.procs.values() if p.pid > 1 and p is not me and p.state == ALIVE
        ]
    else:
        pgid = me.pgid if pid == 0 else -pid
        targets = procs.group(pgid)
    if not targets:
        raise Error(ESRCH)
    allowed = [p for p in targets if _may_signal(me, p, sig)]
    if not allowed:
        raise Error(EPERM)
    for p in allowed:
        k.signals.send(p, sig)
    return 0


def sys_setpgid(k: Kernel, t: Thread, pid: int, pgid: int) -> int:
    me = t.proc
    if pgid < 0:
        raise Error(EINVAL)
    target = me if pid in (0, me.pid) else k.procs.procs.get(pid)
    if target is None or (target is not me and target.parent is not me):
        raise Error(ESRCH)
    if target.sid != me.sid or target.pid == target.sid:
        raise Error(EPERM)
    pgid = pgid or target.pid
    if pgid != target.pid and not k.procs.session_has_group(me.sid, pgid):
        raise Error(EPERM)
    target.pgid = pgid
    return 0


def _target(k: Kernel, t: Thread, pid: int) -> Process:
    if pid == 0:
        return t.proc
    p = k.procs.procs.get(pid)
    if p is None:
        raise Error(ESRCH)
    return p


def sys_getpgid(k: Kernel, t: Thread, pid: int) -> int:
    return _target(k, t, pid).pgid


def sys_setsid(k: Kernel, t: Thread) -> int:
    me = t.proc
    if me.pgid == me.pid or k.procs.group(me.pid):
        raise Error(EPERM)
    me.sid = me.pgid = me.pid
    me.ctty = None
    return me.sid


def sys_getsid(k: Kernel, t: Thread, pid: int) -> int:
    return _target(k, t, pid).sid


def sys_getuid(k: Kernel, t: Thread) -> int:
    return t.proc.cred.uid


def sys_geteuid(k: Kernel, t: Thread) -> int:
    return t.proc.cred.euid


def sys_getgid(k: Kernel, t: Thread) -> int:
    return t.proc.cred.gid


def sys_getegid(k: Kernel, t: Thread) -> int:
    return t.proc.cred.egid


def sys_setuid(k: Kernel, t: Thread, uid: int) -> int:
    cred = t.proc.cred
    if cred.is_root:
        cred.uid = cred.euid = uid
    elif uid == cred.uid:
        cred.euid = uid
    else:
        raise Error(EPERM)
    return 0


def sys_setgid(k: Kernel, t: Thread, gid: int) -> int:
    cred = t.proc.cred
    if cred.is_root:
        cred.gid = cred.egid = gid
    elif gid == cred.gid:
        cred.egid = gid
    else:
        raise Error(EPERM)
    return 0


def sys_getgroups(k: Kernel, t: Thread) -> list[int]:
    return list(t.proc.cred.groups)


def sys_setgroups(k: Kernel, t: Thread, groups: Any) -> int:
    if not t.proc.cred.is_root:
        raise Error(EPERM)
    if not isinstance(groups, list | tuple) or not all(
        isinstance(g, int) and g >= 0 for g in groups
    ):
        raise Error(EINVAL)
    t.proc.cred.groups = tuple(groups)
    return 0


def sys_sigaction(k: Kernel, t: Thread, sig: int, action: int) -> int:
    if (
        not 0 < sig < NSIG
        or sig in (SIGKILL, SIGSTOP)
        or action not in (SIG_DFL, SIG_IGN, SIG_CATCH)
    ):
        raise Error(EINVAL)
    proc = t.proc
    disp = proc.sigdisp
    old = disp.get(sig, SIG_DFL)
    if action == SIG_DFL:
        disp.pop(sig, None)
    else:
        disp[sig] = action
    if action != SIG_CATCH:
        proc.sigpend &= ~(1 << (sig - 1))
    return old


def sys_sigtake(k: Kernel, t: Thread) -> list[int]:
    proc = t.proc
    pending = proc.sigpend
    proc.sigpend = 0
    return [s for s in range(1, NSIG) if pending & (1 << (s - 1))]


def sys_trace_read(k: Kernel, t: Thread, limit: int) -> Any:
    if limit == 0:
        raise Error(EINVAL)
    tracing = k.tracing
    while True:
        events = tracing.read(t.proc, limit)
        if events is not None:
            return events
        yield Sleep((tracing.queues[t.proc].wait,), None, "trace_read")


def sys_environ(k: Kernel, t: Thread) -> dict[str, str]:
    return dict(t.proc.env)


def sys_times(k: Kernel, t: Thread) -> Tms:
    p = t.proc
    return Tms(
        p.utime + sum(x.utime for x in p.threads),
        p.stime + sum(x.stime for x in p.threads),
        p.cutime,
        p.cstime,
    )


# ------------------------------------------------------------------ threads


def sys_thread_spawn(k: Kernel, t: Thread, func: Any, arg: Any) -> int:
    if not callable(func):
        raise Error(EINVAL)
    proc = t.proc
    check_task_limits(k, proc.cred, proc.cred.uid, proc)  # EAGAIN: threads-max, NPROC
    try:
        coro = func(arg)
    except Exception as err:  # noqa: BLE001 - not an async function: the caller's mistake
        raise Error(EINVAL, f"thread_spawn: the function must be async ({err})") from None
    if not inspect.iscoroutine(coro):
        if hasattr(coro, "close"):
            coro.close()
        raise Error(EINVAL, "thread_spawn: the function must be async")
    tid = k.procs.alloc_id()
    name = proc.comm  # a new thread inherits its process's name, as a pthread does
    th = Thread(
        tid=tid,
        proc=proc,
        coro=coro,
        name=name,
        cpu=t.cpu,
        start_time=k.now(),
        tls=TLS(tid, proc.runtime),
    )
    proc.threads.append(th)
    k.procs.threads[tid] = th
    k.make_runnable(th)
    return tid


def sys_thread_join(k: Kernel, t: Thread, tid: int, options: int) -> Any:
    proc = t.proc
    if options & ~WNOHANG:
        raise Error(EINVAL)
    if tid == t.tid:
        raise Error(EDEADLK)
    while True:
        if tid in proc.exited_threads:
            value, ended = proc.exited_threads.pop(tid)
            k.catch_up(ended)  # it may have ended on a CPU whose clock ran ahead
            return value
        target = k.procs.threads.get(tid)
        if target is None or target.proc is not proc:
            raise Error(ESRCH)
        if options & WNOHANG:
            raise Error(EBUSY)  # pthread_tryjoin_np's answer
        if target.joiners is None:
            target.joiners = WaitQueue("thread_join")
        yield Sleep((target.joiners,), None, "thread_join")


def sys_thread_exit(k: Kernel, t: Thread, value: Any) -> int:
    k.exits.end_thread(t, value)
    return 0


def sys_gettid(k: Kernel, t: Thread) -> int:
    return t.tid


def sys_thread_request_exit(k: Kernel, t: Thread, tid: int) -> int:
    target = k.procs.threads.get(tid)
    if target is None or target.proc.state != ALIVE:
        raise Error(ESRCH)
    if target.proc is not t.proc and (
        target.proc.pid == 1 or not _may_signal(t.proc, target.proc, 0)
    ):
        raise Error(EPERM)  # init is unkillable, and cannot be asked to leave either
    target.exit_requested = True
    k.interrupt(target)
    return 0


def sys_thread_should_exit(k: Kernel, t: Thread) -> bool:
    return t.exit_requested


# ------------------------------------------------------------------ scheduling and time


def sys_sched_yield(k: Kernel, t: Thread) -> int:
    cpu = k.cur_cpu
    if cpu is not None and cpu.runq:
        t.on_rq = True
        cpu.runq.append(t)
    return 0


def sys_nanosleep(k: Kernel, t: Thread, ns: int) -> Any:
    deadline = k.now() + ns
    sleep = Sleep((), deadline, "hrtimer_nanosleep")
    while k.now() < deadline:
        yield sleep
    return 0


def epoch_ns(k: Kernel) -> int:
    """Virtual wall-clock time at boot, ns since 1970."""
    for key, value in k.info.params:
        if key == "epoch" and value.isdigit():
            return int(value) * 1_000_000_000
    return DEFAULT_EPOCH_NS


def sys_clock_gettime(k: Kernel, t: Thread, clock: int) -> int:
    if clock == CLOCK_REALTIME:
        return epoch_ns(k) + k.now()
    if clock == 1:
        return k.now()
    if clock == CLOCK_HOST and k.host_clock is not None:
        return k.host_clock()
    raise Error(EINVAL)


def sys_sched_getcpu(k: Kernel, t: Thread) -> int:
    return t.cpu
