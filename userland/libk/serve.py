"""A small library for servers of served paths (``man 7 served``).

Subclass :class:`Server`, override the handlers you need (each is ``async`` and gets
the decoded :class:`~kernel.abi.serve.ServeRequest`, with the caller's pid, uid and gid),
and run it::

    class Hello(Server):
        async def read(self, req):
            return b"hello\\n" if req.offset == 0 else b""

    await Hello().serve("/tmp/hello", SERVE_FILE, 0o444)

A handler returns its answer (``open``: a handle number or None; ``read``: bytes;
``write``: how many bytes it took; ``ioctl``: an int or bytes) or raises
``Error(errno)``, which the caller's call fails with. Unhandled operations answer as a
Linux driver without them would: ENOTTY for ioctl, EINVAL for read and write.

For a subtree (``SERVE_DIR``, ``man 7 served``), ``lookup`` answers a name in a
directory node with ``(nodeid, Attr)``, ``getattr`` a node's :class:`Attr` (the default
describes the served node as it was served: its kind, mode and owner), ``readdir`` the
entries of a directory from an offset, ``readlink`` a link's target; the ``pack_*``
layouts are done here. ``entry_valid_ms`` and ``attr_valid_ms`` say how long the kernel
may keep the answers (0: ask every time).
"""

from __future__ import annotations

from kernel.abi import (
    CLOCK_MONOTONIC,
    EINVAL,
    ENOENT,
    ENOTDIR,
    ENOTTY,
    S_IFCHR,
    S_IFDIR,
    S_IFREG,
    Error,
)
from kernel.abi import serve as proto
from userland.libk import sys


