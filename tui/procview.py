"""The panes' data layer: processes, threads and a process's details, read from /proc.

Everything here goes through the host syscall client (``kernel.host.HostClient``):
``/proc/allstat`` (every process's ``/proc/<pid>/stat`` line, in one read) for what
changes (state, CPU, times, and memory: stat's vsize and rss, the VSZ and RSS that
``ps`` shows), ``/proc/<pid>/status`` and ``cmdline`` once per process (its owner and
command never change: libk has no execve), ``/proc/threads`` for threads (libk's; one
line per thread), and ``/proc/generation`` to tell cheaply whether anything changed at
all. Where libk's own files are missing, the per-process files are read instead. The
details of one process add its memory (``status``, ``smaps_rollup``, ``stat``, and
``smaps`` or ``maps``, parsed by ``tui.memview``). No Textual here: the panes in
``tui.widgets.panes`` render what this module reads, and tests use it directly.

%CPU is the CPU time a process used over a window of about two seconds of virtual time
(``clock_gettime(CLOCK_MONOTONIC)``), from a short ring of samples per process
(:class:`CpuWindow`): CPU time is counted in 10 ms ticks, and between two reads a few
milliseconds apart a busy process would show 0 or 200 % in turn. Like procps ``top`` it
never shows more than 100 % per thread of the process, nor more than 100 % per CPU.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kernel.abi import Error
from tui.fdview import OpenFile, fd_links, open_files
from tui.memview import ProcessMemory, faults_from_stat, parse_kb_fields, parse_maps, parse_smaps

if TYPE_CHECKING:
    from kernel.host import HostClient

USER_HZ = 100  # /proc's clock ticks per second (stat's utime, stime, starttime)
TICK_NS = 1_000_000_000 // USER_HZ
CLOCK_MONOTONIC = 1
#: %CPU is measured over at least this much virtual time (when the samples reach back).
CPU_WINDOW_NS = 2_000_000_000
#: Samples are kept at most this often (a ring of about nine per process).
CPU_SAMPLE_NS = CPU_WINDOW_NS // 8

STATE_NAMES = {
    "R": "running",
    "S": "sleeping",
    "D": "disk sleep",
    "T": "stopped",
    "Z": "zombie",
    "X": "dead",
}


def proc_pids(host: HostClient) -> list[int]:
    """The pids /proc lists, ascending (none if /proc cannot be read)."""
    try:
        names = host.listdir("/proc")
    except Error:
        return []
    return sorted(int(n) for n in names if n.isdigit())


@dataclass(slots=True)
class ProcessRow:
    """One process as the processes pane shows it.

    Attributes:
        pid, ppid: ids.
        user: the owner's name (or uid when /etc/passwd does not name it).
        state: the one-letter state (R, S, T, Z).
        cpu: the CPU it last ran on (stat field 39, ``processor``).
        pcpu: percent of one CPU used since the previous read.
        vsz_kb: virtual memory size (stat's vsize), KiB.
        rss_kb: resident memory (stat's rss, pages, times the page size), KiB.
        threads: number of threads.
        time_ticks: user + system CPU time, in USER_HZ ticks.
        command: the command line (``[comm]`` when it has none).
        start: start time in ticks (with the pid, identifies the process).
    """

    pid: int
    ppid: int
    user: str
    state: str
    cpu: int
    pcpu: float
    vsz_kb: int
    rss_kb: int
    threads: int
    time_ticks: int
    command: str
    start: int = 0


@dataclass(slots=True)
class ThreadRow:
    """One thread as the threads pane shows it.

    Attributes:
        tid, pid: the thread and its process.
        name: the thread's name (its comm).
        state: the one-letter state.
        cpu: the CPU it last ran on.
        wait: what it sleeps on (/proc/<pid>/task/<tid>/wchan), "" when not sleeping.
        time_ticks: its own CPU time, in ticks.
        exit_requested: someone called thread_request_exit on it.
    """

    tid: int
    pid: int
    name: str
    state: str
    cpu: int
    wait: str
    time_ticks: int
    exit_requested: bool


@dataclass(slots=True)
class ProcessDetails:
    """What the details view shows for one process.

    Attributes:
        pid: the process.
        status: the text of /proc/<pid>/status.
        fds: (descriptor, what it refers to) pairs from /proc/<pid>/fd.
        files: the same descriptors as lsof describes them (``tui.fdview``).
        children: (pid, command) of its children.
        cwd, exe: its working directory and executable (empty if unreadable).
        memory: its memory: totals and areas.
    """

    pid: int
    status: str
    fds: list[tuple[int, str]] = field(default_factory=list)
    files: list[OpenFile] = field(default_factory=list)
    children: list[tuple[int, str]] = field(default_factory=list)
    cwd: str = ""
    exe: str = ""
    memory: ProcessMemory = field(default_factory=ProcessMemory)


class CpuWindow:
    """A process's recent CPU-time samples, for a %CPU smoothed over a window.

    Samples are ``(virtual ns, CPU ticks)``; one is kept every :data:`CPU_SAMPLE_NS` at
    most, and only as far back as the newest one at least ``window_ns`` old, so the
    ring stays short however often it is read.
    """

    __slots__ = ("samples", "window_ns", "step_ns")

    def __init__(self, window_ns: int = CPU_WINDOW_NS, step_ns: int = CPU_SAMPLE_NS) -> None:
        self.samples: deque[tuple[int, int]] = deque()
        self.window_ns = window_ns
        self.step_ns = step_ns

    def add(self, now_ns: int, ticks: int) -> float:
        """Record a sample; the percent of one CPU used since the oldest sample kept
        (0.0 with no earlier sample)."""
        samples = self.samples
        if samples and now_ns - samples[-1][0] < self.step_ns:
            pass  # keep the ring short: this read only measures
        else:
            samples.append((now_ns, ticks))
        horizon = now_ns - self.window_ns
        while len(samples) > 2 and samples[1][0] <= horizon:
            samples.popleft()
        then, base = samples[0]
        span = now_ns - then
        if span <= 0 or ticks <= base:
            return 0.0
        return (ticks - base) * TICK_NS * 100.0 / span


def cap_pcpu(pcpu: float, threads: int, ncpus: int | None) -> float:
    """%CPU as top caps it: at most 100 per thread, and 100 per CPU of the machine."""
    limit = 100.0 * max(threads, 1)
    if ncpus:
        limit = min(limit, 100.0 * ncpus)
    return min(pcpu, limit)


@dataclass(slots=True)
class _Known:
    """What stays fixed for a process (read once) and its recent CPU-time samples."""

    start: int
    user: str
    command: str
    cpu: CpuWindow = field(default_factory=CpuWindow)


def split_stat(text: str) -> tuple[str, list[str]]:
    """A stat line's comm (which may hold spaces and parentheses) and the fields after it.

    ``rest[0]`` is field 3 (state); field *n* of proc(5) is ``rest[n - 3]``.
    """
    head, _, tail = text.rpartition(")")
    _, _, comm = head.partition(" (")
    return comm, tail.split()


def parse_status(text: str) -> dict[str, str]:
    """A status file as a dict of its ``Key:<tab>value`` lines."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key] = value.strip()
    return out


def format_time(ticks: int) -> str:
    """CPU time as top's TIME+ shows it: ``M:SS.hh``."""
    hundredths = ticks * 100 // USER_HZ
    minutes, rest = divmod(hundredths, 6000)
    return f"{minutes}:{rest // 100:02d}.{rest % 100:02d}"


def format_kb(kb: int) -> str:
    """A size in KiB in at most 5 characters, as top shows it: ``512K``, ``9999K``,
    ``20.0M``, ``512M``, ``1.5G``, ``30.0G``."""
    if kb < 10_000:
        return f"{kb}K"
    value = kb / 1024
    for unit in "MGT":
        for text in (f"{value:.1f}{unit}", f"{value:.0f}{unit}"):
            if len(text) <= 5:
                return text
        value /= 1024
    return f"{value:.0f}P"


class ProcView:
    """Reads the process and thread lists of one machine through its host client.

    Keep one per pane: it remembers the previous CPU-time samples (for %CPU), the
    fixed facts of each process, and the last /proc/generation it saw.
    """

    def __init__(self, host: HostClient) -> None:
        self.host = host
        self._known: dict[int, _Known] = {}
        self._thread_ticks: dict[int, int] = {}
        self._last_ns: int | None = None
        self._generation: bytes | None = None
        self._users: dict[int, str] | None = None
        self._page_kb: int | None = None
        self._ncpus: int | None = None
        self.rows: dict[int, ProcessRow] = {}

    # ------------------------------------------------------------------ change check
    def changed(self) -> bool:
        """Has anything the panes show changed since the last call? (One small read of
        /proc/generation; True the first time, and when /proc cannot be read.)"""
        try:
            gen = self.host.read_file("/proc/generation")
        except Error:
            return True
        if gen == self._generation:
            return False
        self._generation = gen
        return True

    def now_ns(self) -> int:
        """The machine's virtual time (CLOCK_MONOTONIC)."""
        return int(self.host.call("clock_gettime", CLOCK_MONOTONIC))

    # ------------------------------------------------------------------ users
    def user_name(self, uid: int) -> str:
        """The login name of ``uid`` from the machine's /etc/passwd (the number if none)."""
        if self._users is None or uid not in self._users:
            self._users = {}
            try:
                text = self.host.read_file("/etc/passwd").decode(errors="replace")
            except Error:
                text = ""
            for line in text.splitlines():
                parts = line.split(":")
                if len(parts) > 2 and parts[2].isdigit():
                    self._users.setdefault(int(parts[2]), parts[0])
        return self._users.get(uid, str(uid))

    # ------------------------------------------------------------------ processes
    def pids(self) -> list[int]:
        """The pids in /proc, ascending."""
        return proc_pids(self.host)

    def stat_lines(self) -> list[str]:
        """Every process's stat line: /proc/allstat in one read (libk's), or one
        /proc/<pid>/stat per process where that file is missing."""
        read = self.host.read_file
        try:
            return read("/proc/allstat", 1 << 30).decode(errors="replace").splitlines()
        except Error:
            pass
        lines = []
        for pid in self.pids():
            try:
                lines.append(read(f"/proc/{pid}/stat").decode(errors="replace"))
            except Error:
                continue  # ended between the listing and the read
        return lines

    def ncpus(self) -> int | None:
        """The machine's CPU count (its ``cpuN`` lines in /proc/stat; None if unreadable)."""
        if self._ncpus is None:
            try:
                text = self.host.read_file("/proc/stat", 1 << 20).decode(errors="replace")
            except Error:
                return None
            n = sum(1 for line in text.splitlines() if line[3:4].isdigit() and line[:3] == "cpu")
            self._ncpus = n or None
        return self._ncpus

    def processes(self) -> list[ProcessRow]:
        """Read every process: its stat line, plus status and cmdline for a process seen
        for the first time. Also updates :attr:`rows` (pid -> row)."""
        now = self.now_ns()
        last = self._last_ns
        self._last_ns = now
        ncpus = self.ncpus()
        page_kb = self._page_kb or 4
        known = self._known
        seen: dict[int, _Known] = {}
        rows: dict[int, ProcessRow] = {}
        for line in self.stat_lines():
            head, _, tail = line.rpartition(")")
            pid_text, _, comm = head.partition(" (")
            f = tail.split()
            pid = int(pid_text)
            start = int(f[19])
            ticks = int(f[11]) + int(f[12])
            k = known.get(pid)
            if k is None or k.start != start:
                k = self._learn(pid, comm, start, int(f[21]))
                if k is None:
                    continue
                if last is not None and start * TICK_NS >= last:
                    # Born since the last read: it had used no CPU time when it started.
                    k.cpu.samples.append((start * TICK_NS, 0))
                page_kb = self._page_kb or 4
            seen[pid] = k
            state = f[0]
            threads = int(f[17])
            rows[pid] = ProcessRow(
                pid,
                int(f[1]),
                k.user,
                state,
                int(f[36]),
                cap_pcpu(k.cpu.add(now, ticks), threads, ncpus),
                int(f[20]) // 1024,
                int(f[21]) * page_kb,
                threads,
                ticks,
                f"[{comm}] <defunct>" if state == "Z" else k.command,
                start,
            )
        self._known = seen
        self.rows = rows
        return list(rows.values())

    def _learn(self, pid: int, comm: str, start: int, rss: int) -> _Known | None:
        """Read what never changes for a process: its owner and command line."""
        read = self.host.read_file
        try:
            status = parse_status(read(f"/proc/{pid}/status").decode(errors="replace"))
            argv = read(f"/proc/{pid}/cmdline").decode(errors="replace").split("\0")
        except Error:
            return None
        uid_field = status.get("Uid", "0").split()
        uid = int(uid_field[1]) if len(uid_field) > 1 else 0
        if self._page_kb is None and rss > 0 and "VmRSS" in status:
            # stat counts pages, status kB; both read with the machine standing still.
            self._page_kb = max(1, int(status["VmRSS"].split()[0]) // rss)
        command = " ".join(a for a in argv if a) or f"[{comm}]"
        return _Known(start=start, user=self.user_name(uid), command=command)

    # ------------------------------------------------------------------ threads
    def threads(self, pids: list[int] | None = None) -> list[ThreadRow]:
        """Every thread of the given processes (default: all): /proc/threads in one
        read (libk's), or /proc/<pid>/task/<tid>/{stat,status,wchan} without it."""
        try:
            text = self.host.read_file("/proc/threads", 1 << 30).decode(errors="replace")
        except Error:
            return self._threads_from_tasks(pids)
        wanted = set(pids) if pids is not None else None
        out: list[ThreadRow] = []
        for line in text.splitlines()[1:]:
            f = line.split(None, 8)
            pid = int(f[1])
            if wanted is not None and pid not in wanted:
                continue
            out.append(
                ThreadRow(
                    tid=int(f[0]),
                    pid=pid,
                    name=f[8] if len(f) > 8 else "",
                    state=f[2],
                    cpu=int(f[3]),
                    wait="" if f[7] == "0" else f[7],
                    time_ticks=int(f[4]) + int(f[5]),
                    exit_requested=f[6] == "1",
                )
            )
        return out

    def _threads_from_tasks(self, pids: list[int] | None) -> list[ThreadRow]:
        read = self.host.read_file
        out: list[ThreadRow] = []
        for pid in self.pids() if pids is None else pids:
            try:
                tids = sorted(int(n) for n in self.host.listdir(f"/proc/{pid}/task"))
            except Error:
                continue
            for tid in tids:
                base = f"/proc/{pid}/task/{tid}/"
                try:
                    name, f = split_stat(read(base + "stat").decode(errors="replace"))
                    status = parse_status(read(base + "status").decode(errors="replace"))
                    wchan = read(base + "wchan").decode(errors="replace").strip()
                except Error:
                    continue
                out.append(
                    ThreadRow(
                        tid=tid,
                        pid=pid,
                        name=name,
                        state=f[0],
                        cpu=int(f[36]),
                        wait="" if wchan == "0" else wchan,
                        time_ticks=int(f[11]) + int(f[12]),
                        exit_requested=status.get("ExitRequested", "0") == "1",
                    )
                )
        return out

    # ------------------------------------------------------------------ details
    def details(self, pid: int) -> ProcessDetails | None:
        """A process's status, open descriptors, children, cwd and exe (None if gone)."""
        host = self.host
        base = f"/proc/{pid}"
        try:
            status = host.read_file(base + "/status").decode(errors="replace")
        except Error:
            return None
        d = ProcessDetails(pid=pid, status=status, fds=fd_links(host, pid))
        d.files = open_files(host, pid, d.fds)
        for name in ("cwd", "exe"):
            try:
                setattr(d, name, host.readlink(f"{base}/{name}"))
            except Error:
                pass
        rows = self.rows or {r.pid: r for r in self.processes()}
        d.children = [(r.pid, r.command) for r in rows.values() if r.ppid == pid and r.pid != pid]
        d.memory = self.memory(pid, status)
        return d

    def memory(self, pid: int, status: str | None = None) -> ProcessMemory:
        """A process's memory: the Vm*/Rss* lines of its status, smaps_rollup, the fault
        counts of stat, and its areas from smaps (maps where smaps cannot be read).
        What cannot be read stays empty."""
        read = self.host.read_file
        base = f"/proc/{pid}"
        mem = ProcessMemory()

        def text(name: str) -> str | None:
            try:
                return read(f"{base}/{name}", 1 << 30).decode(errors="replace")
            except Error:
                return None

        if status is None:
            status = text("status") or ""
        mem.status = {
            k: v for k, v in parse_kb_fields(status).items() if k.startswith(("Vm", "Rss"))
        }
        rollup = text("smaps_rollup")
        if rollup:
            mem.rollup = parse_kb_fields(rollup)
        stat = text("stat")
        if stat:
            mem.minflt, mem.majflt = faults_from_stat(split_stat(stat)[1])
        smaps = text("smaps")
        if smaps is not None:
            mem.areas, mem.source = parse_smaps(smaps), "smaps"
        else:
            maps = text("maps")
            if maps is not None:
                mem.areas, mem.source = parse_maps(maps), "maps"
        return mem
