"""Reading /proc for the process and system utilities (ps, top, pstree, free, uptime).

Small parsers from /proc's Linux formats (proc(5)) into dataclasses: a process's
``stat``, ``status`` and ``cmdline``, and the machine's ``meminfo``, ``stat``,
``uptime`` and ``loadavg``. Each read is one open, one read and one close, so ps over
ten thousand processes stays cheap; nothing is cached between calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.abi import O_DIRECTORY, O_RDONLY, Error
from userland.libk import sys

#: Clock ticks per second in /proc's times (USER_HZ).
HZ = 100
#: The most one read of a /proc file asks for (the kernel caps a read at 1 MiB).
READ_CHUNK = 1 << 18
#: The console's device number (major 5, minor 1), as /proc/<pid>/stat gives it.
CONSOLE_DEV = (5 << 8) | 1


async def read_text(path: str, limit: int = 65536) -> str | None:
    """A small /proc file's text, or None if it cannot be read (the process left).

    Meant for /proc, whose files are generated whole at open: a short read ends it.
    """
    try:
        fd = await sys.open(path, O_RDONLY)
    except Error:
        return None
    try:
        chunks = []
        total = 0
        while total < limit:
            want = min(limit - total, READ_CHUNK)
            data = await sys.read(fd, want)
            chunks.append(data)
            total += len(data)
            # A /proc file is made whole when opened: a short read is its end, and
            # stopping here saves the read that would return b"". (Reads are asked
            # for at most READ_CHUNK, well under the kernel's cap on one read.)
            if len(data) < want:
                break
        return b"".join(chunks).decode(errors="replace")
    except Error:
        return None
    finally:
        await sys.close(fd)


async def list_dir(path: str) -> list[str]:
    """The names in a directory ([] if it cannot be read)."""
    try:
        fd = await sys.open(path, O_RDONLY | O_DIRECTORY)
    except Error:
        return []
    names: list[str] = []
    try:
        while batch := await sys.getdents(fd):
            names.extend(d.d_name for d in batch)
    except Error:
        pass
    finally:
        await sys.close(fd)
    return names


async def list_pids() -> list[int]:
    """Every process id in /proc, ascending."""
    return sorted(int(n) for n in await list_dir("/proc") if n.isdigit())


async def list_tids(pid: int) -> list[int]:
    """The thread ids of a process (from /proc/<pid>/task), ascending."""
    return sorted(int(n) for n in await list_dir(f"/proc/{pid}/task") if n.isdigit())


# ------------------------------------------------------------------ /proc/<pid>/stat


@dataclass(slots=True)
class ProcStat:
    """The fields of /proc/<pid>/stat that the utilities use (times in ticks)."""

    pid: int
    comm: str
    state: str
    ppid: int
    pgrp: int
    session: int
    tty_nr: int
    tpgid: int
    utime: int
    stime: int
    cutime: int
    cstime: int
    priority: int
    nice: int
    num_threads: int
    starttime: int
    vsize: int
    rss: int
    processor: int

    @property
    def ticks(self) -> int:
        """CPU time used, user plus system, in ticks."""
        return self.utime + self.stime


def parse_stat(text: str) -> ProcStat:
    """Parse one /proc/<pid>/stat line (the comm may hold spaces and parentheses).

    Raises:
        ValueError: the text is not a stat line.
    """
    lp, rp = text.index("("), text.rindex(")")
    f = text[rp + 2 :].split()
    return ProcStat(
        pid=int(text[:lp]),
        comm=text[lp + 1 : rp],
        state=f[0],
        ppid=int(f[1]),
        pgrp=int(f[2]),
        session=int(f[3]),
        tty_nr=int(f[4]),
        tpgid=int(f[5]),
        utime=int(f[11]),
        stime=int(f[12]),
        cutime=int(f[13]),
        cstime=int(f[14]),
        priority=int(f[15]),
        nice=int(f[16]),
        num_threads=int(f[17]),
        starttime=int(f[19]),
        vsize=int(f[20]),
        rss=int(f[21]),
        processor=int(f[36]) if len(f) > 36 else 0,
    )


async def read_stat(pid: int, tid: int | None = None) -> ProcStat | None:
    """/proc/<pid>/stat (or a thread's, /proc/<pid>/task/<tid>/stat); None if gone."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    text = await read_text(path, 4096)
    if not text:
        return None
    try:
        return parse_stat(text)
    except (ValueError, IndexError):
        return None


async def read_all_stats() -> list[ProcStat]:
    """The stat line of every process, ascending by pid.

    One read of libk's /proc/allstat when it exists (a monitor's fast path), else one
    /proc/<pid>/stat per process, as on Linux.
    """
    text = await read_text("/proc/allstat", 1 << 26)
    if text is None:
        stats = []
        for n, pid in enumerate(await list_pids()):
            if n % 256 == 255:
                await sys.checkpoint()
            st = await read_stat(pid)
            if st is not None:
                stats.append(st)
        return stats
    out = []
    for n, line in enumerate(text.splitlines()):
        if n % 512 == 511:
            await sys.checkpoint()
        try:
            out.append(parse_stat(line))
        except (ValueError, IndexError):
            continue
    return out


async def read_owner(pid: int) -> int | None:
    """The effective uid of a process (the owner of /proc/<pid>); None if gone."""
    try:
        return (await sys.stat(f"/proc/{pid}")).st_uid
    except Error:
        return None


async def read_cmdline(pid: int) -> list[str]:
    """The argv of a process ([] for a zombie or one that left)."""
    text = await read_text(f"/proc/{pid}/cmdline", 65536)
    if not text:
        return []
    return text.rstrip("\0").split("\0")


# ------------------------------------------------------------------ /proc/<pid>/status


@dataclass(slots=True)
class ProcStatus:
    """The fields of /proc/<pid>/status that the utilities use (sizes in KiB)."""

    name: str = ""
    uid: tuple[int, ...] = (0, 0, 0, 0)
    gid: tuple[int, ...] = (0, 0, 0, 0)
    groups: tuple[int, ...] = ()
    threads: int = 1
    vm_size: int = 0
    vm_rss: int = 0
    fields: dict[str, str] = field(default_factory=dict)


def parse_status(text: str) -> ProcStatus:
    """Parse a /proc/<pid>/status file."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key] = value.strip()

    def ints(key: str) -> tuple[int, ...]:
        return tuple(int(x) for x in fields.get(key, "").split() if x.lstrip("-").isdigit())

    def kib(key: str) -> int:
        words = fields.get(key, "0").split()
        return int(words[0]) if words and words[0].isdigit() else 0

    return ProcStatus(
        name=fields.get("Name", ""),
        uid=ints("Uid") or (0, 0, 0, 0),
        gid=ints("Gid") or (0, 0, 0, 0),
        groups=ints("Groups"),
        threads=int(fields.get("Threads", "1") or 1),
        vm_size=kib("VmSize"),
        vm_rss=kib("VmRSS"),
        fields=fields,
    )


async def read_status(pid: int) -> ProcStatus | None:
    """/proc/<pid>/status; None if the process left."""
    text = await read_text(f"/proc/{pid}/status")
    return parse_status(text) if text else None


async def page_kib() -> int:
    """The page size in KiB, from the caller's own RSS in pages and in kB (4 if unknown)."""
    st = await read_stat(await sys.getpid())
    status = await read_status(await sys.getpid())
    if st is not None and status is not None and st.rss > 0 and status.vm_rss > 0:
        return max(1, status.vm_rss // st.rss)
    return 4


# ------------------------------------------------------------------ machine-wide files


@dataclass(slots=True)
class MemInfo:
    """/proc/meminfo, in KiB: ``info["MemTotal"]`` or the named properties."""

    values: dict[str, int]

    def get(self, key: str) -> int:
        """One field in KiB (0 if absent)."""
        return self.values.get(key, 0)

    @property
    def total(self) -> int:
        """MemTotal."""
        return self.get("MemTotal")

    @property
    def free(self) -> int:
        """MemFree."""
        return self.get("MemFree")

    @property
    def available(self) -> int:
        """MemAvailable (MemFree if the kernel does not say)."""
        return self.values.get("MemAvailable", self.free)

    @property
    def shared(self) -> int:
        """Shmem."""
        return self.get("Shmem")

    @property
    def buff_cache(self) -> int:
        """Buffers + Cached + SReclaimable, as procps's free counts it."""
        return self.get("Buffers") + self.get("Cached") + self.get("SReclaimable")

    @property
    def used(self) -> int:
        """Total minus available, as procps 4 counts it (never negative)."""
        return max(0, self.total - self.available)

    @property
    def swap_total(self) -> int:
        """SwapTotal."""
        return self.get("SwapTotal")

    @property
    def swap_free(self) -> int:
        """SwapFree."""
        return self.get("SwapFree")


def parse_meminfo(text: str) -> MemInfo:
    """Parse /proc/meminfo."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        words = rest.split()
        if sep and words and words[0].isdigit():
            values[key.strip()] = int(words[0])
    return MemInfo(values)


async def read_meminfo() -> MemInfo:
    """/proc/meminfo (all zero if /proc is missing)."""
    return parse_meminfo(await read_text("/proc/meminfo") or "")


@dataclass(slots=True)
class CpuTimes:
    """One ``cpu`` line of /proc/stat, in ticks."""

    user: int = 0
    nice: int = 0
    system: int = 0
    idle: int = 0
    iowait: int = 0
    irq: int = 0
    softirq: int = 0
    steal: int = 0

    @property
    def total(self) -> int:
        """Every tick counted."""
        return (
            self.user
            + self.nice
            + self.system
            + self.idle
            + self.iowait
            + self.irq
            + self.softirq
            + self.steal
        )


@dataclass(slots=True)
class SysStat:
    """/proc/stat: the summed CPU line, one per CPU, boot time, and counters."""

    cpu: CpuTimes
    cpus: list[CpuTimes]
    btime: int = 0
    processes: int = 0
    procs_running: int = 0
    ctxt: int = 0


def parse_sysstat(text: str) -> SysStat:
    """Parse /proc/stat."""
    total = CpuTimes()
    cpus: list[CpuTimes] = []
    st = SysStat(total, cpus)
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        key = words[0]
        if key.startswith("cpu"):
            nums = [int(w) for w in words[1:9] if w.isdigit()]
            times = CpuTimes(*nums)
            if key == "cpu":
                st.cpu = times
            else:
                cpus.append(times)
        elif key in ("btime", "processes", "procs_running", "ctxt") and len(words) > 1:
            setattr(st, key, int(words[1]))
    return st


async def read_sysstat() -> SysStat:
    """/proc/stat."""
    return parse_sysstat(await read_text("/proc/stat") or "")


async def read_uptime() -> tuple[float, float]:
    """(seconds since boot, idle seconds summed over CPUs) from /proc/uptime."""
    text = await read_text("/proc/uptime")
    words = (text or "").split()
    try:
        return float(words[0]), float(words[1])
    except (IndexError, ValueError):
        return 0.0, 0.0


@dataclass(slots=True)
class LoadAvg:
    """/proc/loadavg."""

    one: float = 0.0
    five: float = 0.0
    fifteen: float = 0.0
    running: int = 0
    total: int = 0
    last_pid: int = 0


async def read_loadavg() -> LoadAvg:
    """/proc/loadavg (zeros if missing)."""
    words = (await read_text("/proc/loadavg") or "").split()
    try:
        running, _, total = words[3].partition("/")
        return LoadAvg(
            float(words[0]),
            float(words[1]),
            float(words[2]),
            int(running),
            int(total),
            int(words[4]),
        )
    except (IndexError, ValueError):
        return LoadAvg()


# ------------------------------------------------------------------ formatting helpers


async def syscall_counts(pid: str = "self") -> dict[str, int]:
    """How many times the process has made each system call (/proc/PID/syscalls)."""
    text = await read_text(f"/proc/{pid}/syscalls") or ""
    return {name: int(n) for name, n in (line.split() for line in text.splitlines() if line)}


def parse_diskstats(text: str) -> dict[str, list[int]]:
    """/proc/diskstats: each device's name -> its 17 counters (fewer on old kernels are
    padded with zeros), in the file's order."""
    out: dict[str, list[int]] = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 14 and all(w.isdigit() for w in words[3:]):
            nums = [int(w) for w in words[3:20]]
            out[words[2]] = nums + [0] * (17 - len(nums))
    return out


def tty_name(tty_nr: int) -> str:
    """The terminal's name as ps shows it: ``console``, ``ttyN``, or ``?`` for none."""
    if tty_nr == 0:
        return "?"
    if tty_nr == CONSOLE_DEV:
        return "console"
    major, minor = tty_nr >> 8, tty_nr & 0xFF
    if major == 136:
        return f"pts/{minor}"
    return f"tty{minor}"


def count_users(stats: list[ProcStat]) -> int:
    """Logged-in sessions, the way utmp would count them: terminal session leaders."""
    return sum(1 for p in stats if p.tty_nr and p.session == p.pid and p.state != "Z")


def format_uptime(seconds: float) -> str:
    """``5 min``, ``1:02``, ``3 days,  4:05``: how uptime(1) and top say how long it is up."""
    total_min = int(seconds) // 60
    days, rem = divmod(total_min, 1440)
    hours, minutes = divmod(rem, 60)
    out = ""
    if days:
        out = f"{days} day{'s' if days != 1 else ''}, "
    if hours:
        out += f"{hours:2d}:{minutes:02d}"
    else:
        out += f"{minutes} min"
    return out
