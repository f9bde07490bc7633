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

Subtrees (a served directory; opcodes 6-31, FUSE's names with libk's numbers):

    opcode         request                          reply payload
    LOOKUP (6)     nodeid: the parent; payload:     ENTRY: nodeid, generation,
                   the name, NUL-terminated         entry_valid, attr_valid (ms) + ATTR
    GETATTR (7)    nodeid                           ATTR_OUT: attr_valid (ms) + ATTR
    OPENDIR (8)    nodeid, flags                    the handle (8 bytes, optional)
    READDIR (9)    nodeid, fh, offset, size         DIRENTs, none past ``size`` bytes;
                                                    none at all: the end
    RELEASEDIR(10) nodeid, fh                       (no answer)
    FORGET (11)    nodeid; offset: the lookups      (no answer)
                   the kernel forgets
    READLINK (12)  nodeid (a symbolic link)         the target (no NUL)

ATTR is FUSE's ``fuse_attr`` (88 bytes): ino, size, blocks, atime, mtime, ctime (8
each; seconds), atimensec, mtimensec, ctimensec, mode, nlink, uid, gid, rdev,
blksize, flags (4 each). A DIRENT is ``fuse_dirent``: ino (8), off (8: the offset of
the *next* entry, what the next READDIR sends), namelen (4), type (4: a DT_* value),
the name, zero-padded to a multiple of 8 bytes.

RELEASE, RELEASEDIR and FORGET need no answer. A reply to a ``unique`` that no caller
waits for (unknown, abandoned after a timeout or a signal, or one of those) fails with
ENOENT, a malformed one with EINVAL, as FUSE's.
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
    "OP_LOOKUP",
    "OP_GETATTR",
    "OP_OPENDIR",
    "OP_READDIR",
    "OP_RELEASEDIR",
    "OP_FORGET",
    "OP_READLINK",
    "NO_REPLY",
    "OP_NAMES",
    "SERVE_DIR",
    "ATTR",
    "ENTRY_OUT",
    "ATTR_OUT",
    "DIRENT",
    "Attr",
    "pack_attr",
    "unpack_attr",
    "pack_entry",
    "unpack_entry",
    "pack_attr_out",
    "unpack_attr_out",
    "pack_dirents",
    "unpack_dirents",
    "name_payload",
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

#: Kinds of served node for serve(2): a regular file (seekable, offsets matter), a
#: character device (a stream: ``cat`` reads until the server returns no bytes) or a
#: directory whose tree the server gives out (SERVE_DIR).
SERVE_FILE = 1
SERVE_CHR = 2
#: A served directory (a subtree): the directory protocol below is for it.
SERVE_DIR = 3
SERVE_KINDS = (SERVE_FILE, SERVE_CHR, SERVE_DIR)

OP_OPEN = 1
OP_READ = 2
OP_WRITE = 3
OP_IOCTL = 4
OP_RELEASE = 5
OP_LOOKUP = 6
OP_GETATTR = 7
OP_OPENDIR = 8
OP_READDIR = 9
OP_RELEASEDIR = 10
OP_FORGET = 11
OP_READLINK = 12
OP_NAMES = {
    OP_OPEN: "open",
    OP_READ: "read",
    OP_WRITE: "write",
    OP_IOCTL: "ioctl",
    OP_RELEASE: "release",
    OP_LOOKUP: "lookup",
    OP_GETATTR: "getattr",
    OP_OPENDIR: "opendir",
    OP_READDIR: "readdir",
    OP_RELEASEDIR: "releasedir",
    OP_FORGET: "forget",
    OP_READLINK: "readlink",
}
#: Requests the server must not answer (a reply to one fails with ENOENT).
NO_REPLY = frozenset((OP_RELEASE, OP_RELEASEDIR, OP_FORGET))

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


# ------------------------------------------------------------------- the subtree layouts

#: fuse_attr: ino, size, blocks, atime, mtime, ctime, atimensec, mtimensec, ctimensec,
#: mode, nlink, uid, gid, rdev, blksize, flags.
ATTR = struct.Struct("<QQQqqqIIIIIIIIII")
#: fuse_entry_out's head: nodeid, generation, entry_valid, attr_valid (ms, libk's unit).
ENTRY_OUT = struct.Struct("<QQQQ")
#: fuse_attr_out's head: attr_valid (ms), padding.
ATTR_OUT = struct.Struct("<Q8x")
#: fuse_dirent's head: ino, off, namelen, type.
DIRENT = struct.Struct("<QQII")
_NS = 1_000_000_000


