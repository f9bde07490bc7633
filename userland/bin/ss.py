"""``ss -x [-a|-l] [-p] [-H]``: list UNIX-domain sockets, as iproute2's ss does, from
/proc/net/unix (what ss reads when it cannot ask the kernel over netlink, so Recv-Q
and Send-Q are 0 and a peer is ``*``, as there). ``-p`` finds each socket's processes
by their /proc/<pid>/fd links (``socket:[INODE]``).
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.abi import SO_ACCEPTCON_FLAG, SOCK_TYPE_NAMES, Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.walk import listdir

USAGE = """Usage: ss [ OPTIONS ]
Show sockets (libk has UNIX-domain sockets only).

   -x, --unix          display only Unix domain sockets (the default)
   -a, --all           display all sockets
   -l, --listening     display listening sockets
   -p, --processes     show process using socket
   -H, --no-header     suppress header line
   -n, --numeric       don't resolve service names (nothing to resolve)
   -h, --help          this message
"""
#: /proc/net/unix's St (SS_*) as ss names it.
STATES = {1: "UNCONN", 2: "SYN-SENT", 3: "ESTAB", 4: "CLOSING"}
LONG = {
    "unix": "x",
    "all": "a",
    "listening": "l",
    "processes": "p",
    "no-header": "H",
    "numeric": "n",
}


@dataclass(slots=True)
class Row:
    """One socket of /proc/net/unix."""

    netid: str
    state: str
    inode: int
    path: str


def parse(text: str) -> list[Row]:
    """The sockets of /proc/net/unix's text (its header skipped)."""
    rows = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 7:
            continue
        flags, kind, st, inode = (
            int(fields[3], 16),
            int(fields[4], 16),
            int(fields[5], 16),
            int(fields[6]),
        )
        state = "LISTEN" if flags & SO_ACCEPTCON_FLAG else STATES.get(st, "UNKNOWN")
        netid = SOCK_TYPE_NAMES.get(kind, "u_???")
        rows.append(Row(netid, state, inode, fields[7] if len(fields) > 7 else "*"))
    return rows


def wanted(row: Row, *, all_: bool, listening: bool) -> bool:
    """ss's state filter: by default connected sockets; -l listening (and unconnected)
    ones; -a every one."""
    if all_:
        return True
    idle = row.state in ("LISTEN", "UNCONN")
    return idle if listening else not idle


async def owners() -> dict[int, list[str]]:
    """socket inode -> ``("comm",pid=P,fd=F)`` of each descriptor open on it."""
    found: dict[int, list[str]] = {}
    for name in await listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            comm = (await kio.read_file(f"/proc/{name}/comm")).decode().strip()
            fds = await listdir(f"/proc/{name}/fd")
        except Error:
            continue
        for fd in sorted(fds, key=lambda x: int(x) if x.isdigit() else -1):
            try:
                target = await sys.readlink(f"/proc/{name}/fd/{fd}")
            except Error:
                continue
            if target.startswith("socket:[") and target.endswith("]"):
                ino = int(target[8:-1])
                found.setdefault(ino, []).append(f'("{comm}",pid={name},fd={fd})')
    return found


def table(rows: list[list[str]], header: bool) -> str:
    """Columns as ss lays them out: Netid and State left, queues left, the local and
    peer addresses right-aligned before their ports."""
    head = [
        "Netid",
        "State",
        "Recv-Q",
        "Send-Q",
        "Local Address",
        ":Port",
        "Peer Address",
        ":Port",
        "Process",
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    out = []
    for r in ([head] if header else []) + rows:
        cells = [
            r[0].ljust(widths[0]),
            r[1].ljust(widths[1]),
            r[2].ljust(widths[2]),
            r[3].ljust(widths[3]),
            r[4].rjust(widths[4])
            + (":" if r is head else " ")
            + r[5][r is head :].ljust(widths[5]),
            r[6].rjust(widths[6])
            + (":" if r is head else " ")
            + r[7][r is head :].ljust(widths[7]),
            r[8],
        ]
        out.append(" ".join(cells).rstrip() + "\n")
    return "".join(out)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "ss", argv, "xalpHnh", USAGE, hint=USAGE.rstrip("\n"), help_flags="h", long=LONG
    )
    if isinstance(opts, int):
        return opts
    try:
        listing = (await kio.read_file("/proc/net/unix")).decode()
    except Error as err:
        await kio.warn("ss", f"/proc/net/unix: {err.message}")
        return 1
    procs = await owners() if opts.has("p") else {}
    rows = []
    for row in parse(listing):
        if not wanted(row, all_=opts.has("a"), listening=opts.has("l")):
            continue
        users = procs.get(row.inode)
        process = f"users:({','.join(users)})" if users else ""
        rows.append([row.netid, row.state, "0", "0", row.path, str(row.inode), "*", "0", process])
    await kio.write_all(1, table(rows, not opts.has("H")))
    return 0
