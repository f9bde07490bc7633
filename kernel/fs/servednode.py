"""Served nodes: what every node a server answers for does, and its files and devices.

A served path (``kernel.sysserve``) is one node — a :class:`ServedInode`, a regular file
or a character device — or a subtree whose root is a ``kernel.fs.serveddir.ServedDir``.
Every operation on them is a request on the server's channel (``kernel.fs.served``):

* open and close: OPEN/RELEASE (OPENDIR/RELEASEDIR for a directory); open(2) waits for
  the answer (:meth:`ServedNode.wait_open`), an open that cannot wait (spawn's file
  actions) leaves it to the first call that needs the server's handle;
* read and write sleep through the VFS's ``WouldBlock``; ioctl, whose handler cannot
  sleep, hands the rest of the call to the dispatcher as a kernel half;
* a name in a directory (the path walk), the attributes (stat), a directory's entries
  (getdents) and a link's target are asked with LOOKUP, GETATTR, READDIR and READLINK
  and cached for as long as the answer says (``entry_valid``, ``attr_valid``, virtual
  time). A call that finds no valid answer raises :class:`~kernel.fs.vfs.Restart`: it
  sleeps until the answer comes and starts over, finding it cached (the answer is
  parsed and cached when it arrives, so a lookup the caller gave up on still counts).
  Permission checks use the cached attributes, as FUSE's ``default_permissions``;
* the kernel gives a node's LOOKUPs back with FORGET once no cached name and no open
  file holds it;
* creating, removing, renaming and changing attributes fail with EROFS (CREATE,
  MKDIR, UNLINK, RENAME and SETATTR are not forwarded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from kernel.abi import (
    EINVAL,
    EIO,
    EROFS,
    O_ACCMODE,
    POLLIN,
    POLLOUT,
    S_IFCHR,
    S_IFMT,
    S_IFREG,
    Error,
    Stat,
)
from kernel.abi.serve import (
    OP_GETATTR,
    OP_IOCTL,
    OP_OPEN,
    OP_READ,
    OP_RELEASE,
    OP_WRITE,
    SERVE_CHR,
    SERVE_ROOT_ID,
    Attr,
    unpack_attr_out,
)
from kernel.fs.vfs import Inode, Restart, WouldBlock

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.fs.served import Channel, Pending, ServedFS
    from kernel.thread import Thread

_MS = 1_000_000
#: Bytes a READDIR asks for (the answer holds whole records in at most this many).
READDIR_SIZE = 8192
#: Who asks when the kernel itself does (no caller): root, pid 0, as FUSE's.
KERNEL = (0, 0, 0)


def taken(p: Pending | None, now: int) -> Pending | None:
    """``p`` if it is an answer to take now: answered, and the call that asked for it
    is still going (restarted: it may walk past it several times) — not spent, and
    before its deadline. Once that call has ended, the next caller asks again if the
    cache says so."""
    if p is not None and p.done and not p.spent and now < p.deadline:
        return p
    return None


class Handle:
    """A client's open file description of a served node (``File.private``)."""

    __slots__ = ("opening", "fh", "error", "pending", "dots", "eof")

    def __init__(self, opening: Pending | None) -> None:
        self.opening = opening
        self.fh = 0
        self.error = 0
        self.pending: dict[Any, Pending] = {}  # thread -> its read, write, READDIR
        self.dots = False  # a directory's . and .. given out (getdents)
        self.eof = False  # its server said there are no more entries


#: The slots of every served node (what :class:`ServedNode` keeps).
NODE_SLOTS = (
    "channel", "nodeid", "attr_expires", "attr_wait", "nlookup", "dentries", "opens",
    "pins", "size_", "grace",
)  # fmt: skip


