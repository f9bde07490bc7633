"""The dispatcher: one CPU running its threads request by request (the hot path).

``Dispatch._run_cpu`` is what ``kernel.kernel.Kernel.run`` calls for the CPU whose turn
it is: it resumes each thread's coroutine with its last answer, takes the request it
yields (a system call, a checkpoint, a yield), charges the cost model, runs the system
call's entry (``kernel.syscall``) and switches threads on a sleep, a yield or the end of
a slice. A blocking call's kernel half (:class:`Blocked`) sleeps, and is resumed by
``_resume_kernel_half`` after its wake-up. A handler that raises anything but an
``Error`` is a kernel bug: a :class:`Panic`.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from kernel.abi import EIO, ENOSYS, SYSCALL_BY_NAME, Error, tp
from kernel.fs.vfs import Restart
from kernel.thread import RUNNABLE, Sleep, Thread

if TYPE_CHECKING:
    from kernel.sched import CPU

NR_YIELD = SYSCALL_BY_NAME["sched_yield"].nr
NR_SPAWN = SYSCALL_BY_NAME["spawn"].nr


class Blocked(Exception):  # noqa: N818 - control flow between dispatcher and handlers
    """A blocking system call's kernel half must sleep: carries it and where."""

    __slots__ = ("gen", "sleep")

    def __init__(self, gen: Any, sleep: Sleep) -> None:
        super().__init__()
        self.gen = gen
        self.sleep = sleep


class Panic(Exception):
    """The kernel found itself in a state it cannot continue from."""


class Halt(Exception):  # noqa: N818 - control flow
    """Raised by reboot(2) after powering off: leave the run loop at once."""


