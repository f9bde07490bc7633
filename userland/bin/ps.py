"""``ps [-eAfLT] [-o FORMAT] [-p PIDS] [-u USERS] [--sort KEYS]``, ``ps aux``: report
processes, read from /proc.

Selection and formats follow procps-ng: without options, the caller's processes on its
terminal; ``-e`` every process; ``-p``/``-u`` by pid or effective user (they add up);
``-f`` the full format, ``-o`` any columns (``-o pid,comm=NAME``), BSD ``aux`` the
user-oriented one. Each column says which /proc files it needs, and ps reads only those,
so ``ps -e`` over ten thousand processes stays cheap.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from kernel.abi import CLOCK_REALTIME
from userland.libk import io as kio
from userland.libk import sys
from userland.libk.procinfo import (
    HZ,
    ProcStat,
    ProcStatus,
    list_tids,
    page_kib,
    read_all_stats,
    read_cmdline,
    read_meminfo,
    read_owner,
    read_stat,
    read_status,
    read_sysstat,
    read_uptime,
    tty_name,
)
from userland.libk.users import group_names, user_names

USAGE = """
Usage:
 ps [options]

Basic options:
 -A, -e               all processes
 a                    all with tty, including other users
 x                    processes without controlling ttys

Selection by list:
 -p, p, --pid <PID>   process id
 -u, U, --user <UID>  effective user id or name

Output formats:
 -f                   full-format
 -o, o, --format <format>
                      user-defined format (pid,ppid,user,stat,time,comm,args,
                      %cpu,%mem,rss,vsz,tty,nlwp,pgid,sid,etime,...)
 u                    user-oriented format
     --sort <keys>    sort by keys, e.g. --sort=-%cpu,pid
 --no-headers         do not print the header line

Threads:
 -L                   one line per thread, with LWP and NLWP columns
 -T                   one line per thread, with SPID

     --help     display this help and exit

For more details see ps(1).
"""
TRY = """
Usage:
 ps [options]

 Try 'ps --help'
 for additional help text.

For more details see ps(1)."""

DEFAULT_FORMAT = "pid,tname,time,ucmd"
FULL_FORMAT = "uid_f,pid,ppid,c,stime,tname,time,cmd"
BSD_USER_FORMAT = "user,pid,%cpu,%mem,vsz,rss,tname,stat,start_time,bsdtime,args"
BSD_FORMAT = "pid,tname,stat,bsdtime,args"
THREAD_FORMAT = "pid,lwp,tname,time,ucmd"
FULL_THREAD_FORMAT = "uid_f,pid,ppid,lwp,c,nlwp,stime,tname,time,cmd"
SPID_FORMAT = "pid,spid,tname,time,ucmd"


class UsageProblem(Exception):
    """A bad command line: the message goes after ``error: ``."""


# ------------------------------------------------------------------ columns


@dataclass(slots=True)
class Context:
    """Machine-wide facts the columns use, read once per run."""

    users: dict[int, str] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)
    uptime: float = 0.0
    mem_total_kb: int = 0
    page_kb: int = 4
    btime: int = 0
    now: int = 0
    stimes: dict[int, str] = field(default_factory=dict)


@dataclass(slots=True)
class Row:
    """One process (or, with -L/-T, one thread) and what was read about it."""

    stat: ProcStat
    owner: int
    cmdline: list[str] | None = None
    status: ProcStatus | None = None
    tgid: int | None = None
    nlwp: int | None = None


@dataclass(slots=True, frozen=True)
class Column:
    """A ps column: header, width, alignment, its value (also the sort key), its text."""

    header: str
    width: int
    right: bool
    value: Callable[[Row, Context], object]
    show: Callable[[object], str] = str
    needs: frozenset[str] = frozenset()
    cut: bool = False

    def text(self, row: Row, ctx: Context) -> str:
        """The cell's text for one row."""
        return self.show(self.value(row, ctx))

    def sort_key(self, row: Row, ctx: Context) -> object:
        """What --sort compares."""
        return self.value(row, ctx)

    def fit(self, text: str, *, last: bool, header: bool) -> str:
        """Pad to the width; cut long names unless this is the last column."""
        if last and not self.right:
            return text
        if self.cut and not header and len(text) > self.width:
            text = text[: self.width]
        return text.rjust(self.width) if self.right else text.ljust(self.width)


