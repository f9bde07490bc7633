"""What /proc's files say: the kernel's state rendered in Linux's proc(5) formats.

The text of each /proc file is made here, from kernel objects, when the file is opened;
``kernel.fs.procfs`` owns the tree of nodes that calls these. Formats follow Linux's
wherever Linux has the same file (``stat`` with its 52 fields, ``status``, ``wchan``,
``/proc/stat``, …); libk's additions are ``ExitRequested:`` in status files, the
``syscalls`` files, ``/proc/generation``, ``/proc/allstat`` and ``/proc/threads``. The
memory files (maps, smaps, statm, mem, meminfo, vmstat, the vm sysctls) are made by
``kernel.fs.procmem`` and ``kernel.fs.procvm``, whose classes this one extends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import ENOENT, ESRCH, RLIMIT_RSS, Error
from kernel.fs.procmem import ProcMem, vm_counts
from kernel.fs.procvm import ProcVm
from kernel.proc import ALIVE, Process
from kernel.thread import RUNNABLE, SLEEPING, STOPPED, Thread

if TYPE_CHECKING:
    from kernel.fs.mount import MountNamespace
    from kernel.kernel import Kernel

USER_HZ = 100
TICK_NS = 1_000_000_000 // USER_HZ
STATE_NAMES = {
    "R": "R (running)",
    "S": "S (sleeping)",
    "T": "T (stopped)",
    "Z": "Z (zombie)",
    "X": "X (dead)",
}


def status_text(rows: list[tuple[str, object]]) -> str:
    """A status file from its rows: ``Key:<TAB>value`` per line, as every line of
    Linux's /proc/<pid>/status (procps stops parsing at a line without the TAB)."""
    return "".join(f"{key}:\t{value}\n" for key, value in rows)


def _ignored_mask(proc: Process) -> int:
    """The bit mask of signals a process ignores (stat's and status's SigIgn)."""
    mask = 0
    for sig, disp in proc.sigdisp.items():
        if disp == 1:
            mask |= 1 << (sig - 1)
    return mask