class Dispatch:
    """Running a CPU's threads (a mixin of ``kernel.kernel.Kernel``, whose table, cost
    model, scheduler, clocks, counters, exits, tracing and sleep it uses)."""

    table: list[Any]
    syscount: list[int]
    cost_syscall: int
    cost_checkpoint: int
    cost_switch: int
    cost_memory: int
    throttle_ns: int
    sched: Any
    exits: Any
    tracing: Any
    trace_hook: Any
    window_end: int
    halted: bool
    requests: int
    throttled_ns: int
    sleep: Any  # (kernel.wakeup.Waking's)
    log: Any

    def _run_cpu(self, cpu: CPU, end: int, limit: int) -> int:
        """Run ``cpu`` until its clock reaches ``end`` or ``limit`` requests ran.

        This is the hot path. The CPU's clock, last thread and counters live in locals
        and are written back on the way out (``finally``); the clock is also stored
        before a system-call handler runs (handlers read it through ``now()`` and may
        add device latencies to it) and reloaded after. System calls and checkpoints
        are counted, and their virtual time charged to a thread when it leaves the CPU.
        ``throttle_ns`` is folded into the per-request costs here, once per call: every
        request costs that much more user time, at no extra work per request.
        """
        table = self.table
        ntable = len(table)
        syscount = self.syscount
        cost_sc = self.cost_syscall
        cost_ck = self.cost_checkpoint
        cost_sw = self.cost_switch
        cost_mem = self.cost_memory
        throttle = self.throttle_ns
        ck_step = cost_ck + throttle  # a checkpoint's virtual time, all of it user time
        sc_step = cost_sc + throttle  # a system call's: cost_sc system, throttle user
        quantum = self.sched.quantum
        runq = cpu.runq
        cpu_id = cpu.id
        nr_yield = NR_YIELD
        nr_spawn = NR_SPAWN
        trace = self.trace_hook
        steps = 0
        wsc = wck = switches = 0  # this window's system calls, checkpoints, switches
        wmem = 0  # this window's memory accesses and page faults, ns
        clock = cpu.clock
        last = cpu.last
        t = cpu.current
        if t is not None and (t.state is not RUNNABLE or t.on_rq):
            t = None
        slice_end = cpu.slice_end
        try:
            while True:
                if t is None:
                    while runq:
                        cand = runq.popleft()
                        cand.on_rq = False
                        if cand.state is RUNNABLE:
                            t = cand
                            break
                    if t is None:
                        return steps
                    if t.ready_at > clock:
                        clock = t.ready_at
                    if last is not t:
                        clock += cost_sw
                        switches += 1
                        last = t
                    t.cpu = cpu_id
                    slice_end = clock + quantum
                    if t.kgen is not None:
                        cpu.clock = clock
                        if not self._resume_kernel_half(t):
                            t = None
                            continue
                    if clock >= end:
                        return steps
                coro = t.coro
                send = coro.send  # type: ignore[union-attr]
                view = t.proc.mm.view
                # The thread pointer and the clock atomics read (kernel.mm.atomic); the
                # clock is stored again at every request, checkpoints included.
                tp.tls = tls = t.tls
                tls.cpu = cpu_id  # type: ignore[union-attr]
                cpu.clock = clock
                cpu.current = t  # for placement decisions made while it runs
                # Every way off the CPU stores the resume value, so it is not cleared here.
                val = t.resume
                exc = t.resume_exc
                if exc is not None:
                    t.resume_exc = None
                counters = t.proc.counters
                bound = end if end < slice_end else slice_end
                sc0 = wsc
                ck0 = wck
                while True:
                    try:
                        if exc is None:
                            req = send(val)
                        else:
                            req = coro.throw(exc)  # type: ignore[union-attr]
                            exc = None
                    except StopIteration as stop:
                        if view.n:
                            ns = view.n * cost_mem + view.fault_ns
                            view.n = view.fault_ns = 0
                            clock += ns
                            t.utime += ns
                            wmem += ns
                        t.stime += (wsc - sc0) * cost_sc
                        t.utime += (wck - ck0) * ck_step + (wsc - sc0) * throttle
                        cpu.clock = clock
                        self.exits.thread_returned(t, stop.value)
                        t = None
                        break
                    except BaseException as crash:  # noqa: BLE001 - userland faults stay there
                        if view.n:
                            ns = view.n * cost_mem + view.fault_ns
                            view.n = view.fault_ns = 0
                            clock += ns
                            t.utime += ns
                            wmem += ns
                        t.stime += (wsc - sc0) * cost_sc
                        t.utime += (wck - ck0) * ck_step + (wsc - sc0) * throttle
                        cpu.clock = clock
                        self.exits.thread_crashed(t, crash)
                        t = None
                        break
                    steps += 1
                    if view.n:  # loads and stores since the last request, and faults
                        ns = view.n * cost_mem + view.fault_ns
                        view.n = view.fault_ns = 0
                        clock += ns
                        t.utime += ns
                        wmem += ns
                        if self.window_end < end:  # a fault set a timer (a doorbell)
                            end = self.window_end
                            bound = end if end < slice_end else slice_end
                        if view.fatal is not None:  # the program caught its own fault
                            t.stime += (wsc - sc0) * cost_sc
                            t.utime += (wck - ck0) * ck_step + (wsc - sc0) * throttle
                            cpu.clock = clock
                            self.exits.fatal_fault(t, view.fatal)
                            t = None
                            break
                    try:
                        nr = req.nr
                    except AttributeError:
                        nr = -1
                    if nr == 0:
                        clock += ck_step
                        wck += 1
                        val = None
                        cpu.clock = clock
                    elif nr == nr_yield and not req.args:
                        # sched_yield's fast path: it is the context switch itself.
                        clock += sc_step
                        wsc += 1
                        cpu.clock = clock
                        syscount[nr] += 1
                        counters[nr] += 1
                        val = 0
                        if trace is not None:
                            trace(t, nr, (), 0, None)
                        if runq:
                            t.stime += (wsc - sc0) * cost_sc
                            if wck != ck0 or throttle:
                                t.utime += (wck - ck0) * ck_step + (wsc - sc0) * throttle
                            t.nvcsw += 1
                            t.resume = 0
                            t.on_rq = True
                            runq.append(t)
                            t = None
                            break
                    else:
                        clock += sc_step
                        wsc += 1
                        entry = table[nr] if 0 < nr < ntable else None
                        val = None
                        cpu.clock = clock
                        if entry is None:
                            if nr < 0:
                                t.stime += (wsc - sc0) * cost_sc
                                t.utime += (wck - ck0) * ck_step + (wsc - sc0) * throttle
                                self.exits.thread_crashed(
                                    t, TypeError(f"awaited {req!r}, which is not a libk request")
                                )
                                t = None
                                break
                            exc = Error(ENOSYS)
                        else:
                            syscount[nr] += 1
                            counters[nr] += 1
                            try:
                                val = entry(t, req.args)
                            except Error as err:
                                exc = err
                            except Blocked as blk:
                                clock = cpu.clock
                                t.stime += (wsc - sc0) * cost_sc
                                t.utime += (wck - ck0) * ck_step + (wsc - sc0) * throttle
                                t.kgen = blk.gen
                                self.sleep(t, blk.sleep)
                                t.nvcsw += 1
                                if trace is not None:
                                    trace(t, nr, req.args, Blocked, None)
                                t = None
                                break
                            except (Panic, Halt):
                                raise
                            except Exception:  # noqa: BLE001 - a kernel bug: panic
                                raise Panic(
                                    f"in system call {entry.name} from pid {t.proc.pid}:\n"
                                    + traceback.format_exc()
                                ) from None
                            clock = cpu.clock
                            if self.window_end < end:  # it set a timer due in this window
                                end = self.window_end
                                bound = end if end < slice_end else slice_end
                        if nr == nr_spawn:
                            trace = self.trace_hook  # the child may be traced from now on
                        if trace is not None:
                            trace(t, nr, req.args, val, exc)
                        if t.state is not RUNNABLE or t.on_rq:
                            t.stime += (wsc - sc0) * cost_sc
                            t.utime += (wck - ck0) * ck_step + (wsc - sc0) * throttle
                            t.resume = val
                            t.resume_exc = exc
                            if t.on_rq:
                                t.nvcsw += 1
                            t = None
                            break
                    if clock >= bound or steps >= limit:
                        t.stime += (wsc - sc0) * cost_sc
                        t.utime += (wck - ck0) * ck_step + (wsc - sc0) * throttle
                        t.resume = val
                        t.resume_exc = exc
                        if clock >= slice_end:
                            if runq:
                                t.nivcsw += 1
                                t.on_rq = True
                                runq.append(t)
                                t = None
                            else:
                                slice_end = clock + quantum
                        if steps >= limit or clock >= end or self.halted:
                            return steps
                        break
                if self.halted:
                    return steps
        finally:
            cpu.clock = clock
            cpu.last = last
            cpu.current = t
            cpu.slice_end = slice_end
            cpu.ctxt += switches
            cpu.system += wsc * cost_sc + switches * cost_sw
            cpu.user += wck * ck_step + wsc * throttle + wmem
            self.requests += wsc + wck
            if throttle:
                self.throttled_ns += (wsc + wck) * throttle

    def _resume_kernel_half(self, t: Thread) -> bool:
        """Continue a blocking system call after a wake-up; False if it sleeps again."""
        gen = t.kgen
        t.kgen = None
        exc = t.resume_exc
        try:
            if exc is not None:
                t.resume_exc = None
                sl = gen.throw(exc)  # type: ignore[union-attr]
            else:
                sl = gen.send(t.resume)  # type: ignore[union-attr]
        except StopIteration as stop:
            t.resume = stop.value
            if t.trace_call is not None:
                self.tracing.completed(t, stop.value, None)
            return t.state is RUNNABLE
        except Error as err:
            t.resume = None
            t.resume_exc = err
            if t.trace_call is not None:
                self.tracing.completed(t, None, err)
            return t.state is RUNNABLE
        except Restart:  # a walk that must wait, where no call can start over: a bug,
            t.resume = None  # but the server's business, not worth the machine
            t.resume_exc = Error(EIO)
            self.log(f"pid {t.proc.pid}: a call that already slept cannot wait for a server")
            if t.trace_call is not None:
                self.tracing.completed(t, None, t.resume_exc)
            return t.state is RUNNABLE
        except Exception:  # noqa: BLE001 - a kernel bug: panic
            raise Panic(
                f"resuming a system call of pid {t.proc.pid}:\n" + traceback.format_exc()
            ) from None
        if t.state is not RUNNABLE:
            gen.close()  # type: ignore[union-attr]
            return False
        t.kgen = gen
        self.sleep(t, sl)
        return False
