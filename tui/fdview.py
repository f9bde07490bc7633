"""A process's open files as ``ls -l /proc/PID/fd`` and ``lsof -p PID`` show them.

For each descriptor the details view gets: the descriptor and its access mode as
lsof writes them (``3u``: flags' ``O_ACCMODE`` from ``/proc/<pid>/fdinfo/<fd>``), the
type lsof prints (``REG``, ``DIR``, ``CHR``, ``BLK``, ``FIFO``, ``unix``, …, from
``stat`` through the ``/proc/<pid>/fd/<fd>`` link, which follows it to the open file as
on Linux), the link's target (a path, ``pipe:[INODE]``, ``socket:[INODE]``) and, for a
socket, what ``ss -x`` says of it: its type, state and path, found in
``/proc/net/unix`` by the socket's inode (as ss and lsof match them). A pipe and a
named FIFO are both ``FIFO``; a FIFO's name is its path. No Textual here: the details
pane (``tui.widgets.panes.details``) draws what :func:`open_files` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernel.abi import SO_ACCEPTCON_FLAG, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, Error
from kernel.abi.files import (
    S_IFBLK,
    S_IFCHR,
    S_IFDIR,
    S_IFIFO,
    S_IFLNK,
    S_IFMT,
    S_IFREG,
    S_IFSOCK,
)

if TYPE_CHECKING:
    from kernel.host import HostClient

#: lsof's TYPE column by the file type bits of st_mode (every socket here is AF_UNIX).
TYPE_NAMES = {
    S_IFREG: "REG",
    S_IFDIR: "DIR",
    S_IFCHR: "CHR",
    S_IFBLK: "BLK",
    S_IFIFO: "FIFO",
    S_IFLNK: "LINK",
    S_IFSOCK: "unix",
}
#: lsof's mode letter by O_ACCMODE: read, write, read and write.
ACCESS = {0: "r", 1: "w", 2: "u"}
#: /proc/net/unix's Type as lsof's ``type=`` (and ``socket(2)``) names it.
SOCKET_TYPES = {SOCK_STREAM: "STREAM", SOCK_DGRAM: "DGRAM", SOCK_SEQPACKET: "SEQPACKET"}
#: /proc/net/unix's St (SS_*) as ``ss`` names it.
SOCKET_STATES = {1: "UNCONN", 2: "SYN-SENT", 3: "ESTAB", 4: "CLOSING"}


@dataclass(slots=True, frozen=True)
class UnixSocket:
    """One line of /proc/net/unix.

    Attributes:
        inode: the socket's inode (the N of ``socket:[N]``).
        type: STREAM, DGRAM or SEQPACKET.
        state: LISTEN, UNCONN, ESTAB, … as ss shows it.
        path: its bound name ("" when unbound; ``@name`` for an abstract one).
    """

    inode: int
    type: str
    state: str
    path: str


@dataclass(slots=True, frozen=True)
class OpenFile:
    """One open descriptor of a process.

    Attributes:
        fd: the descriptor.
        access: ``r``, ``w`` or ``u`` (read, write, both) as lsof's FD column; ``""``
            when fdinfo cannot be read.
        type: lsof's TYPE (``REG``, ``CHR``, ``FIFO``, ``unix``, …; ``?`` if unknown).
        target: what ``/proc/<pid>/fd/<fd>`` links to.
        socket: for a socket, its line of /proc/net/unix (None otherwise, or when the
            socket is not listed there).
        served: for a served path's file, ``served by PID``; for a server's channel,
            ``serving PATH`` (from fdinfo's ``served_by:`` and ``serving:`` lines).
    """

    fd: int
    access: str
    type: str
    target: str
    socket: UnixSocket | None = None
    served: str = ""

    @property
    def label(self) -> str:
        """The FD column of lsof: the number and the access letter (``3u``)."""
        return f"{self.fd}{self.access}"

    @property
    def detail(self) -> str:
        """What follows the target: a socket's type, state and path (``STREAM LISTEN
        /tmp/s``), or ``""``."""
        s = self.socket
        if s is None:
            return self.served
        return " ".join(part for part in (s.type, s.state, s.path) if part)


def parse_net_unix(text: str) -> dict[int, UnixSocket]:
    """/proc/net/unix's sockets by inode (its header line skipped, bad lines ignored)."""
    out: dict[int, UnixSocket] = {}
    for line in text.splitlines()[1:]:
        fields = line.split(maxsplit=7)
        if len(fields) < 7:
            continue
        try:
            flags, kind, st = (int(f, 16) for f in fields[3:6])
            inode = int(fields[6])
        except ValueError:
            continue
        state = "LISTEN" if flags & SO_ACCEPTCON_FLAG else SOCKET_STATES.get(st, "UNKNOWN")
        path = fields[7] if len(fields) > 7 else ""
        out[inode] = UnixSocket(inode, SOCKET_TYPES.get(kind, f"type={kind}"), state, path)
    return out


