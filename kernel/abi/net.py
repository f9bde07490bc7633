"""The sockets ABI: address families, socket types, message and shutdown flags, socket
options, ancillary-data types, and the structures sockets pass (credentials, a received
message).

Numbers are Linux's (``<sys/socket.h>``, ``<linux/un.h>``), so its documentation
applies. Only AF_UNIX is implemented. Addresses are Python values instead of
``sockaddr_un``: a ``str`` path names a socket in the file system, ``bytes`` starting
with a NUL byte (``b"\\0name"``) an abstract name (no file; it goes with the socket), and
``""`` (or ``b""``) is an unnamed socket's address.

Ancillary data (sendmsg, recvmsg) is a list of ``(level, type, data)`` triples, as in
Python's ``socket.sendmsg``: ``(SOL_SOCKET, SCM_RIGHTS, [fd, ...])`` passes open files
(the receiver gets new descriptors for the same open file descriptions) and
``(SOL_SOCKET, SCM_CREDENTIALS, Ucred(pid, uid, gid))`` passes credentials the kernel
checks (only your own unless you are root; the receiver must have SO_PASSCRED set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "AF_UNSPEC",
    "AF_UNIX",
    "AF_LOCAL",
    "AF_INET",
    "AF_INET6",
    "SOCK_STREAM",
    "SOCK_DGRAM",
    "SOCK_RAW",
    "SOCK_SEQPACKET",
    "SOCK_NONBLOCK",
    "SOCK_CLOEXEC",
    "SOCK_TYPE_NAMES",
    "MSG_PEEK",
    "MSG_CTRUNC",
    "MSG_TRUNC",
    "MSG_DONTWAIT",
    "MSG_EOR",
    "MSG_WAITALL",
    "MSG_NOSIGNAL",
    "MSG_CMSG_CLOEXEC",
    "SHUT_RD",
    "SHUT_WR",
    "SHUT_RDWR",
    "SOL_SOCKET",
    "SO_TYPE",
    "SO_ERROR",
    "SO_SNDBUF",
    "SO_RCVBUF",
    "SO_PASSCRED",
    "SO_PEERCRED",
    "SO_ACCEPTCONN",
    "SO_PROTOCOL",
    "SO_DOMAIN",
    "SCM_RIGHTS",
    "SCM_CREDENTIALS",
    "SCM_MAX_FD",
    "SOMAXCONN",
    "POLLRDHUP",
    "UNIX_PATH_MAX",
    "SS_UNCONNECTED",
    "SS_CONNECTING",
    "SS_CONNECTED",
    "SS_DISCONNECTING",
    "SO_ACCEPTCON_FLAG",
    "Ucred",
    "RecvMsg",
    "is_abstract",
    "display_address",
]

# The sockets' errno values (Linux's), with their messages in strerror's table.

AF_UNSPEC = 0
AF_UNIX = 1
AF_LOCAL = AF_UNIX
AF_INET = 2
AF_INET6 = 10

SOCK_STREAM = 1
SOCK_DGRAM = 2
SOCK_RAW = 3
SOCK_SEQPACKET = 5
SOCK_NONBLOCK = 0o4000  # (O_NONBLOCK) or-ed into socket()'s type, and accept4's flags
SOCK_CLOEXEC = 0o2000000  # (O_CLOEXEC)
#: ss's Netid for each type.
SOCK_TYPE_NAMES = {SOCK_STREAM: "u_str", SOCK_DGRAM: "u_dgr", SOCK_SEQPACKET: "u_seq"}

MSG_PEEK = 0x2  # look at the data without taking it
MSG_CTRUNC = 0x8  # (recvmsg's flags) ancillary data was cut short
MSG_TRUNC = 0x20  # (recvmsg's flags) a datagram was longer than the buffer
MSG_DONTWAIT = 0x40  # this call does not block (EAGAIN), as O_NONBLOCK would
MSG_EOR = 0x80  # (recvmsg's flags) the end of a SOCK_SEQPACKET record
MSG_WAITALL = 0x100  # a stream receive waits for the whole count (or EOF, a signal)
MSG_NOSIGNAL = 0x4000  # a send to a closed peer gets EPIPE without SIGPIPE
MSG_CMSG_CLOEXEC = 0x40000000  # received descriptors are close-on-exec

SHUT_RD = 0
SHUT_WR = 1
SHUT_RDWR = 2

SOL_SOCKET = 1
SO_TYPE = 3
SO_ERROR = 4
SO_SNDBUF = 7
SO_RCVBUF = 8
SO_PASSCRED = 16
SO_PEERCRED = 17
SO_ACCEPTCONN = 30
SO_PROTOCOL = 38
SO_DOMAIN = 39

SCM_RIGHTS = 1
SCM_CREDENTIALS = 2
SCM_MAX_FD = 253  # the most descriptors one message may carry

SOMAXCONN = 4096  # listen()'s backlog is capped here
POLLRDHUP = 0x2000  # poll: the peer shut down its writing half (or closed)
UNIX_PATH_MAX = 108  # sun_path's size: a name (with its NUL) must fit

# /proc/net/unix's St column (the socket's state) and Flags column.
SS_UNCONNECTED = 1
SS_CONNECTING = 2
SS_CONNECTED = 3
SS_DISCONNECTING = 4
SO_ACCEPTCON_FLAG = 0x10000  # Flags: the socket listens


@dataclass(frozen=True, slots=True)
class Ucred:
    """Process credentials, as SO_PEERCRED and SCM_CREDENTIALS carry them."""

    pid: int
    uid: int
    gid: int


@dataclass(frozen=True, slots=True)
class RecvMsg:
    """What recvmsg returns: the bytes, the ancillary data (``(level, type, data)``
    triples: a list of new descriptors for SCM_RIGHTS, a :class:`Ucred` for
    SCM_CREDENTIALS), the message flags (MSG_TRUNC, MSG_EOR, ...) and the sender's
    address (datagrams; ``""`` if it has no name, None on a connected stream)."""

    data: bytes
    ancdata: list[tuple[int, int, Any]]
    flags: int
    address: str | bytes | None


def is_abstract(address: Any) -> bool:
    """Is ``address`` a name in the abstract namespace (``b"\\0name"``)?"""
    return isinstance(address, bytes) and address[:1] == b"\0"


def display_address(address: str | bytes | None) -> str:
    """An address as /proc/net/unix and ss show it: a path, ``@name`` for an abstract
    name (its NUL bytes as ``@``), empty for none."""
    if not address:
        return ""
    if isinstance(address, bytes):
        return address.decode("utf-8", "replace").replace("\0", "@")
    return address