class ServedNode:
    """What every served node does: ask its server, and cache the answers.

    A mixin for the node classes below, which declare the slots: ``channel``,
    ``nodeid``, ``attr_expires`` (when the cached attributes expire, ns),
    ``attr_wait`` (a GETATTR in flight), ``nlookup`` (LOOKUPs the kernel holds),
    ``dentries`` (names cached for it), ``opens`` (open file descriptions), ``pins``
    (working directories and roots on it, and held directories below it), ``size_``,
    ``grace`` (the walk that took a LOOKUP answer may use its attributes, however
    short their validity: the same call asked for them).
    """

    __slots__ = ()
    remote = True
    op_open = OP_OPEN
    op_release = OP_RELEASE

    channel: Channel
    nodeid: int
    attr_expires: int
    attr_wait: Pending | None
    nlookup: int
    dentries: int
    opens: int
    pins: int
    size_: int
    grace: bool
    fs: ServedFS

    def _served_init(self, channel: Channel, nodeid: int) -> None:
        self.channel = channel
        self.nodeid = nodeid
        self.attr_expires = 0  # (ask at the first stat)
        self.attr_wait = None
        self.nlookup = 0
        self.dentries = 0
        self.opens = 0
        self.pins = 0
        self.size_ = 0
        self.grace = False

    @property
    def size(self) -> int:
        return self.size_

    def fdinfo(self, f: File) -> str:
        ch = self.channel
        state = "" if ch.alive else " (gone)"
        return f"served_by:\t{ch.server_pid} {ch.path}{state}\n"

    def check_setattr(self) -> None:
        raise Error(EROFS)

    # -- attributes ----------------------------------------------------------------------
    def apply(self, attr: Attr, valid_ms: int) -> None:
        """Take the server's attributes (the type stays what it was) until ``valid_ms``
        from now."""
        self.mode = (self.mode & S_IFMT) | (attr.mode & 0o7777)  # type: ignore[attr-defined]
        self.uid = attr.uid
        self.gid = attr.gid
        self.nlink = attr.nlink
        self.rdev = attr.rdev
        self.atime, self.mtime, self.ctime = attr.atime_ns, attr.mtime_ns, attr.ctime_ns
        self.size_ = attr.size
        if attr.ino:
            self.ino = attr.ino
        self.attr_expires = self.fs.kernel.now() + valid_ms * _MS

    def _attr_answer(self, payload: bytes) -> None:
        valid, attr = unpack_attr_out(payload)
        self._check_type(attr)
        self.apply(attr, valid)

    def _check_type(self, attr: Attr) -> None:
        if attr.mode & S_IFMT != self.mode & S_IFMT:  # type: ignore[attr-defined]
            raise ValueError(f"node {self.nodeid} changed its type")

    def revalidate(self, who: tuple[int, int, int]) -> None:
        """Return once the cached attributes are valid; ask with GETATTR first when they
        have expired (raises Restart until the answer comes, Error with its error)."""
        p = taken(self.attr_wait, self.fs.kernel.now())
        if p is not None:  # answered: the attributes are what it said (valid or not)
            if p.error:
                raise Error(p.error)
            return
        if self.grace:
            self.grace = False
            return
        if self.fs.kernel.now() < self.attr_expires:
            return
        self._ask("attr_wait", OP_GETATTR, who, self._attr_answer)

    def _ask(self, slot: str, op: int, who: tuple[int, int, int], then: Any) -> NoReturn:
        """Ask ``op`` about this node, unless the question kept in ``slot`` is still
        on its way, and raise Restart to wait for the answer (``then`` caches it when
        it comes). A question the server let time out is dropped: EIO.
        """
        p = getattr(self, slot)
        if p is None or p.done:
            p = self.channel.submit(None, op, who=who, nodeid=self.nodeid)
            p.then = then
            setattr(self, slot, p)
        try:
            self._wait(p)
        except Restart:
            raise
        except Error:
            setattr(self, slot, None)
            raise

    def _wait(self, p: Pending) -> NoReturn:
        """Raise Restart to wait for ``p`` (Error: EIO when it timed out)."""
        sl = self.channel.outcome(p)
        if sl is None:  # (cannot be: ``p`` was not answered)
            raise Error(EIO)
        raise Restart(sl, self.channel, p)

    def stat_for(self, t: Thread) -> Stat:
        if t.observer:  # (the app's host client cannot wait: the cached attributes)
            return self.stat()  # type: ignore[attr-defined]
        proc = t.proc
        self.revalidate((proc.cred.euid, proc.cred.egid, proc.pid))
        return self.stat()  # type: ignore[attr-defined]

    # -- open and close ------------------------------------------------------------------
    def open(self, t: Thread | None, f: File) -> None:
        p = self.channel.submit(t, self.op_open, f, flags=f.flags, nodeid=self.nodeid)
        f.private = Handle(p)
        self.opens += 1

    def wait_open(self, f: File, *, nonblock: bool = False) -> Any:
        """Wait for the server's answer to OPEN (a generator for open(2)'s kernel half).

        Raises:
            Error: the server's refusal, EIO, EINTR.
        """
        h: Handle = f.private
        if h.opening is not None:
            try:
                payload = yield from self.channel.wait(h.opening)
            except Error as err:
                h.error = err.errno
                h.opening = None
                raise
            self._opened(h, payload)

    def _opened(self, h: Handle, payload: bytes) -> None:
        h.opening = None
        if len(payload) >= 8:
            h.fh = int.from_bytes(payload[:8], "little")

    def _ready(self, f: File, block: type[WouldBlock] = WouldBlock) -> Handle:
        """The handle, once OPEN is answered; raises ``block`` while it is not."""
        h: Handle = f.private
        if h.error:
            raise Error(h.error)
        if h.opening is not None:
            try:
                sl = self.channel.outcome(h.opening)
            except Error as err:
                h.error = err.errno
                h.opening = None
                raise
            if sl is not None:
                raise Restart(sl, self.channel) if block is Restart else block(sl)
            self._opened(h, h.opening.payload)
        if not self.channel.alive:
            raise Error(EIO)
        return h

    def release(self, f: File) -> None:
        h: Handle | None = f.private
        ch = self.channel
        if h is None:
            return
        self.opens -= 1
        try:
            for p in h.pending.values():
                ch.abandon(p)
            h.pending.clear()
            opening = h.opening
            if opening is not None:
                if opening in ch.queue:  # the server never saw the open: it needs no close
                    ch.abandon(opening)
                    return
                if not opening.done:  # the server has it: release the handle it answers
                    opening.key = f.flags & O_ACCMODE
                    return
                if opening.error:
                    return
                self._opened(h, opening.payload)
            if ch.alive and not h.error:
                ch.submit(
                    None, self.op_release, f, fh=h.fh, flags=f.flags & O_ACCMODE,
                    nodeid=self.nodeid,
                )  # fmt: skip
        finally:
            self.fs.maybe_forget(self)

    def _call(
        self,
        t: Thread | None,
        f: File,
        op: int,
        key: Any,
        block: type[WouldBlock] = WouldBlock,
        **fields: Any,
    ) -> bytes:
        """Send ``op`` for ``t`` (or pick up its earlier one with the same ``key``) and
        return the answer's payload; raises ``block`` until it comes."""
        h = self._ready(f, block)
        p = h.pending.get(t)
        if p is not None and p.key != key:
            self.channel.abandon(p)
            p = None
        if p is None:
            p = self.channel.submit(t, op, fh=h.fh, nodeid=self.nodeid, **fields)
            p.key = key
            h.pending[t] = p
        try:
            sl = self.channel.outcome(p)
        except Error:
            h.pending.pop(t, None)
            raise
        if sl is not None:
            raise Restart(sl, self.channel, p) if block is Restart else block(sl)
        h.pending.pop(t, None)
        return p.payload