def clock(ticks: int) -> str:
    """``[DD-]HH:MM:SS`` CPU time from clock ticks (TIME)."""
    s = ticks // HZ
    days, s = divmod(s, 86400)
    text = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{days}-{text}" if days else text


def bsd_clock(ticks: int) -> str:
    """``M:SS`` CPU time (BSD TIME)."""
    s = ticks // HZ
    return f"{s // 60}:{s % 60:02d}"


def elapsed(seconds: int) -> str:
    """``[[DD-]HH:]MM:SS`` (ELAPSED)."""
    days, s = divmod(max(0, seconds), 86400)
    hours, s = divmod(s, 3600)
    text = f"{s // 60:02d}:{s % 60:02d}"
    if days:
        return f"{days}-{hours:02d}:{text}"
    return f"{hours:02d}:{text}" if hours else text


def stat_flags(row: Row) -> str:
    """BSD STAT: state, then N (niced), s (session leader), l (threads), + (foreground)."""
    st = row.stat
    s = st.state
    if st.nice > 0:
        s += "N"
    elif st.nice < 0:
        s += "<"
    if st.session == st.pid:
        s += "s"
    if (row.nlwp or st.num_threads) > 1:
        s += "l"
    if st.tty_nr and st.tpgid == st.pgrp:
        s += "+"
    return s


def command(row: Row) -> str:
    """The full command line; ``[comm]`` without one; ``<defunct>`` for a zombie."""
    st = row.stat
    if st.state == "Z":
        return f"[{st.comm}] <defunct>"
    return " ".join(row.cmdline or []) or f"[{st.comm}]"


def comm(row: Row) -> str:
    """The command name, with ``<defunct>`` for a zombie."""
    return row.stat.comm + (" <defunct>" if row.stat.state == "Z" else "")


def life(row: Row, ctx: Context) -> float:
    """Seconds since the process started."""
    return max(ctx.uptime - row.stat.starttime / HZ, 0.0)


def pcpu(row: Row, ctx: Context) -> float:
    """CPU time over lifetime, in percent (what ps means by %CPU)."""
    span = life(row, ctx)
    return 100.0 * (row.stat.ticks / HZ) / span if span > 0 else 0.0


def pmem(row: Row, ctx: Context) -> float:
    """Resident memory over total memory, in percent."""
    if not ctx.mem_total_kb:
        return 0.0
    return 100.0 * row.stat.rss * ctx.page_kb / ctx.mem_total_kb


def started(row: Row, ctx: Context) -> datetime.datetime:
    """The wall-clock time the process started."""
    secs = ctx.btime + row.stat.starttime // HZ
    return datetime.datetime.fromtimestamp(secs, tz=datetime.UTC)


def start_text(row: Row, ctx: Context, recent: str, older: str) -> str:
    """A start time: ``recent`` format within 24 hours, ``older`` before."""
    when = started(row, ctx)
    return f"{when:{recent if ctx.now - when.timestamp() < 86400 else older}}"


def stime(row: Row, ctx: Context) -> str:
    """STIME: ``HH:MM`` today, ``MonDD`` this year, else the year (cached per second)."""
    secs = row.stat.starttime // HZ
    text = ctx.stimes.get(secs)
    if text is None:
        when = started(row, ctx)
        now = datetime.datetime.fromtimestamp(ctx.now, tz=datetime.UTC)
        if when.date() == now.date():
            text = f"{when:%H:%M}"
        else:
            text = f"{when:%b%d}" if when.year == now.year else f"{when:%Y}"
        ctx.stimes[secs] = text
    return text


def user_name(uid: int, ctx: Context, width: int = 8) -> str:
    """A user's name, or the number when there is none or it does not fit."""
    name = ctx.users.get(uid)
    return name if name is not None and len(name) <= width else str(uid)


def _status_ids(row: Row, key: str, index: int) -> int:
    st = row.status
    if st is None:
        return row.owner if key == "uid" else 0
    ids = st.uid if key == "uid" else st.gid
    return ids[index] if len(ids) > index else 0