class ProcInfo(ProcMem, ProcVm):
    """The generators of /proc's contents, for one kernel (``self.k``); the memory
    files' are :class:`~kernel.fs.procmem.ProcMem`'s and
    :class:`~kernel.fs.procvm.ProcVm`'s."""

    k: Kernel

    # ------------------------------------------------------------------ per-process files
    def proc_state(self, proc: Process, t: Thread | None) -> str:
        """The one-letter state /proc shows."""
        if proc.state != ALIVE:
            return "Z"
        if t is None:
            t = proc.threads[0] if proc.threads else None
        if t is None:
            return "Z"
        if t.state is STOPPED or proc.stopped:
            return "T"
        if t.state is RUNNABLE:
            return "R"
        return "S" if t.state is SLEEPING else "X"

    def pid_stat(self, proc: Process, t: Thread | None, *, task: bool = False) -> str:
        """/proc/<pid>/stat, the 52 fields of proc(5); with ``task``, thread ``t``'s
        own /proc/<pid>/task/<tid>/stat (its own times and CPU, as Linux shows)."""
        alive = proc.state == ALIVE
        own = t is not None and (task or t.tid != proc.pid)
        threads = [t] if own else proc.threads
        tid = t.tid if t is not None else proc.pid
        if own:
            utime, stime = t.utime, t.stime
        else:
            utime = proc.utime + sum(x.utime for x in proc.threads)
            stime = proc.stime + sum(x.stime for x in proc.threads)
        tty = proc.ctty
        tty_nr = tty.node.rdev if tty is not None and tty.node is not None else 0
        tpgid = tty.pgrp if tty is not None and tty.pgrp is not None else -1
        ignored = _ignored_mask(proc)
        wchan = 0
        cpu = threads[0].cpu if threads else 0
        comm = (t.name if t is not None and t.tid != proc.pid else proc.comm) or proc.comm
        mm = proc.mm
        exit_signal = -1 if t is not None and t.tid != proc.pid else 17  # SIGCHLD: leaders
        if alive:
            # Fields 26-28 and 45-51: where setup_program put the text, stack and strings
            # (no data segment: start_data and end_data are end_code, as for a PIE).
            mem = (
                f"{mm.size} {mm.resident} {proc.rlimits[RLIMIT_RSS][0]} {mm.start_code} "
                f"{mm.end_code} {mm.start_stack}"
            )
            tail = (
                f"{mm.end_code} {mm.end_code} {mm.start_brk} {mm.arg_start} {mm.arg_end} "
                f"{mm.env_start} {mm.env_end}"
            )
        else:
            mem = f"0 0 {proc.rlimits[RLIMIT_RSS][0]} 0 0 0"
            tail = "0 0 0 0 0 0 0"
        # Fields 1-52 of proc(5), in one f-string (ps and the TUI read thousands).
        return (
            f"{tid} ({comm}) {self.proc_state(proc, t)} {proc.ppid} {proc.pgid} {proc.sid} "
            f"{tty_nr} {tpgid} 4194304 {mm.minflt} {proc.cminflt} {mm.majflt} {proc.cmajflt} "
            f"{utime // TICK_NS} {stime // TICK_NS} {proc.cutime // TICK_NS} "
            f"{proc.cstime // TICK_NS} 20 0 {len(proc.threads) if proc.threads else 1} 0 "
            f"{proc.start_time // TICK_NS} {mem} 0 0 0 0 {ignored} 0 {wchan} 0 0 {exit_signal} "
            f"{cpu} 0 0 0 0 0 {tail} {proc.exit_status if proc.state != ALIVE else 0}\n"
        )

    def status(self, proc: Process, t: Thread | None) -> str:
        """/proc/<pid>/status (or a task's), proc(5)'s fields plus ExitRequested."""
        c = proc.cred
        alive = proc.state == ALIVE
        tid = t.tid if t is not None else proc.pid
        name = (t.name if t is not None and t.tid != proc.pid else proc.comm) or proc.comm
        ignored = _ignored_mask(proc)
        threads = [t] if t is not None else proc.threads
        rows: list[tuple[str, object]] = [
            ("Name", name),
            ("Umask", f"{proc.umask:04o}"),
            ("State", STATE_NAMES[self.proc_state(proc, t)]),
            ("Tgid", proc.pid),
            ("Ngid", 0),
            ("Pid", tid),
            ("PPid", proc.ppid),
            ("TracerPid", 0),
            ("Uid", f"{c.uid}\t{c.euid}\t{c.euid}\t{c.euid}"),
            ("Gid", f"{c.gid}\t{c.egid}\t{c.egid}\t{c.egid}"),
            ("FDSize", 64 if len(proc.fds.files) <= 64 else 1024),
            ("Groups", "".join(f"{g} " for g in c.groups)),  # Linux: "%d " per group
            ("NStgid", proc.pid),
            ("NSpid", tid),
            ("NSpgid", proc.pgid),
            ("NSsid", proc.sid),
        ]
        if alive:
            rows += self.status_mem(proc)
        cpus = f"0-{len(self.k.cpus) - 1}" if len(self.k.cpus) > 1 else "0"
        if t is None:
            t = proc.main_thread
        rows += [
            ("Threads", max(1, len(proc.threads))),
            ("SigQ", "0/31675"),
            ("SigPnd", "0000000000000000"),
            ("ShdPnd", "0000000000000000"),
            ("SigBlk", "0000000000000000"),
            ("SigIgn", f"{ignored:016x}"),
            ("SigCgt", "0000000000000000"),
            ("Cpus_allowed_list", cpus),
            ("voluntary_ctxt_switches", sum(x.nvcsw for x in threads)),
            ("nonvoluntary_ctxt_switches", sum(x.nivcsw for x in threads)),
            ("ExitRequested", int(t.exit_requested) if t is not None else 0),
        ]
        from kernel.systable import status_rows

        rows += status_rows(proc)  # FileTable/ProcTable, only with a served table
        return status_text(rows)

    def status_mem(self, proc: Process) -> list[tuple[str, object]]:
        """The Vm* and Rss* rows of a live process's status (Linux's task_mem): each
        value in kB, right-aligned in 8 columns, as ``seq_put_decimal_ull_width``."""
        mm = proc.mm
        ps = mm.page_size
        total, data, stack, exe = vm_counts(mm)
        code, end_code, *_ = self.layout(proc)
        text = min(end_code - code, exe)
        rss = mm.rss
        anon, file, shmem = rss["anon"] * ps, rss["file"] * ps, rss["shmem"] * ps
        resident = anon + file + shmem
        rows = (
            ("VmPeak", max(total, mm.hiwater_vm * ps)),
            ("VmSize", total),
            ("VmLck", 0),
            ("VmPin", 0),
            ("VmHWM", max(resident, mm.hiwater_rss * ps)),
            ("VmRSS", resident),
            ("RssAnon", anon),
            ("RssFile", file),
            ("RssShmem", shmem),
            ("VmData", data),
            ("VmStk", stack),
            ("VmExe", text),
            ("VmLib", exe - text),
            ("VmPTE", mm.pagetable_bytes()),
            ("VmSwap", 0),
            ("HugetlbPages", 0),
        )
        return [(label, f"{value >> 10:>8} kB") for label, value in rows]

    def wchan(self, t: Thread | None) -> str:
        """/proc/<pid>/wchan: where the thread sleeps (``pipe_read``, ``wait4``, …),
        ``0`` when it is not sleeping; like Linux, without a trailing newline."""
        if t is None or t.state is not SLEEPING or not t.wchan:
            return "0"
        return t.wchan

    def cmdline(self, proc: Process) -> str:
        """NUL-separated argv; empty for a zombie."""
        if proc.state != ALIVE:
            return ""
        return "".join(a + "\0" for a in proc.argv)

    def environ(self, proc: Process) -> str:
        """NUL-separated KEY=value pairs.

        Raises:
            Error: ESRCH once the process has ended (its memory is gone, as Linux's).
        """
        if proc.state != ALIVE:
            raise Error(ESRCH)
        return "".join(f"{a}={b}\0" for a, b in proc.env.items())

    def schedstat(self, threads: list[Thread]) -> str:
        """Time on CPU (ns), time waiting to run (ns, not tracked: 0), and slices run."""
        run = sum(t.utime + t.stime for t in threads)
        slices = sum(t.nvcsw + t.nivcsw for t in threads)
        return f"{run} 0 {slices}\n"

    def syscalls(self, counts: list[int]) -> str:
        """``name count`` for every system call made at least once, in table order."""
        from kernel.abi import SYSCALLS

        return "".join(
            f"{s.name} {counts[s.nr]}\n" for s in SYSCALLS if s.nr < len(counts) and counts[s.nr]
        )

    def exe(self, proc: Process) -> str:
        """The program's path (the ``exe`` link); ENOENT for a zombie, as on Linux."""
        if proc.state != ALIVE:
            raise Error(ENOENT)
        return proc.exe

    def cwd(self, proc: Process) -> str:
        """The working directory as a path."""
        from kernel.fs.vfs import PathWalk

        if proc.state != ALIVE:
            raise Error(ENOENT)
        walk = PathWalk(self.k.root_ns, proc.cred, proc.cwd, proc)
        return walk.path_of(proc.cwd, walk.cwd_mount())

    # ------------------------------------------------------------------ machine-wide files
    def stat(self) -> str:
        """/proc/stat: CPU times in USER_HZ ticks, context switches, processes."""
        k = self.k
        now = k.now()

        def line(name: str, user: int, system: int, idle: int) -> str:
            return f"{name} {user // TICK_NS} 0 {system // TICK_NS} {idle // TICK_NS} 0 0 0 0 0 0\n"

        rows = []
        tu = ts = ti = 0
        for cpu in k.cpus:
            idle = max(0, now - cpu.user - cpu.system)
            if cpu.online:  # Linux omits offline CPUs' lines (their time stays in "cpu")
                rows.append(line(f"cpu{cpu.id}", cpu.user, cpu.system, idle))
            tu, ts, ti = tu + cpu.user, ts + cpu.system, ti + idle
        from kernel.sysproc import epoch_ns

        running = sum(1 for t in k.procs.threads.values() if t.state is RUNNABLE)
        blocked = 0
        return (
            line("cpu ", tu, ts, ti)
            + "".join(rows)
            + "intr 0\n"
            + f"ctxt {sum(c.ctxt for c in k.cpus)}\n"
            + f"btime {epoch_ns(k) // 1_000_000_000}\n"
            + f"processes {k.procs.created}\n"
            + f"procs_running {running}\n"
            + f"procs_blocked {blocked}\n"
            + "softirq 0 0 0 0 0 0 0 0 0 0 0\n"
        )

    def uptime(self) -> str:
        """Seconds since boot, and idle seconds summed over CPUs."""
        k = self.k
        now = k.now()
        idle = sum(max(0, now - c.user - c.system) for c in k.cpus)
        return f"{now / 1e9:.2f} {idle / 1e9:.2f}\n"

    def loadavg(self) -> str:
        """Load averages, runnable/total threads, and the last pid."""
        k = self.k
        a, b, c = k.loadavg
        running = sum(1 for t in k.procs.threads.values() if t.state is RUNNABLE)
        last = max(k.procs.procs, default=0)
        return f"{a:.2f} {b:.2f} {c:.2f} {running}/{len(k.procs.threads)} {last}\n"

    def cpuinfo(self) -> str:
        """One block per simulated CPU."""
        n = len(self.k.cpus)
        blocks = []
        for i in (c.id for c in self.k.cpus if c.online):  # online ones only, as Linux
            blocks.append(
                f"processor\t: {i}\nvendor_id\t: LibkSim\ncpu family\t: 1\nmodel\t\t: 1\n"
                f"model name\t: libk simulated CPU (coroutine dispatch)\nstepping\t: 0\n"
                f"cpu MHz\t\t: 1000.000\ncache size\t: 0 KB\nphysical id\t: 0\n"
                f"siblings\t: {n}\ncore id\t\t: {i}\ncpu cores\t: {n}\n"
                f"flags\t\t: coroutine checkpoint syscall\nbogomips\t: 2000.00\n\n"
            )
        return "".join(blocks)  # every block ends with a blank line, the last too

    def version(self) -> str:
        """The kernel version line."""
        from kernel.kernel import RELEASE

        return f"libk version {RELEASE} (libk@{self.k.info.name}) #1 SMP\n"

    def mounts(self, ns: MountNamespace | None = None) -> str:
        """The mounts of a namespace (the machine's by default) as /proc/mounts lists
        them, with Linux's names (``proc``, ``devtmpfs``) and its octal escapes."""
        from kernel.fs.procmisc import mount_line

        return "".join(mount_line(m) for m in (ns or self.k.root_ns).mounts)

    def filesystems(self) -> str:
        """The file-system types the kernel knows, by the names mount(2) takes (Linux's
        order: sysfs, tmpfs, proc, devtmpfs, pipefs; all ``nodev``: none needs a disk)."""
        names = ("sysfs", "tmpfs", "proc", "devtmpfs", "pipefs")
        return "".join(f"nodev\t{name}\n" for name in names)

    def generation(self) -> str:
        """/proc/generation: counters that together change whenever anything the
        process and thread files show may have changed.

        Fields: virtual time (ns), context switches, system calls made, processes
        created, processes, threads, sleeps begun or ended (summed over threads),
        runnable threads, stopped threads, threads asked to exit. Reading it costs one
        pass over the threads, far less than reading every process's files.
        """
        k = self.k
        threads = k.procs.threads
        sleeps = runnable = stopped = asked = 0
        for t in threads.values():
            sleeps += t.sleep_seq
            state = t.state
            if state is RUNNABLE:
                runnable += 1
            elif state is STOPPED:
                stopped += 1
            if t.exit_requested:
                asked += 1
        fields = (
            k.now(),
            sum(c.ctxt for c in k.cpus),
            sum(k.syscount),
            k.procs.created,
            len(k.procs.procs),
            len(threads),
            sleeps,
            runnable,
            stopped,
            asked,
        )
        return " ".join(map(str, fields)) + "\n"

    def allstat(self) -> str:
        """/proc/allstat: the /proc/<pid>/stat line of every process, by pid."""
        procs = self.k.procs.procs
        stat = self.pid_stat
        return "".join(stat(procs[pid], procs[pid].main_thread) for pid in sorted(procs) if pid)

    def threads(self) -> str:
        """/proc/threads: a header, then one line per thread of every process, by pid
        and tid: tid, pid, state, CPU, utime and stime (ticks), exit-request flag,
        wait channel (``0``: not sleeping), name (the rest of the line)."""
        procs = self.k.procs.procs
        state = self.proc_state
        out = ["  TID   PID S CPU    UTIME    STIME EXIT WCHAN NAME\n"]
        for pid in sorted(procs):
            proc = procs[pid]
            if not pid:
                continue
            for t in sorted(proc.threads, key=lambda x: x.tid):
                wchan = t.wchan if t.state is SLEEPING and t.wchan else "0"
                name = (t.name if t.tid != pid else proc.comm) or proc.comm
                out.append(
                    f"{t.tid:>5} {pid:>5} {state(proc, t)} {t.cpu:>3} "
                    f"{t.utime // TICK_NS:>8} {t.stime // TICK_NS:>8} "
                    f"{int(t.exit_requested):>4} {wchan} {name}\n"
                )
        return "".join(out)

    def kmsg(self) -> str:
        """The kernel log (non-consuming)."""
        return self.k.log.render()