class ServedInode(ServedNode, Inode):
    """A served regular file or character device: every operation is a request."""

    __slots__ = NODE_SLOTS + ("kind",)

    def __init__(
        self,
        fs: ServedFS,
        channel: Channel,
        kind: int,
        mode: int,
        uid: int,
        gid: int,
        nodeid: int = SERVE_ROOT_ID,
    ) -> None:
        ftype = S_IFCHR if kind == SERVE_CHR else S_IFREG
        Inode.__init__(self, fs, ftype | (mode & 0o7777), uid, gid)
        self._served_init(channel, nodeid)
        self.kind = kind

    @property
    def seekable(self) -> bool:
        return self.kind != SERVE_CHR

    def poll(self, f: File) -> tuple[int, tuple[Any, ...]]:
        return POLLIN | POLLOUT, ()  # (no POLL request: always ready, as FUSE's default)

    def read(self, t: Thread | None, f: File, count: int) -> bytes:
        data = self._call(t, f, OP_READ, ("r", count, f.pos), offset=f.pos, size=count)
        data = data[:count]
        if self.kind != SERVE_CHR:
            f.pos += len(data)
        return data

    def write(self, t: Thread | None, f: File, data: bytes) -> int:
        payload = self._call(
            t, f, OP_WRITE, ("w", data, f.pos), offset=f.pos, size=len(data), payload=data
        )
        n = int.from_bytes(payload[:4], "little") if len(payload) >= 4 else len(data)
        if not 0 < n <= len(data):
            raise Error(EIO, f"serve: the server answered a write of {len(data)} with {n}")
        if self.kind != SERVE_CHR:
            f.pos += n
        return n

    def ioctl(self, t: Thread | None, f: File, request: int, arg: Any) -> Any:
        from kernel.kernel import Blocked

        if arg is not None and not isinstance(arg, (int, bytes)):
            raise Error(EINVAL, "ioctl on a served file: arg must be an int, bytes or None")
        if isinstance(arg, int) and not -(2**63) <= arg < 2**63:
            raise Error(EINVAL)
        if t is None or t.observer:
            raise Error(EIO)  # (no caller that could wait)
        gen = self._ioctl(t, f, request, arg)
        try:
            sleep = gen.send(None)
        except StopIteration as stop:
            return stop.value
        raise Blocked(gen, sleep)

    def _ioctl(self, t: Thread, f: File, request: int, arg: Any) -> Any:
        h: Handle = f.private
        if h.opening is not None:
            yield from self.wait_open(f)
        h = self._ready(f)
        p = self.channel.submit(
            t,
            OP_IOCTL,
            fh=h.fh,
            nodeid=self.nodeid,
            offset=arg if isinstance(arg, int) else 0,
            flags=request,
            payload=arg if isinstance(arg, bytes) else b"",
        )
        payload = yield from self.channel.wait(p)
        if len(payload) > 8:
            return payload[8:]
        return int.from_bytes(payload[:8].ljust(8, b"\0"), "little", signed=True)