@dataclass(slots=True)
class Attr:
    """A node's attributes, as GETATTR and LOOKUP carry them (times in nanoseconds)."""

    ino: int
    mode: int
    size: int = 0
    nlink: int = 1
    uid: int = 0
    gid: int = 0
    rdev: int = 0
    atime_ns: int = 0
    mtime_ns: int = 0
    ctime_ns: int = 0
    blksize: int = 4096

    @property
    def blocks(self) -> int:
        """512-byte blocks the size needs (st_blocks)."""
        return -(-self.size // 512)


def pack_attr(a: Attr) -> bytes:
    """The 88-byte ``fuse_attr`` of ``a``."""
    return ATTR.pack(
        a.ino,
        a.size,
        a.blocks,
        a.atime_ns // _NS,
        a.mtime_ns // _NS,
        a.ctime_ns // _NS,
        a.atime_ns % _NS,
        a.mtime_ns % _NS,
        a.ctime_ns % _NS,
        a.mode & 0xFFFFFFFF,
        a.nlink,
        a.uid & 0xFFFFFFFF,
        a.gid & 0xFFFFFFFF,
        a.rdev & 0xFFFFFFFF,
        a.blksize,
        0,
    )


def unpack_attr(data: bytes, offset: int = 0) -> Attr:
    """Decode a ``fuse_attr`` at ``offset``.

    Raises:
        ValueError: if ``data`` is too short.
    """
    if len(data) - offset < ATTR.size:
        raise ValueError("short attribute record")
    ino, size, _b, at, mt, ct, ans, mns, cns, mode, nlink, uid, gid, rdev, blksize, _f = (
        ATTR.unpack_from(data, offset)
    )
    return Attr(
        ino, mode, size, nlink, uid, gid, rdev,
        at * _NS + ans, mt * _NS + mns, ct * _NS + cns, blksize,
    )  # fmt: skip


def pack_entry(nodeid: int, attr: Attr, entry_valid_ms: int = 1000, attr_valid_ms: int = 1000,
               generation: int = 0) -> bytes:  # fmt: skip
    """A LOOKUP reply's payload (``fuse_entry_out``)."""
    return ENTRY_OUT.pack(nodeid, generation, entry_valid_ms, attr_valid_ms) + pack_attr(attr)


def unpack_entry(data: bytes) -> tuple[int, int, int, Attr]:
    """``(nodeid, entry_valid_ms, attr_valid_ms, attr)`` of a LOOKUP reply's payload.

    Raises:
        ValueError: if it is malformed (too short, or node id 0).
    """
    if len(data) < ENTRY_OUT.size + ATTR.size:
        raise ValueError("short entry record")
    nodeid, _gen, ev, av = ENTRY_OUT.unpack_from(data)
    if nodeid == 0:
        raise ValueError("entry with node id 0")
    return nodeid, ev, av, unpack_attr(data, ENTRY_OUT.size)


def pack_attr_out(attr: Attr, attr_valid_ms: int = 1000) -> bytes:
    """A GETATTR reply's payload (``fuse_attr_out``)."""
    return ATTR_OUT.pack(attr_valid_ms) + pack_attr(attr)


def unpack_attr_out(data: bytes) -> tuple[int, Attr]:
    """``(attr_valid_ms, attr)`` of a GETATTR reply's payload.

    Raises:
        ValueError: if it is too short.
    """
    if len(data) < ATTR_OUT.size + ATTR.size:
        raise ValueError("short attr_out record")
    (valid,) = ATTR_OUT.unpack_from(data)
    return valid, unpack_attr(data, ATTR_OUT.size)


def pack_dirents(entries: list[tuple[int, int, int, str]], size: int) -> bytes:
    """READDIR's payload: ``(ino, next_off, type, name)`` records, as many whole ones as
    fit in ``size`` bytes (a name that cannot fit alone still goes, as FUSE's first)."""
    out = bytearray()
    for ino, off, dtype, name in entries:
        raw = name.encode()
        rec = DIRENT.pack(ino, off, len(raw), dtype) + raw
        rec += bytes(-len(rec) % 8)
        if out and len(out) + len(rec) > size:
            break
        out += rec
    return bytes(out)


def unpack_dirents(data: bytes) -> list[tuple[int, int, int, str]]:
    """The ``(ino, next_off, type, name)`` records of a READDIR reply's payload.

    Raises:
        ValueError: if a record is cut short, has an empty name, or a ``/`` or NUL in it.
    """
    out = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < DIRENT.size:
            raise ValueError("short dirent")
        ino, off, n, dtype = DIRENT.unpack_from(data, pos)
        start = pos + DIRENT.size
        raw = data[start : start + n]
        if len(raw) != n or n == 0 or b"/" in raw or b"\0" in raw:
            raise ValueError("malformed dirent name")
        out.append((ino, off, dtype, raw.decode(errors="surrogateescape")))
        pos = start + n + (-(DIRENT.size + n) % 8)
    return out


def name_payload(name: str) -> bytes:
    """A LOOKUP request's payload: the name, NUL-terminated."""
    return name.encode(errors="surrogateescape") + b"\0"
