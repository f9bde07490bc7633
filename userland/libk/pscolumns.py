"""ps's columns: the ``-o`` column table, how each column reads and prints, the layouts.

This module owns what a ps output line is made of: the machine-wide facts the columns
use (:class:`Context`, read once per run by :func:`make_context`), the row a process or
thread becomes (:class:`Row`), every ``-o`` column by name (:data:`COLUMNS`) with its
header, width, alignment, sort value and the /proc files it needs, the standard layouts
(``-f``, ``-L``, ``-T``, BSD ``aux`` and ``x``), parsing a format list
(:func:`parse_format`) and rendering one line (:func:`render_line`). Choosing which
processes to show and reading their /proc files is the program's business (ps.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from kernel.abi import CLOCK_REALTIME
from userland.libk import sys
from userland.libk.procinfo import (
    HZ,
    ProcStat,
    ProcStatus,
    page_kib,
    read_meminfo,
    read_sysstat,
    read_uptime,
    tty_name,
)
from userland.libk.users import group_names, user_names

DEFAULT_FORMAT = "pid,tname,time,ucmd"
FULL_FORMAT = "uid_f,pid,ppid,c,stime,tname,time,cmd"
BSD_USER_FORMAT = "user,pid,%cpu,%mem,vsz,rss,tname,stat,start_time,bsdtime,args"
BSD_FORMAT = "pid,tname,stat,bsdtime,args"
THREAD_FORMAT = "pid,lwp,tname,time,ucmd"
FULL_THREAD_FORMAT = "uid_f,pid,ppid,lwp,c,nlwp,stime,tname,time,cmd"
SPID_FORMAT = "pid,spid,tname,time,ucmd"


class FormatError(Exception):
    """A bad format list; the message is what ps prints after ``error: ``."""


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

    Args:
        spec: one ``-o`` argument: names split by commas (or blanks), where
            ``name=HEADER`` renames a column and takes the rest of the item.

    Returns:
        Each column with the header it prints under.

    Raises:
        FormatError: an unknown column, or no columns at all.
    """
    out: list[tuple[Column, str]] = []
    for item in spec.split(","):
        name, eq, header = item.partition("=")
        words = [name.strip()] if eq else item.split()
        for word in words:
            col = COLUMNS.get(word.lower())
            if col is None:
                raise FormatError(f'unknown user-defined format specifier "{word}"')
            out.append((col, header if eq else col.header))
    if not out:
        raise FormatError("improper format list")
    return out


def render_line(columns: list[tuple[Column, str]], row: Row | None, ctx: Context) -> str:
    """One output line: headers when ``row`` is None; the last column is never cut.

    Args:
        columns: the columns with their headers, as :func:`parse_format` gives them.
        row: the process or thread to show, or None for the header line.
        ctx: the machine-wide facts the columns use.

    Returns:
        The cells padded to their widths and joined by blanks (trailing blanks kept).
    """
    cells = []
    last = len(columns) - 1
    for i, (col, header) in enumerate(columns):
        text = header if row is None else col.text(row, ctx)
        cells.append(col.fit(text, last=i == last, header=row is None))
    return " ".join(cells)


def needs_of(columns: list[tuple[Column, str]]) -> set[str]:
    """What the given columns need read (the union of their ``needs``).

    Args:
        columns: columns with their headers, as :func:`parse_format` gives them.

    Returns:
        The names of the facts and /proc files to read: ``cmdline``, ``status``,
        ``owner``, ``users``, ``groups``, ``memory``, ``clock``.
    """
    needs: set[str] = set()
    for col, _ in columns:
        needs |= col.needs
    return needs


async def make_context(needs: set[str], *, users: bool = False) -> Context:
    """Read the machine-wide facts the columns need: now, boot time, memory, user names.

    Args:
        needs: what the columns need (see :func:`needs_of`); only that is read.
        users: read the user names even if no column needs them (to select by name).

    Returns:
        The context every column is rendered with.
    """
    ctx = Context()
    if needs & {"users", "owner"} or users:
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
