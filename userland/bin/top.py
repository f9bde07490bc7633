"""``top [-b] [-n N] [-d SECS] [-p PIDS] [-u USER] [-o FIELD]``: the busiest processes.

Each frame is procps-ng's: five summary lines (uptime and load, tasks by state, CPU
time by kind, memory and swap in MiB), then the process table sorted by %CPU. A
process's %CPU is its CPU ticks during the last interval over the interval's length,
both from /proc (virtual time), over at least a second when a key asks for a frame
early, and at most 100 per thread and per CPU (as procps caps it); the first frame
measures since each process started.

With a terminal on standard output, top is interactive: the terminal goes into raw
mode (TCGETS/TCSETS on fd 0), a thread reads keys, each interval redraws the screen
with ANSI escapes, and ``q``, ^C or a SIGINT/SIGTERM restore the terminal and quit.
End of file on the terminal (^D in raw mode is just a key; a hung-up terminal, or a
headless run whose input ran out) quits too, once the current screen is drawn, unless
``-n`` sets an end of its own: with no one left to press ``q``, top would otherwise
redraw forever.
"""

from __future__ import annotations

import datetime

from kernel.abi import (
    CLOCK_MONOTONIC,
    CLOCK_REALTIME,
    ECHO,
    EINTR,
    ICANON,
    ISIG,
    SIG_CATCH,
    SIGINT,
    SIGTERM,
    SIGWINCH,
    TCGETS,
    TCSETS,
    TIOCGWINSZ,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.procinfo import (
    HZ,
    MemInfo,
    ProcStat,
    SysStat,
    count_users,
    format_uptime,
    page_kib,
    read_all_stats,
    read_loadavg,
    read_meminfo,
    read_owner,
    read_sysstat,
    read_uptime,
)
from userland.libk.users import user_names

USAGE = """Usage:
  top -hv | -bcHiOSs -d secs -n max -u|U user -p pid(s) -o field -w [cols]

Options:
  -b          batch mode: print frames one after another, read no keys
  -n N        exit after N frames
  -d SECS     delay between frames (default 3.0)
  -p PIDS     monitor only these processes (comma separated)
  -u USER     show only processes of this effective user
  -o FIELD    sort by PID, USER, VIRT, RES, %CPU, %MEM, TIME+ or COMMAND
              (a leading - or + reverses or keeps the order)
  -w [COLS]   batch mode output width (default: no limit)
  --help      display this help and exit

Interactive keys: q quit, space refresh, P sort by %CPU, M by %MEM, T by TIME+,
N by PID.
"""
HEADER = (
    f"{'PID':>7} {'USER':<8} {'PR':>3} {'NI':>3} {'VIRT':>7} {'RES':>6} {'SHR':>6} S "
    f"{'%CPU':>5} {'%MEM':>5} {'TIME+':>9} COMMAND"
)
SORT_FIELDS = {"PID", "USER", "VIRT", "RES", "%CPU", "%MEM", "TIME+", "COMMAND"}
KEY_SORTS = {"P": "%CPU", "M": "%MEM", "T": "TIME+", "N": "PID"}
EOF_KEY = -1  # what the key reader queues at end of file on the terminal
#: %CPU is measured over at least this many seconds when earlier frames reach back.
MIN_CPU_SPAN = 1.0


def time_plus(ticks: int) -> str:
    """``M:SS.hh``: CPU time with hundredths (TIME+)."""
    cs = ticks * 100 // HZ
    return f"{cs // 6000}:{cs // 100 % 60:02d}.{cs % 100:02d}"


class Sampler:
    """Reads /proc for frames and remembers the last sample for the deltas."""

    def __init__(self, users: dict[int, str], page_kb: int, pids: set[int], uid: int | None):
        self.users = users
        self.page_kb = page_kb
        self.only_pids = pids
        self.only_uid = uid
        # (CLOCK_MONOTONIC seconds, {pid: CPU ticks}) of the recent frames, oldest first
        self.history: list[tuple[float, dict[int, int]]] = []
        self.prev_cpu: SysStat | None = None

    async def procs(self) -> tuple[list[ProcStat], list[tuple[ProcStat, int]]]:
        """Every process's stat, and (stat, owner) of the ones to show."""
        everyone = await read_all_stats()
        shown = []
        for n, st in enumerate(everyone):
            if n % 256 == 255:
                await sys.checkpoint()
            if self.only_pids and st.pid not in self.only_pids:
                continue
            owner = await read_owner(st.pid)
            if owner is None:
                continue
            if self.only_uid is not None and owner != self.only_uid:
                continue
            shown.append((st, owner))
        return everyone, shown

    async def frame(self, sort: str, reverse: bool, limit: int | None, width: int | None) -> str:
        """One frame's text: the summary, a blank line, the header and the rows."""
        uptime, _ = await read_uptime()
        cpu = await read_sysstat()
        mem = await read_meminfo()
        load = await read_loadavg()
        everyone, procs = await self.procs()
        now = (await sys.clock_gettime(CLOCK_REALTIME)) // 1_000_000_000
        clock = datetime.datetime.fromtimestamp(now, tz=datetime.UTC)
        users = count_users(everyone)
        lines = [
            f"top - {clock:%H:%M:%S} up {format_uptime(uptime)}, {users:2d} user"
            f"{'s' if users != 1 else ''},  load average: "
            f"{load.one:.2f}, {load.five:.2f}, {load.fifteen:.2f}",
            self.tasks_line(everyone),
            self.cpu_line(cpu),
            *self.mem_lines(mem),
            "",
            HEADER,
        ]
        mono = await sys.clock_gettime(CLOCK_MONOTONIC) / 1e9
        base_time, base = self.cpu_base(mono)
        span = mono - base_time if base_time is not None else None
        ncpus = len(cpu.cpus) or 1
        rows = []
        for st, owner in procs:
            if span is not None and span > 0:
                used = st.ticks - base.get(st.pid, 0)
                pcpu = 100.0 * used / HZ / span
            else:
                life = uptime - st.starttime / HZ
                pcpu = 100.0 * st.ticks / HZ / life if life > 0 else 0.0
            # As procps: no more than 100 % per thread, nor per CPU of the machine.
            pcpu = max(0.0, min(pcpu, 100.0 * max(st.num_threads, 1), 100.0 * ncpus))
            res = st.rss * self.page_kb
            pmem = 100.0 * res / mem.total if mem.total else 0.0
            rows.append((st, owner, pcpu, res, pmem))
        self.history.append((mono, {st.pid: st.ticks for st, _ in procs}))
        rows.sort(key=lambda r: r[0].pid)
        rows.sort(key=lambda r: sort_key(r, sort, self.users), reverse=reverse)
        for st, owner, pcpu, res, pmem in rows[:limit] if limit is not None else rows:
            name = self.users.get(owner, str(owner))
            if len(name) > 8:
                name = name[:7] + "+"
            lines.append(
                f"{st.pid:>7} {name:<8} {st.priority:>3} {st.nice:>3} {st.vsize // 1024:>7} "
                f"{res:>6} {0:>6} {st.state} {pcpu:>5.1f} {pmem:>5.1f} "
                f"{time_plus(st.ticks):>9} {st.comm}"
            )
        if width is not None:
            lines = [line[:width] for line in lines]
        return "\n".join(lines) + "\n"

    def cpu_base(self, now: float) -> tuple[float | None, dict[int, int]]:
        """The frame %CPU is measured from: the last one, or, when it is less than
        MIN_CPU_SPAN old (a key asked for a frame early), the newest one at least that
        old (else the oldest kept). Older frames are forgotten. CPU time counts in
        ticks: over a short span a busy process would show 0 or 200 % in turn."""
        history = self.history
        if not history:
            return None, {}
        n = len(history) - 1
        while n > 0 and now - history[n][0] < MIN_CPU_SPAN:
            n -= 1
        del history[:n]
        return history[0]

    @staticmethod
    def tasks_line(stats: list[ProcStat]) -> str:
        """``Tasks:   3 total,   1 running, …``."""
        count = {"R": 0, "S": 0, "T": 0, "Z": 0}
        for st in stats:
            state = st.state if st.state in count else "S"
            count[state] += 1
        return (
            f"Tasks: {len(stats):3d} total, {count['R']:3d} running, {count['S']:3d} sleeping, "
            f"{count['T']:3d} stopped, {count['Z']:3d} zombie"
        )

    def cpu_line(self, cpu: SysStat) -> str:
        """``%Cpu(s):`` shares of CPU time since the last frame (since boot at first)."""
        now, prev = cpu.cpu, self.prev_cpu.cpu if self.prev_cpu is not None else None
        self.prev_cpu = cpu
        fields = ["user", "system", "nice", "idle", "iowait", "irq", "softirq", "steal"]
        delta = {f: getattr(now, f) - (getattr(prev, f) if prev else 0) for f in fields}
        total = sum(delta.values())
        if total <= 0:
            share = dict.fromkeys(fields, 0.0)
            share["idle"] = 100.0
        else:
            share = {f: 100.0 * v / total for f, v in delta.items()}
        return (
            f"%Cpu(s):{share['user']:5.1f} us,{share['system']:5.1f} sy,{share['nice']:5.1f} ni,"
            f"{share['idle']:5.1f} id,{share['iowait']:5.1f} wa,{share['irq']:5.1f} hi,"
            f"{share['softirq']:5.1f} si,{share['steal']:5.1f} st"
        )

    @staticmethod
    def mem_lines(mem: MemInfo) -> list[str]:
        """``MiB Mem :`` and ``MiB Swap:`` lines."""

        def mib(kib: int) -> str:
            return f"{kib / 1024:9.1f}"

        swap_used = mem.swap_total - mem.swap_free
        return [
            f"MiB Mem : {mib(mem.total)} total, {mib(mem.free)} free, {mib(mem.used)} used, "
            f"{mib(mem.buff_cache)} buff/cache",
            f"MiB Swap: {mib(mem.swap_total)} total, {mib(mem.swap_free)} free, "
            f"{mib(swap_used)} used. {mib(mem.available)} avail Mem",
        ]


def sort_key(row: tuple[ProcStat, int, float, int, float], field: str, users: dict) -> object:
    """What a sort field compares."""
    st, owner, pcpu, res, pmem = row
    return {
        "PID": st.pid,
        "USER": users.get(owner, str(owner)),
        "VIRT": st.vsize,
        "RES": res,
        "%CPU": pcpu,
        "%MEM": pmem,
        "TIME+": st.ticks,
        "COMMAND": st.comm,
    }[field]


def default_reverse(field: str) -> bool:
    """Numbers sort high first, as in top; names and pids low first."""
    return field not in ("PID", "USER", "COMMAND")


async def interactive(sampler: Sampler, delay_ns: int, frames: int | None, sort: str) -> int:
    """Redraw in raw mode until q, ^C, SIGINT/SIGTERM or the frame count."""
    saved = await sys.ioctl(0, TCGETS)
    raw = saved.copy()
    raw.lflag &= ~(ICANON | ECHO | ISIG)
    keys: list[int] = []

    async def reader(_: object) -> None:
        while True:
            try:
                data = await sys.read(0, 16)
            except Error as err:
                if err.errno == EINTR:  # a caught signal (SIGWINCH): keep reading
                    continue
                data = b""
            if not data:  # end of input (a hung-up terminal): no one can press q now
                if frames is None:  # so quit after this screen, unless -n ends it anyway
                    keys.append(EOF_KEY)
                return
            keys.extend(data)

    catch = await catch_signals()
    await sys.ioctl(0, TCSETS, raw)
    try:
        await sys.thread_spawn(reader, None)
        await kio.write_all(1, "\x1b[?25l\x1b[H\x1b[2J")
        shown = 0
        reverse = default_reverse(sort)
        while True:
            try:
                size = await sys.ioctl(1, TIOCGWINSZ)
                rows, cols = size.rows, size.cols
            except Error:
                rows, cols = 24, 80
            text = await sampler.frame(sort, reverse, max(0, rows - 7), cols)
            screen = "\x1b[H" + text.rstrip("\n").replace("\n", "\x1b[K\n") + "\x1b[K\x1b[J"
            await kio.write_all(1, screen)
            shown += 1
            if frames is not None and shown >= frames:
                return 0
            waited = 0
            step = min(delay_ns, 50_000_000)
            while waited < delay_ns and not keys:
                try:
                    await sys.nanosleep(step)
                except Error as err:
                    if err.errno != EINTR:
                        raise
                waited += step
                if catch:
                    caught = await sys.sigtake()
                    if set(caught) - {SIGWINCH}:
                        return 0
                    if caught:  # the terminal was resized: redraw at the new size now
                        break
            while keys:
                code = keys.pop(0)
                if code == EOF_KEY:
                    return 0
                key = chr(code)
                if key in ("q", "\x03"):
                    return 0
                if key in KEY_SORTS:
                    sort = KEY_SORTS[key]
                    reverse = default_reverse(sort)
                elif key == "R":
                    reverse = not reverse
    finally:
        await sys.ioctl(0, TCSETS, saved)
        await kio.write_all(1, "\x1b[?25h\n")


async def catch_signals() -> bool:
    """Catch SIGINT and SIGTERM (SIG_CATCH) so that top can restore the terminal, and
    SIGWINCH so that it redraws at once at a new window size."""
    try:
        for sig in (SIGINT, SIGTERM, SIGWINCH):
            await sys.sigaction(sig, SIG_CATCH)
    except Error:
        return False
    return True


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("top", argv, "bn:d:p:u:U:o:w:cHiSs", USAGE, hint=USAGE)
    if isinstance(opts, int):
        return opts
    try:
        frames = int(opts.value("n")) if opts.has("n") else None
        delay = float(opts.value("d") or 3.0)
        if delay < 0 or (frames is not None and frames < 1):
            raise ValueError
        pids = {int(p) for p in (opts.value("p") or "").split(",") if p}
        width = int(opts.value("w")) if opts.has("w") else None
    except ValueError:
        await kio.warn("top", "bad number in an option\n" + USAGE)
        return 1
    users = await user_names()
    only_uid = None
    who = opts.value("u") or opts.value("U")
    if who is not None:
        match = [u for u, name in users.items() if name == who]
        if who.isdigit():
            match = [int(who)]
        if not match:
            await kio.warn("top", f"Invalid user '{who}'")
            return 1
        only_uid = match[0]
    field = (opts.value("o") or "%CPU").upper()
    reverse_flip = field.startswith("-")
    field = field.lstrip("+-")
    if field not in SORT_FIELDS:
        await kio.warn("top", f"unrecognized field name '{field}'")
        return 1
    sampler = Sampler(users, await page_kib(), pids, only_uid)
    delay_ns = int(delay * 1_000_000_000)
    if not opts.has("b") and await is_terminal():
        return await interactive(sampler, delay_ns, frames, field)
    reverse = default_reverse(field) != reverse_flip
    shown = 0
    while True:
        screen = await sampler.frame(field, reverse, None, width)
        await kio.write_all(1, ("\n" if shown else "") + screen)
        shown += 1
        if frames is not None and shown >= frames:
            return 0
        await sys.nanosleep(delay_ns)


async def is_terminal() -> bool:
    """Are both standard input and output a terminal?"""
    try:
        await sys.ioctl(0, TCGETS)
        await sys.ioctl(1, TCGETS)
    except Error:
        return False
    return True