class Server:
    """A served path's server: a loop of read request, dispatch, write reply."""

    def __init__(self) -> None:
        self.channel = -1
        self.running = False
        self.kind = proto.SERVE_FILE
        self.mode = 0o666
        self.uid = 0
        self.gid = 0
        self.attr_valid_ms = 1000
        self.entry_valid_ms = 1000
        self.started = 0  # when serving began (stat(2)'s clock, ns): the node's times

    async def serve(self, path: str, kind: int, mode: int = 0o666) -> None:
        """Serve ``path`` (serve(2)) and answer requests until :meth:`stop` or an
        error on the channel; the channel is closed at the end (the node goes)."""
        self.kind, self.mode = kind, mode
        self.uid, self.gid = await sys.geteuid(), await sys.getegid()
        self.started = await sys.clock_gettime(CLOCK_MONOTONIC)
        self.channel = await sys.serve(path, kind, mode)
        try:
            await self.ready()
            await self.loop()
        finally:
            fd, self.channel = self.channel, -1
            await sys.close(fd)

    async def ready(self) -> None:
        """Called once the path is served, before the first request (start a child)."""

    async def loop(self) -> None:
        """Answer requests until :meth:`stop` is called."""
        self.running = True
        while self.running:
            data = await sys.read(self.channel, proto.SERVE_REQ_MAX)
            if not data:
                return
            await self.handle(proto.unpack_request(data))

    def stop(self) -> None:
        """End :meth:`loop` after the current request."""
        self.running = False

    async def handle(self, req: proto.ServeRequest) -> None:
        """Dispatch one request and write its reply."""
        payload = b""
        error = 0
        try:
            if req.opcode == proto.OP_OPEN:
                fh = await self.open(req)
                payload = (fh or 0).to_bytes(8, "little")
            elif req.opcode == proto.OP_READ:
                payload = bytes(await self.read(req))[: req.size]
            elif req.opcode == proto.OP_WRITE:
                payload = int(await self.write(req)).to_bytes(4, "little")
            elif req.opcode == proto.OP_IOCTL:
                result = await self.ioctl(req)
                if isinstance(result, bytes):
                    payload = bytes(8) + result
                else:
                    payload = int(result).to_bytes(8, "little", signed=True)
            elif req.opcode == proto.OP_LOOKUP:
                name = req.payload.rstrip(b"\0").decode(errors="surrogateescape")
                nodeid, attr = await self.lookup(req, name)
                payload = proto.pack_entry(nodeid, attr, self.entry_valid_ms, self.attr_valid_ms)
            elif req.opcode == proto.OP_GETATTR:
                payload = proto.pack_attr_out(await self.getattr(req), self.attr_valid_ms)
            elif req.opcode == proto.OP_OPENDIR:
                fh = await self.opendir(req)
                payload = (fh or 0).to_bytes(8, "little")
            elif req.opcode == proto.OP_READDIR:
                payload = proto.pack_dirents(await self.readdir(req), req.size)
            elif req.opcode == proto.OP_READLINK:
                payload = (await self.readlink(req)).encode(errors="surrogateescape")
            elif req.opcode == proto.OP_RELEASE:
                await self.release(req)
                return  # (RELEASE needs no answer)
            elif req.opcode == proto.OP_RELEASEDIR:
                await self.releasedir(req)
                return
            elif req.opcode == proto.OP_FORGET:
                await self.forget(req)
                return
            else:
                error = EINVAL
        except Error as err:
            error = err.errno
        try:
            await sys.write(self.channel, proto.pack_reply(req.unique, -error, payload))
        except Error as err:
            if err.errno != ENOENT:  # the caller gave up (a timeout, a signal) meanwhile
                raise

    # -- handlers: override these ------------------------------------------------------
    async def open(self, req: proto.ServeRequest) -> int | None:
        """An open (``req.flags``: its flags); return a handle or None."""
        return None

    async def read(self, req: proto.ServeRequest) -> bytes:
        """A read of ``req.size`` bytes at ``req.offset``; b"" is end of file."""
        raise Error(EINVAL)

    async def write(self, req: proto.ServeRequest) -> int:
        """A write of ``req.payload`` at ``req.offset``; return how many bytes it took."""
        raise Error(EINVAL)

    async def ioctl(self, req: proto.ServeRequest) -> int | bytes:
        """An ioctl: request number ``req.flags``, argument ``req.offset`` (an int) or
        ``req.payload`` (bytes)."""
        raise Error(ENOTTY)

    async def release(self, req: proto.ServeRequest) -> None:
        """The last close of an open (handle ``req.fh``)."""

    # -- subtrees (SERVE_DIR) and stat -------------------------------------------------
    def root_attr(self) -> proto.Attr:
        """The attributes of the served node as served (GETATTR's default answer)."""
        ftype = {proto.SERVE_CHR: S_IFCHR, proto.SERVE_DIR: S_IFDIR}.get(self.kind, S_IFREG)
        nlink = 2 if self.kind == proto.SERVE_DIR else 1
        return proto.Attr(
            proto.SERVE_ROOT_ID,
            ftype | (self.mode & 0o7777),
            nlink=nlink,
            uid=self.uid,
            gid=self.gid,
            atime_ns=self.started,
            mtime_ns=self.started,
            ctime_ns=self.started,
        )

    async def lookup(self, req: proto.ServeRequest, name: str) -> tuple[int, proto.Attr]:
        """``name`` in directory node ``req.nodeid``: its node id and attributes."""
        raise Error(ENOENT)

    async def getattr(self, req: proto.ServeRequest) -> proto.Attr:
        """The attributes of node ``req.nodeid`` (stat(2)); the default knows the root."""
        if req.nodeid != proto.SERVE_ROOT_ID:
            raise Error(ENOENT)
        return self.root_attr()

    async def opendir(self, req: proto.ServeRequest) -> int | None:
        """An open of directory node ``req.nodeid``; return a handle or None."""
        if self.kind != proto.SERVE_DIR and req.nodeid == proto.SERVE_ROOT_ID:
            raise Error(ENOTDIR)
        return None

    async def readdir(self, req: proto.ServeRequest) -> list[tuple[int, int, int, str]]:
        """Entries of directory node ``req.nodeid`` from offset ``req.offset``, each
        ``(ino, next_offset, d_type, name)``; the library keeps those that fit
        ``req.size`` bytes; an empty list is the end."""
        return []

    async def readlink(self, req: proto.ServeRequest) -> str:
        """The target of symbolic link node ``req.nodeid``."""
        raise Error(EINVAL)

    async def releasedir(self, req: proto.ServeRequest) -> None:
        """The last close of a directory handle ``req.fh``."""

    async def forget(self, req: proto.ServeRequest) -> None:
        """The kernel dropped ``req.offset`` lookups of node ``req.nodeid``."""
