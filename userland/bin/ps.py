"""``ps [-e|-A] [-f] [aux]``: report processes, read from /proc.

Without options, the processes on the caller's terminal (as on Linux); ``-e`` every
process; ``-f`` full format (UID PPID C STIME); BSD ``aux`` the user-oriented format.
"""

from __future__ import annotations

from kernel.abi import CLOCK_MONOTONIC, O_DIRECTORY, O_RDONLY, Error
from userland.libk import io as kio
from userland.libk import sys
from userland.libk.users import user_names

USAGE = """Usage: ps [-e|-A] [-f]
       ps aux
Report a snapshot of the processes, from /proc.
  -e, -A  every process (default: those on this terminal)
  -f      full format: UID, PPID, C, STIME
  aux     every process, user-oriented: %CPU %MEM VSZ RSS STAT START
"""

TICK = 100


def tty_name(tty_nr: int) -> str:
    """``console`` for the console's device number, ``?`` for none."""
    if tty_nr == 0:
        return "?"
    major, minor = tty_nr >> 8, tty_nr & 0xFF
    return "console" if (major, minor) == (5, 1) else f"tty{minor}"


def clock(ticks: int) -> str:
    """``HH:MM:SS`` CPU time from clock ticks."""
    s = ticks // TICK
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


class Proc:
    """What ps shows of one process."""

    __slots__ = (
        "pid",
        "comm",
        "state",
        "ppid",
        "tty",
        "ticks",
        "start",
        "vsz",
        "rss",
        "uid",
        "args",
        "nthreads",
        "sid",
        "pgrp",
        "tpgid",
    )


async def read_proc(pid: str) -> Proc | None:
    """Parse /proc/<pid>/stat and friends; None if the process went away."""
    try:
        fd = await sys.open(f"/proc/{pid}/stat", O_RDONLY)
        try:
            stat = (await sys.read(fd, 4096)).decode()
        finally:
            await sys.close(fd)
        st = await sys.stat(f"/proc/{pid}")
    except Error:
        return None
    lp, rp = stat.index("("), stat.rindex(")")
    f = stat[rp + 2 :].split()
    p = Proc()
    p.pid = int(stat[:lp])
    p.comm = stat[lp + 1 : rp]
    p.state, p.ppid, p.pgrp, p.sid, p.tty = f[0], int(f[1]), int(f[2]), int(f[3]), int(f[4])
    p.tpgid = int(f[5])
    p.ticks = int(f[11]) + int(f[12])
    p.nthreads = int(f[17])
    p.start = int(f[19])
    p.vsz = int(f[20]) // 1024
    p.rss = int(f[21])
    p.uid = st.st_uid
    p.args = ""
    return p


async def cmdline(p: Proc) -> str:
    """The full command line ([comm] for a process without one)."""
    try:
        fd = await sys.open(f"/proc/{p.pid}/cmdline", O_RDONLY)
        try:
            raw = await sys.read(fd, 4096)
        finally:
            await sys.close(fd)
    except Error:
        raw = b""
    text = raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
    return text or f"[{p.comm}]"


async def main(argv: list[str]) -> int:
    """Entry point."""
    words = argv[1:]
    if "--help" in words:
        await kio.write_all(1, USAGE)
        return 0
    bsd = bool(words) and not words[0].startswith("-")
    flags = set("".join(w.lstrip("-") for w in words))
    if not flags <= set("eAfaux"):
        bad = sorted(flags - set("eAfaux"))[0]
        await kio.warn("ps", f"unknown option -- '{bad}'\n{USAGE}")
        return 1
    everyone = bool(flags & {"e", "A"}) or (bsd and "a" in flags and "x" in flags)
    full = "f" in flags
    userfmt = bsd and "u" in flags
    fd = await sys.open("/proc", O_RDONLY | O_DIRECTORY)
    pids: list[str] = []
    try:
        while batch := await sys.getdents(fd):
            pids.extend(d.d_name for d in batch if d.d_name.isdigit())
    finally:
        await sys.close(fd)
    me: Proc | None = None
    mypid = await sys.getpid()
    procs = []
    for pid in sorted(pids, key=int):
        p = await read_proc(pid)
        if p is not None:
            procs.append(p)
            if p.pid == mypid:
                me = p
    if not everyone:
        tty = me.tty if me is not None else 0
        uid = await sys.geteuid()
        procs = [p for p in procs if (p.tty == tty and tty) or (not tty and p.uid == uid)]
    users = await user_names() if (full or userfmt) else {}
    out = kio.Output(1)
    if userfmt:
        uptime = await sys.clock_gettime(CLOCK_MONOTONIC) / 1e9
        mem_kb = await total_memory_kb()
        await out.line("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND")
        for p in procs:
            life = max(uptime - p.start / TICK, 1e-9)
            cpu = 100.0 * (p.ticks / TICK) / life
            mem = 100.0 * p.rss * 4 / mem_kb if mem_kb else 0.0
            start = clock(p.start)[:5]
            await out.line(
                f"{users.get(p.uid, str(p.uid)):<8} {p.pid:>7} {cpu:4.1f} {mem:4.1f} "
                f"{p.vsz:>6} {p.rss * 4:>5} {tty_name(p.tty):<8} "
                f"{stat_flags(p):<4} {start} {clock(p.ticks)[3:]} {await cmdline(p)}"
            )
    elif full:
        await out.line("UID          PID    PPID  C STIME TTY          TIME CMD")
        for p in procs:
            await out.line(
                f"{users.get(p.uid, str(p.uid)):<8} {p.pid:>7} {p.ppid:>7}  0 "
                f"{clock(p.start)[:5]} {tty_name(p.tty):<8} {clock(p.ticks)} "
                f"{await cmdline(p)}"
            )
    else:
        await out.line("    PID TTY          TIME CMD")
        for p in procs:
            defunct = " <defunct>" if p.state == "Z" else ""
            await out.line(f"{p.pid:>7} {tty_name(p.tty):<8} {clock(p.ticks)} {p.comm}{defunct}")
    await out.flush()
    return 0


def stat_flags(p: Proc) -> str:
    """BSD STAT: state plus s (session leader), l (threads), + (foreground group)."""
    s = p.state
    if p.sid == p.pid:
        s += "s"
    if p.nthreads > 1:
        s += "l"
    if p.tpgid == p.pgrp and p.tty:
        s += "+"
    return s


async def total_memory_kb() -> int:
    """MemTotal from /proc/meminfo."""
    try:
        text = (await kio.read_file("/proc/meminfo")).decode()
    except Error:
        return 0
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 0
