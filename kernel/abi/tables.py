"""Served process and file tables: the requests a table server reads (``man 7 objects``).

Every process spawns through its *process table* and opens through its *file table*.
By default both are the kernel's. ``table_serve(kind)`` gives the caller a channel fd
(close-on-exec) for a table it answers; ``SpawnAttr(files=fd, procs=fd)`` hands it to
a child, which uses it, as do all its descendants, for good (a process cannot replace
the tables it was given; it can only hand its own children tables that it serves).

The records are the served-path protocol's (``kernel.abi.serve``: the same 64-byte
request header, the same 16-byte reply header), with opcodes from 32 up:

    opcode           request                                reply
    OPEN_PATH (32)   uid, gid, pid: the caller's;           error < 0: open(2) fails
                     flags: the open flags; offset: the     with it; payload: an fd
                     mode; payload: the absolute path       of the *server* (4 bytes):
                     (resolved against the caller's cwd),   the caller gets a dup of
                     NUL-terminated                         that open file; empty:
                                                            the kernel opens the path
                                                            itself ("do it yourself")
    SPAWN (33)       uid, gid, pid: the caller's; payload:  error < 0: spawn fails
                     the program's path, NUL, then argv,    with it; 0: the kernel
                     each NUL-terminated                    spawns it (may be held:
                                                            the caller waits, no
                                                            timeout, EINTR-able)
    EXIT (34)        pid: a process spawned through the     (no answer)
                     table that ended; offset: its wait
                     status

Requests of a table have no timeout (a job server may hold a SPAWN as long as it
likes); when the server's channel closes (it exits or dies) every pending and later
request fails with EIO: those processes can no longer spawn or open paths.
"""

from __future__ import annotations

import struct

__all__ = [
    "TABLE_FILES",
    "TABLE_PROCS",
    "TABLE_KINDS",
    "TABLE_NAMES",
    "OP_OPEN_PATH",
    "OP_SPAWN",
    "OP_EXIT",
    "TABLE_OP_NAMES",
    "TABLE_NO_REPLY",
    "path_payload",
    "unpack_path",
    "spawn_payload",
    "unpack_spawn",
    "fd_payload",
    "unpack_fd",
]

#: table_serve(2)'s kinds: the file table (opens) and the process table (spawns).
TABLE_FILES = 1
TABLE_PROCS = 2
TABLE_KINDS = (TABLE_FILES, TABLE_PROCS)
TABLE_NAMES = {TABLE_FILES: "files", TABLE_PROCS: "procs"}

OP_OPEN_PATH = 32
OP_SPAWN = 33
OP_EXIT = 34
TABLE_OP_NAMES = {OP_OPEN_PATH: "open_path", OP_SPAWN: "spawn", OP_EXIT: "exit"}
#: Requests the server must not answer (a reply to one fails with ENOENT).
TABLE_NO_REPLY = frozenset((OP_EXIT,))

_FD = struct.Struct("<i")


def path_payload(path: str) -> bytes:
    """OPEN_PATH's payload: the path, NUL-terminated."""
    return path.encode(errors="surrogateescape") + b"\0"


def unpack_path(payload: bytes) -> str:
    """The path of an OPEN_PATH request's payload."""
    return payload.split(b"\0", 1)[0].decode(errors="surrogateescape")


def spawn_payload(path: str, argv: list[str]) -> bytes:
    """SPAWN's payload: the path then each argument, each NUL-terminated."""
    return b"".join(s.encode(errors="surrogateescape") + b"\0" for s in (path, *argv))


def unpack_spawn(payload: bytes) -> tuple[str, list[str]]:
    """``(path, argv)`` of a SPAWN request's payload.

    Raises:
        ValueError: if the payload holds no path.
    """
    parts = payload.split(b"\0")
    if len(parts) < 2 or parts[-1] != b"":
        raise ValueError("malformed spawn payload")
    words = [p.decode(errors="surrogateescape") for p in parts[:-1]]
    return words[0], words[1:]


def fd_payload(fd: int) -> bytes:
    """An OPEN_PATH reply's payload naming the server's descriptor ``fd``."""
    return _FD.pack(fd)


def unpack_fd(payload: bytes) -> int | None:
    """The fd of an OPEN_PATH reply's payload; None for an empty one.

    Raises:
        ValueError: if it is neither empty nor 4 bytes.
    """
    if not payload:
        return None
    if len(payload) != _FD.size:
        raise ValueError("an OPEN_PATH reply's payload is an fd (4 bytes) or nothing")
    return _FD.unpack(payload)[0]