def _pct(v: object) -> str:
    return f"{v:.1f}"


_S = frozenset({"status"})
_O = frozenset({"owner", "users"})
_CL = frozenset({"clock"})
_M = frozenset({"memory"})
_pid = Column("PID", 7, True, lambda r, c: r.tgid or r.stat.pid)
_lwp = Column("LWP", 7, True, lambda r, c: r.stat.pid)
_user = Column("USER", 8, False, lambda r, c: user_name(r.owner, c), needs=_O)
_comm = Column("COMMAND", 15, False, lambda r, c: comm(r), cut=True)
_args = Column(
    "COMMAND", 27, False, lambda r, c: command(r), needs=frozenset({"cmdline"}), cut=True
)
_time = Column("TIME", 8, True, lambda r, c: r.stat.ticks, clock)
_tname = Column("TTY", 8, False, lambda r, c: tty_name(r.stat.tty_nr), cut=True)
_pcpu = Column("%CPU", 4, True, pcpu, _pct)
_pmem = Column("%MEM", 4, True, pmem, _pct, needs=_M)
_rss = Column("RSS", 5, True, lambda r, c: r.stat.rss * c.page_kb, needs=_M)
_vsz = Column("VSZ", 6, True, lambda r, c: r.stat.vsize // 1024)
_nlwp = Column("NLWP", 4, True, lambda r, c: r.nlwp or r.stat.num_threads)
_group = Column("GROUP", 8, False, lambda r, c: c.groups.get(_status_ids(r, "gid", 1), ""))
_gid = Column("GID", 5, True, lambda r, c: _status_ids(r, "gid", 1), needs=_S)
_euid = Column("UID", 5, True, lambda r, c: r.owner, needs=frozenset({"owner"}))
COLUMNS: dict[str, Column] = {
    "pid": _pid,
    "tgid": _pid,
    "ppid": Column("PPID", 7, True, lambda r, c: r.stat.ppid),
    "pgid": Column("PGID", 7, True, lambda r, c: r.stat.pgrp),
    "pgrp": Column("PGRP", 7, True, lambda r, c: r.stat.pgrp),
    "sid": Column("SID", 7, True, lambda r, c: r.stat.session),
    "sess": Column("SESS", 7, True, lambda r, c: r.stat.session),
    "session": Column("SESS", 7, True, lambda r, c: r.stat.session),
    "tpgid": Column("TPGID", 7, True, lambda r, c: r.stat.tpgid),
    "lwp": _lwp,
    "spid": Column("SPID", 7, True, lambda r, c: r.stat.pid),
    "tid": Column("TID", 7, True, lambda r, c: r.stat.pid),
    "user": _user,
    "uname": _user,
    "euser": Column("EUSER", 8, False, _user.value, needs=_O),
    "uid_f": Column("UID", 8, False, _user.value, needs=_O),
    "uid": _euid,
    "euid": Column("EUID", 5, True, _euid.value, needs=_euid.needs),
    "ruser": Column("RUSER", 8, False, lambda r, c: user_name(_status_ids(r, "uid", 0), c)),
    "ruid": Column("RUID", 5, True, lambda r, c: _status_ids(r, "uid", 0), needs=_S),
    "group": Column("GROUP", 8, False, _group.value, needs=_S | {"groups"}),
    "egroup": Column("EGROUP", 8, False, _group.value, needs=_S | {"groups"}),
    "gid": _gid,
    "egid": Column("EGID", 5, True, _gid.value, needs=_S),
    "stat": Column("STAT", 4, False, lambda r, c: stat_flags(r)),
    "s": Column("S", 1, False, lambda r, c: r.stat.state),
    "state": Column("S", 1, False, lambda r, c: r.stat.state),
    "time": _time,
    "cputime": _time,
    "bsdtime": Column("TIME", 6, True, lambda r, c: r.stat.ticks, bsd_clock),
    "etime": Column("ELAPSED", 11, True, lambda r, c: int(life(r, c)), elapsed),
    "etimes": Column("ELAPSED", 7, True, lambda r, c: int(life(r, c))),
    "comm": _comm,
    "ucmd": Column("CMD", 15, False, _comm.value, cut=True),
    "ucomm": _comm,
    "fname": Column("COMMAND", 8, False, lambda r, c: r.stat.comm[:8], cut=True),
    "args": _args,
    "cmd": Column("CMD", 27, False, _args.value, needs=_args.needs, cut=True),
    "command": _args,
    "tty": Column("TT", 8, False, _tname.value, cut=True),
    "tt": Column("TT", 8, False, _tname.value, cut=True),
    "tname": _tname,
    "nlwp": _nlwp,
    "thcount": Column("THCNT", 5, True, _nlwp.value),
    "rss": _rss,
    "rssize": _rss,
    "rsz": Column("RSZ", 5, True, _rss.value, needs=_M),
    "vsz": _vsz,
    "vsize": _vsz,
    "sz": Column("SZ", 5, True, lambda r, c: r.stat.vsize // 1024 // max(c.page_kb, 1), needs=_M),
    "%cpu": _pcpu,
    "pcpu": _pcpu,
    "%mem": _pmem,
    "pmem": _pmem,
    "c": Column("C", 2, True, lambda r, c: min(99, int(pcpu(r, c)))),
    "ni": Column("NI", 3, True, lambda r, c: r.stat.nice),
    "nice": Column("NI", 3, True, lambda r, c: r.stat.nice),
    "pri": Column("PRI", 3, True, lambda r, c: 39 - r.stat.priority),
    "psr": Column("PSR", 3, True, lambda r, c: r.stat.processor),
    "lstart": Column(
        "STARTED", 24, True, lambda r, c: f"{started(r, c):%a %b %e %H:%M:%S %Y}", needs=_CL
    ),
    "start": Column(
        "STARTED", 8, True, lambda r, c: start_text(r, c, "%H:%M:%S", "%b %d"), needs=_CL
    ),
    "bsdstart": Column("START", 6, True, lambda r, c: start_text(r, c, "%H:%M", "%b%d"), needs=_CL),
    "start_time": Column("START", 5, True, stime, needs=_CL),
    "stime": Column("STIME", 5, True, stime, needs=_CL),
}


def parse_format(spec: str) -> list[tuple[Column, str]]:
    """``pid,comm=NAME`` -> columns with headers (``name=`` gives an empty header).

    Raises:
        UsageProblem: an unknown column.
    """
    out: list[tuple[Column, str]] = []
    for item in spec.split(","):
        name, eq, header = item.partition("=")
        words = [name.strip()] if eq else item.split()
        for word in words:
            col = COLUMNS.get(word.lower())
            if col is None:
                raise UsageProblem(f'unknown user-defined format specifier "{word}"\n{TRY}')
            out.append((col, header if eq else col.header))
    if not out:
        raise UsageProblem(f"improper format list\n{TRY}")
    return out


class Request:
    """What one ps run was asked for."""

    def __init__(self) -> None:
        self.every = False
        self.bsd_a = False
        self.bsd_x = False
        self.pids: list[int] = []
        self.users: list[str] = []
        self.formats: list[str] = []
        self.full = False
        self.bsd_user = False
        self.bsd = False
        self.threads = ""
        self.sort: list[str] = []
        self.headers = True
        self.help = False


def _split_list(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w]


def parse_args(argv: list[str]) -> Request:
    """Parse ps's mix of UNIX (``-ef``), BSD (``aux``) and GNU (``--sort``) options.

    Raises:
        UsageProblem: an unknown option or a bad list.
    """
    req = Request()
    words = argv[1:]
    i = 0

    def value(rest: str) -> str:
        nonlocal i
        if rest:
            return rest
        if i >= len(words):
            raise UsageProblem(f"option requires an argument\n{TRY}")
        i += 1
        return words[i - 1]

    while i < len(words):
        w = words[i]
        i += 1
        if w.startswith("--"):
            name, eq, val = w[2:].partition("=")
            if name == "help":
                req.help = True
            elif name in ("pid", "user", "format", "sort"):
                text = val if eq else value("")
                if name == "pid":
                    _pids_into(req)(_split_list(text))
                elif name == "user":
                    req.users.extend(_split_list(text))
                elif name == "sort":
                    req.sort.extend(_split_list(text))
                else:
                    req.formats.append(text)
            elif name in ("no-headers", "no-heading"):
                req.headers = False
            elif name == "headers":
                req.headers = True
            else:
                raise UsageProblem(f"unknown gnu long option\n{TRY}")
            continue
        if w.startswith("-") and len(w) > 1:
            j = 1
            while j < len(w):
                c = w[j]
                j += 1
                if c in "eA":
                    req.every = True
                elif c == "f":
                    req.full = True
                elif c in "LT":
                    req.threads = c
                elif c in "puo":
                    text = value(w[j:])
                    j = len(w)
                    if c == "p":
                        _pids_into(req)(_split_list(text))
                    elif c == "u":
                        req.users.extend(_split_list(text))
                    else:
                        req.formats.append(text)
                else:
                    raise UsageProblem(f"unsupported SysV option\n{TRY}")
            continue
        if w.isdigit() and not req.bsd:
            _pids_into(req)([w])
            continue
        # BSD options: no dash.
        req.bsd = True
        j = 0
        while j < len(w):
            c = w[j]
            j += 1
            if c == "a":
                req.bsd_a = True
            elif c == "x":
                req.bsd_x = True
            elif c == "u":
                req.bsd_user = True
            elif c == "w":
                pass
            elif c in "pUo":
                text = value(w[j:])
                j = len(w)
                if c == "p":
                    _pids_into(req)(_split_list(text))
                elif c == "U":
                    req.users.extend(_split_list(text))
                else:
                    req.formats.append(text)
            else:
                raise UsageProblem(f"unsupported option (BSD syntax)\n{TRY}")
    return req


def _pids_into(req: Request) -> Callable[[list[str]], None]:
    def add(items: list[str]) -> None:
        for item in items:
            if not item.isdigit() or int(item) == 0:
                raise UsageProblem(f"process ID list syntax error\n{TRY}")
            req.pids.append(int(item))

    return add


def choose_formats(req: Request) -> list[str]:
    """The -o texts the options amount to."""
    return req.formats or [choose_format(req)]


def choose_format(req: Request) -> str:
    """The format the options other than -o amount to."""
    if req.bsd_user:
        return BSD_USER_FORMAT
    if req.threads == "L":
        return FULL_THREAD_FORMAT if req.full else THREAD_FORMAT
    if req.threads == "T":
        return SPID_FORMAT
    if req.full:
        return FULL_FORMAT
    if req.bsd:
        return BSD_FORMAT
    return DEFAULT_FORMAT


async def select(req: Request, ctx: Context, needs: set[str]) -> list[Row]:
    """Read /proc and keep the processes the options select, as rows."""
    if req.pids and not (req.every or req.users or req.bsd_a or req.bsd_x):
        stats = [st for pid in sorted(set(req.pids)) if (st := await read_stat(pid)) is not None]
    else:
        stats = await read_all_stats()
    me = await read_stat(await sys.getpid())
    my_tty = me.tty_nr if me is not None else 0
    my_euid = await sys.geteuid()
    uids: set[int] = set()
    for u in req.users:
        if u.isdigit():
            uids.add(int(u))
        else:
            match = [uid for uid, name in ctx.users.items() if name == u]
            if not match:
                raise UsageProblem(f"user name does not exist\n{TRY}")
            uids.update(match)
    need_owner = bool(uids) or "owner" in needs or not (req.every or req.pids)
    default = not (req.every or req.pids or uids or req.bsd_a or req.bsd_x)
    rows: list[Row] = []
    for n, st in enumerate(stats):
        if n % 256 == 255:
            await sys.checkpoint()
        if default and (not my_tty or st.tty_nr != my_tty):
            continue  # not on our terminal: no need to look up the owner
        owner = await read_owner(st.pid) if need_owner else 0
        if owner is None:
            continue
        if not selected(req, st.pid, st.tty_nr, owner, my_tty, my_euid, uids):
            continue
        rows.append(Row(st, owner or 0))
    for row in rows:
        if "cmdline" in needs:
            row.cmdline = await read_cmdline(row.stat.pid)
        if "status" in needs:
            row.status = await read_status(row.stat.pid)
    if req.threads:
        rows = await expand_threads(rows)
    return rows


def selected(
    req: Request, pid: int, tty: int, owner: int, my_tty: int, my_euid: int, uids: set[int]
) -> bool:
    """Does any of the options (which add up) pick this process?"""
    if req.every or (req.bsd_a and req.bsd_x):
        return True
    chosen = False
    if req.pids and pid in req.pids:
        return True
    if uids:
        chosen = True
        if owner in uids:
            return True
    if req.bsd_a:
        chosen = True
        if tty:
            return True
    if req.bsd_x:
        chosen = True
        if owner == my_euid:
            return True
    if req.pids:
        chosen = True
    if chosen:
        return False
    return owner == my_euid and tty == my_tty and tty != 0


async def expand_threads(rows: list[Row]) -> list[Row]:
    """One row per thread (``-L``/``-T``): each task's own stat, the process's owner."""
    out: list[Row] = []
    for row in rows:
        if row.stat.num_threads <= 1:
            out.append(row)
            continue
        for tid in await list_tids(row.stat.pid):
            st = await read_stat(row.stat.pid, tid)
            if st is None:
                continue
            t = Row(st, row.owner)
            t.tgid = row.stat.pid
            t.cmdline, t.status, t.nlwp = row.cmdline, row.status, row.stat.num_threads
            out.append(t)
    return out


def sort_rows(rows: list[Row], keys: list[str], ctx: Context) -> None:
    """``--sort``: stable sorts from the last key to the first; ``-key`` descends."""
    for key in reversed(keys):
        desc = key.startswith("-")
        name = key.lstrip("+-")
        col = COLUMNS.get(name)
        if col is None:
            raise UsageProblem(f"unknown sort specifier\n{TRY}")
        rows.sort(key=lambda r, c=col: c.sort_key(r, ctx), reverse=desc)


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        req = parse_args(argv)
        if req.help:
            await kio.write_all(1, USAGE.lstrip("\n"))
            return 0
        columns = [c for spec in choose_formats(req) for c in parse_format(spec)]
    except UsageProblem as err:
        await kio.warn("error", str(err))
        return 1
    needs: set[str] = set()
    for col, _ in columns:
        needs |= col.needs
    for key in req.sort:
        col = COLUMNS.get(key.lstrip("+-"))
        if col is not None:
            needs |= col.needs
    ctx = await make_context(req, needs)
    try:
        rows = await select(req, ctx, needs)
        sort_rows(rows, req.sort, ctx)
    except UsageProblem as err:
        await kio.warn("error", str(err))
        return 1
    out = kio.Output(1)
    if req.headers and any(header for _, header in columns):
        await out.line(render_line([(c, h) for c, h in columns], None, ctx).rstrip())
    for n, row in enumerate(rows):
        if n % 128 == 127:
            await sys.checkpoint()
        await out.line(render_line(columns, row, ctx).rstrip())
    await out.flush()
    return 0 if rows or not (req.pids or req.users) else 1


def render_line(columns: list[tuple[Column, str]], row: Row | None, ctx: Context) -> str:
    """One output line: headers when ``row`` is None; the last column is never cut."""
    cells = []
    last = len(columns) - 1
    for i, (col, header) in enumerate(columns):
        text = header if row is None else col.text(row, ctx)
        cells.append(col.fit(text, last=i == last, header=row is None))
    return " ".join(cells)


async def make_context(req: Request, needs: set[str]) -> Context:
    """The machine-wide facts the columns need: now, boot time, memory, user names."""
    ctx = Context()
    if needs & {"users", "owner"} or req.users:
        ctx.users = await user_names()
    if "groups" in needs:
        ctx.groups = await group_names()
    ctx.uptime = (await read_uptime())[0]
    if "memory" in needs:
        ctx.mem_total_kb = (await read_meminfo()).total
        ctx.page_kb = await page_kib()
    if "clock" in needs:
        ctx.btime = (await read_sysstat()).btime
        ctx.now = (await sys.clock_gettime(CLOCK_REALTIME)) // 1_000_000_000
    return ctx
