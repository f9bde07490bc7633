"""``ps [-eAfLT] [-o FORMAT] [-p PIDS] [-u USERS] [--sort KEYS]``, ``ps aux``: report
processes, read from /proc.

Selection and formats follow procps-ng: without options, the caller's processes on its
terminal; ``-e`` every process; ``-p``/``-u`` by pid or effective user (they add up);
``-f`` the full format, ``-o`` any columns (``-o pid,comm=NAME``), BSD ``aux`` the
user-oriented one. Each column says which /proc files it needs, and ps reads only those,
so ``ps -e`` over ten thousand processes stays cheap. The columns, their formatting and
the standard layouts live in :mod:`userland.libk.pscolumns`; this is the program: options,
selection, sorting and output.
"""

from __future__ import annotations

from collections.abc import Callable

from userland.libk import io as kio
from userland.libk import sys
from userland.libk.procinfo import (
    list_tids,
    read_all_stats,
    read_cmdline,
    read_owner,
    read_stat,
    read_status,
)
from userland.libk.pscolumns import (
    BSD_FORMAT,
    BSD_USER_FORMAT,
    COLUMNS,
    DEFAULT_FORMAT,
    FULL_FORMAT,
    FULL_THREAD_FORMAT,
    SPID_FORMAT,
    THREAD_FORMAT,
    Context,
    FormatError,
    Row,
    make_context,
    needs_of,
    parse_format,
    render_line,
)

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


class UsageProblem(Exception):
    """A bad command line: the message goes after ``error: ``."""


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
    except FormatError as err:
        await kio.warn("error", f"{err}\n{TRY}")
        return 1
    except UsageProblem as err:
        await kio.warn("error", str(err))
        return 1
    needs = needs_of(columns)
    for key in req.sort:
        col = COLUMNS.get(key.lstrip("+-"))
        if col is not None:
            needs |= col.needs
    ctx = await make_context(needs, users=bool(req.users))
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
