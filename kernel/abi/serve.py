"""The served-path protocol: what a server reads from and writes to its channel fd.

A process that calls ``serve(path, kind, mode)`` gets a *channel*: every open, read,
write, ioctl and close of the served node becomes a request record that read(2) on the
channel returns, and the server answers each with a reply record written with write(2).
The layouts follow Linux's FUSE (``fuse_in_header`` / ``fuse_out_header``), little
endian, so what a user learns here transfers:

Request (what read(2) on the channel returns, one record per read)::

    offset size  field
    0      4     len      whole record, header included
    4      4     opcode   OP_OPEN, OP_READ, OP_WRITE, OP_IOCTL, OP_RELEASE
    8      8     unique   the request's id; the reply carries it back
    16     8     nodeid   the served node (1: the node at the served path)
    24     4     uid      the caller's effective user id
    28     4     gid      the caller's effective group id
    32     4     pid      the caller's process id (0: the kernel, as FUSE's)
    36     4     (padding)
    40     8     fh       the handle the server gave in its OPEN reply
    48     8     offset   READ/WRITE: the file offset; IOCTL: an integer argument
    56     4     size     READ: bytes wanted; WRITE: bytes in the payload
    60     4     flags    OPEN/RELEASE: the open flags; IOCTL: the request number
    64     ...   payload  WRITE: the data; IOCTL: a bytes argument

Reply (what the server writes, one record per write)::

    0      4     len      whole record, header included
    4      4     error    0, or a negative errno the caller's call fails with
    8      8     unique   the request answered
    16     ...   payload  OPEN: the handle (8 bytes, optional); READ: the data;
                          WRITE: the count taken (4 bytes); IOCTL: the result
                          (8 bytes, signed) then any bytes to return instead of it

RELEASE needs no answer. A reply to a ``unique`` that no caller waits for (unknown,
abandoned after a timeout or a signal, or a RELEASE's) fails with ENOENT, a malformed
one with EINVAL, as FUSE's.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "SERVE_FILE",
    "SERVE_CHR",
    "SERVE_KINDS",
    "OP_OPEN",
    "OP_READ",
    "OP_WRITE",
    "OP_IOCTL",
    "OP_RELEASE",
    "OP_NAMES",
    "SERVE_ROOT_ID",
    "SERVE_TIMEOUT_MS",
    "SERVE_REQ_MAX",
    "IN_HEADER",
    "OUT_HEADER",
    "ServeRequest",
    "pack_request",
    "unpack_request",
    "pack_reply",
    "unpack_reply",
]

#: Kinds of served node for serve(2): a regular file (seekable, offsets matter) or a
#: character device (a stream: ``cat`` reads until the server returns no bytes).
SERVE_FILE = 1
SERVE_CHR = 2
SERVE_KINDS = (SERVE_FILE, SERVE_CHR)

OP_OPEN = 1
OP_READ = 2
OP_WRITE = 3
OP_IOCTL = 4
OP_RELEASE = 5
OP_NAMES = {
    OP_OPEN: "open",
    OP_READ: "read",
    OP_WRITE: "write",
    OP_IOCTL: "ioctl",
    OP_RELEASE: "release",
}

#: The node id of the node at the served path (FUSE_ROOT_ID).
SERVE_ROOT_ID = 1
#: How long a caller waits for the server's reply before its call fails with EIO,
#: unless ``serve_timeout`` sets another (virtual time, milliseconds).
SERVE_TIMEOUT_MS = 5000
#: The largest request record: a read of the channel needs a buffer this big.
SERVE_REQ_MAX = 64 + (1 << 20)

#: len, opcode, unique, nodeid, uid, gid, pid, pad, fh, offset, size, flags.
IN_HEADER = struct.Struct("<IIQQIIi4xQqII")
#: len, error, unique.
OUT_HEADER = struct.Struct("<IiQ")


@dataclass(slots=True)
class ServeRequest:
    """One request record, decoded."""

    opcode: int
    unique: int
    nodeid: int = SERVE_ROOT_ID
    uid: int = 0
    gid: int = 0
    pid: int = 0
    fh: int = 0
    offset: int = 0
    size: int = 0
    flags: int = 0
    payload: bytes = b""

    @property
    def name(self) -> str:
        """The opcode's name (``read``, ...)."""
        return OP_NAMES.get(self.opcode, str(self.opcode))


def pack_request(r: ServeRequest) -> bytes:
    """The record of request ``r``."""
    head = IN_HEADER.pack(
        IN_HEADER.size + len(r.payload),
        r.opcode,
        r.unique,
        r.nodeid,
        r.uid & 0xFFFFFFFF,
        r.gid & 0xFFFFFFFF,
        r.pid,
        r.fh,
        r.offset,
        r.size,
        r.flags & 0xFFFFFFFF,
    )
    return head + r.payload


def unpack_request(data: bytes) -> ServeRequest:
    """Decode a request record.

    Raises:
        ValueError: if ``data`` is not one whole record.
    """
    if len(data) < IN_HEADER.size:
        raise ValueError("short request record")
    n, op, unique, nodeid, uid, gid, pid, fh, offset, size, flags = IN_HEADER.unpack_from(data)
    if n != len(data):
        raise ValueError("request record length mismatch")
    return ServeRequest(
        op, unique, nodeid, uid, gid, pid, fh, offset, size, flags, bytes(data[IN_HEADER.size :])
    )


def pack_reply(unique: int, error: int = 0, payload: bytes = b"") -> bytes:
    """A reply record: ``error`` is 0 or a negative errno."""
    return OUT_HEADER.pack(OUT_HEADER.size + len(payload), error, unique) + payload


def unpack_reply(data: bytes) -> tuple[int, int, bytes]:
    """``(unique, error, payload)`` of a reply record.

    Raises:
        ValueError: if ``data`` is not one whole record or error is not <= 0.
    """
    if len(data) < OUT_HEADER.size:
        raise ValueError("short reply record")
    n, error, unique = OUT_HEADER.unpack_from(data)
    if n != len(data) or error > 0:
        raise ValueError("malformed reply record")
    return unique, error, bytes(data[OUT_HEADER.size :])