def parse_fdinfo_access(text: str) -> str:
    """The access letter of an fdinfo text's ``flags:`` line (octal), ``""`` if none."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key == "flags":
            try:
                return ACCESS.get(int(value.strip(), 8) & 3, "")
            except ValueError:
                return ""
    return ""


def parse_fdinfo_served(text: str) -> str:
    """``served by PID`` (a served path's file) or ``serving PATH`` (a server's channel,
    a table's ``table:`` line likewise) from an fdinfo text; ``""`` for anything else."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "served_by" and value:
            return f"served by {value.split()[0]}" + (" (gone)" if "(gone)" in value else "")
        if key == "serving" and value:
            return f"serving {value}"
        if key == "table" and value:
            return f"serving the {value} table"
    return ""


def socket_inode(target: str) -> int | None:
    """N of a ``socket:[N]`` link target (None for anything else)."""
    if target.startswith("socket:[") and target.endswith("]"):
        number = target[8:-1]
        if number.isdigit():
            return int(number)
    return None


def unix_sockets(host: HostClient) -> dict[int, UnixSocket]:
    """The machine's UNIX sockets by inode (none when /proc/net/unix cannot be read)."""
    try:
        text = host.read_file("/proc/net/unix", 1 << 24).decode(errors="replace")
    except Error:
        return {}
    return parse_net_unix(text)


def fd_links(host: HostClient, pid: int) -> list[tuple[int, str]]:
    """A process's (descriptor, link target) pairs from /proc/<pid>/fd, ascending; a
    descriptor closed while it is read is left out, as is every one of a process gone."""
    base = f"/proc/{pid}/fd"
    try:
        fds = sorted(int(n) for n in host.listdir(base) if n.isdigit())
    except Error:
        return []
    out: list[tuple[int, str]] = []
    for fd in fds:
        try:
            out.append((fd, host.readlink(f"{base}/{fd}")))
        except Error:
            continue
    return out


def open_files(host: HostClient, pid: int, links: list[tuple[int, str]]) -> list[OpenFile]:
    """Describe a process's descriptors.

    Args:
        host: the host syscall client.
        pid: the process.
        links: its (descriptor, link target) pairs, as read from /proc/<pid>/fd.

    Returns:
        One :class:`OpenFile` per pair, in the same order. /proc/net/unix is read only
        when one of them is a socket.
    """
    base = f"/proc/{pid}"
    sockets: dict[int, UnixSocket] | None = None
    out: list[OpenFile] = []
    for fd, target in links:
        try:
            info = host.read_file(f"{base}/fdinfo/{fd}").decode(errors="replace")
            access = parse_fdinfo_access(info)
        except Error:
            info = access = ""
        try:
            kind = TYPE_NAMES.get(host.stat(f"{base}/fd/{fd}").st_mode & S_IFMT, "?")
        except Error:
            kind = "?"
        sock = None
        ino = socket_inode(target)
        if ino is not None:
            if sockets is None:
                sockets = unix_sockets(host)
            sock = sockets.get(ino)
            kind = "unix"
        out.append(OpenFile(fd, access, kind, target, sock, parse_fdinfo_served(info)))
    return out


__all__ = [
    "OpenFile",
    "UnixSocket",
    "fd_links",
    "open_files",
    "parse_fdinfo_access",
    "parse_fdinfo_served",
    "parse_net_unix",
    "socket_inode",
    "unix_sockets",
]
