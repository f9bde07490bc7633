"""Served paths: a file or character device whose operations a user process answers.

``serve(2)`` (``kernel.sysserve``) makes a :class:`Channel` — the server's end, an
anonymous file read and written with plain read(2)/write(2) of the records that
``kernel.abi.serve`` lays out — and a :class:`ServedFS` whose one node
(:class:`ServedInode`) is mounted over the served path in the server's mount
namespace, as a FUSE mount. Each open, read, write, ioctl and close of the node becomes
a :class:`Pending` request queued on the channel; the calling thread sleeps on the
request's own wait queue until the reply with the same ``unique`` arrives.

The kernel keeps the client safe from the server:

* a server that does not answer within the channel's timeout (virtual time;
  ``SERVE_TIMEOUT_MS`` unless ``serve_timeout`` says otherwise) makes the call fail
  with EIO, and the request is forgotten (a late reply gets ENOENT);
* when the channel's last descriptor closes (the server exits or dies), every pending
  and later call fails with EIO, the node is unmounted from every namespace, and a
  placeholder serve(2) created for it is removed; the clients' descriptors stay theirs
  to close;
* a signal ends a client's wait with EINTR (the request is abandoned, as a FUSE
  INTERRUPT that the server need not see; a read or write retried by the same thread
  takes the answer of the abandoned one, so no bytes are lost or doubled).

read and write sleep through the VFS's ``WouldBlock`` (the thread's pending request is
remembered per open file); ioctl, whose handler cannot sleep, hands the rest of the call
to the dispatcher as a kernel half (``kernel.kernel.Blocked``), as blocking calls do.
An open sends OPEN; open(2) waits for the answer through :meth:`ServedInode.wait_open`
(and fails with its error), while an open that cannot wait (spawn's file actions) leaves
it to the first call that needs the server's handle.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EINVAL,
    EIO,
    ENOENT,
    O_ACCMODE,
    POLLIN,
    POLLOUT,
    S_IFCHR,
    S_IFREG,
    Error,
)
from kernel.abi.serve import (
    NO_REPLY,
    OP_IOCTL,
    OP_OPEN,
    OP_READ,
    OP_RELEASE,
    OP_WRITE,
    SERVE_CHR,
    SERVE_ROOT_ID,
    SERVE_TIMEOUT_MS,
    ServeRequest,
    pack_request,
    unpack_reply,
)
from kernel.fs.vfs import FileSystem, Inode, WouldBlock
from kernel.thread import Sleep, WaitQueue

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.thread import Thread

_MS = 1_000_000


class Restart(WouldBlock):
    """A system call cannot go on until the server answers (a served directory's
    LOOKUP, a node's GETATTR): it sleeps on ``sleep`` and then starts over, finding the
    answer cached where the raiser left it. ``kernel.sysserve.restartable`` turns it
    into the call's kernel half."""


class Pending:
    """One request on its way to the server and back."""

    __slots__ = ("req", "deadline", "done", "error", "payload", "wait", "key")

    def __init__(self, req: ServeRequest, deadline: int) -> None:
        self.req = req
        self.deadline = deadline
        self.done = False
        self.error = 0
        self.payload = b""
        self.wait = WaitQueue("served")
        self.key: Any = None  # what the caller retries with (a read's count, a write's data)


class Channel(Inode):
    """The server's end of a served path (``serve:[ino]`` in /proc/<pid>/fd)."""

    __slots__ = (
        "queue",
        "inflight",
        "read_wait",
        "alive",
        "timeout_ns",
        "next_unique",
        "server_pid",
        "path",
        "node",
        "placeholder",
        "_rsleep",
    )

    io_cost = "pipe"

    def __init__(self, fs: FileSystem, uid: int, gid: int, server_pid: int, path: str) -> None:
        super().__init__(fs, S_IFREG | 0o600, uid, gid)
        self.queue: deque[Pending] = deque()
        self.inflight: dict[int, Pending] = {}
        self.read_wait = WaitQueue("serve_read")
        self._rsleep = Sleep((self.read_wait,), None, "serve_read")
        self.alive = True
        self.timeout_ns = SERVE_TIMEOUT_MS * _MS
        self.next_unique = 1
        self.server_pid = server_pid
        self.path = path
        self.node: ServedInode | None = None
        self.placeholder: tuple[Any, str, Inode] | None = None

    @property
    def seekable(self) -> bool:
        return False

    # -- the client side --------------------------------------------------------------
    def submit(
        self, t: Thread | None, op: int, opener: File | None = None, **fields: Any
    ) -> Pending:
        """Queue a request from ``t``'s caller (None: the kernel, a spawn's open: then
        the ``opener`` file's credentials and process, as Linux's f_cred, if given).

        Raises:
            Error: EIO if the server is gone.
        """
        if not self.alive:
            raise Error(EIO)
        unique = self.next_unique
        self.next_unique += 1
        uid = gid = pid = 0
        if t is not None:
            cred = t.proc.cred
            uid, gid, pid = cred.euid, cred.egid, t.proc.pid
        elif opener is not None and opener.cred is not None:
            uid, gid, pid = opener.cred.euid, opener.cred.egid, opener.opener
        nodeid = fields.pop("nodeid", SERVE_ROOT_ID)
        req = ServeRequest(op, unique, nodeid, uid, gid, pid, **fields)
        p = Pending(req, self.fs.kernel.now() + self.timeout_ns)
        self.queue.append(p)
        if self.read_wait:
            self.fs.kernel.wake_all(self.read_wait)
        return p

    def abandon(self, p: Pending) -> None:
        """Forget ``p`` (timed out or interrupted): its late reply gets ENOENT."""
        try:
            self.queue.remove(p)
        except ValueError:
            pass
        self.inflight.pop(p.req.unique, None)

    def outcome(self, p: Pending) -> Sleep | None:
        """None if ``p`` is answered (raise its error, if any), else where to sleep.

        Raises:
            Error: the server's error; EIO when the server is gone or too late.
        """
        if p.done:
            if p.error:
                raise Error(p.error)
            return None
        if self.fs.kernel.now() >= p.deadline:
            self.abandon(p)
            self.fs.kernel.log(
                f"served: no answer from pid {self.server_pid} ({self.path}) to"
                f" {p.req.name} of pid {p.req.pid} in {self.timeout_ns // _MS} ms: EIO"
            )
            raise Error(EIO)
        return Sleep((p.wait,), p.deadline, "served")

    def wait(self, p: Pending) -> Any:
        """Sleep until ``p`` is answered (a generator, for ``yield from``); its payload.

        Raises:
            Error: as :meth:`outcome`; EINTR from the sleep (``p`` is abandoned).
        """
        while (sl := self.outcome(p)) is not None:
            try:
                yield sl
            except BaseException:
                self.abandon(p)
                raise
        return p.payload

    # -- the server side --------------------------------------------------------------
    def read(self, t: Thread | None, f: File, count: int) -> bytes:
        if not self.queue:
            raise WouldBlock(self._rsleep)
        record = pack_request(self.queue[0].req)
        if count < len(record):
            raise Error(EINVAL, "serve: read buffer smaller than the next request")
        p = self.queue.popleft()
        if p.req.opcode not in NO_REPLY:
            self.inflight[p.req.unique] = p
        return record

    def write(self, t: Thread | None, f: File, data: bytes) -> int:
        try:
            unique, error, payload = unpack_reply(data)
        except ValueError:
            raise Error(EINVAL, "serve: malformed reply record") from None
        p = self.inflight.pop(unique, None)
        if p is None:  # never sent, abandoned (timeout, signal), or a RELEASE
            raise Error(ENOENT, "serve: no request waits for that unique")
        p.done = True
        p.error = -error
        p.payload = payload
        if p.wait:
            self.fs.kernel.wake_all(p.wait)
        elif p.req.opcode == OP_OPEN and p.key is not None and not error:
            # closed before the answer came: give the handle back at once
            fh = int.from_bytes(payload[:8], "little") if len(payload) >= 8 else 0
            self.submit(None, OP_RELEASE, fh=fh, flags=p.key)
        return len(data)

    def poll(self, f: File) -> tuple[int, tuple[Any, ...]]:
        return (POLLIN if self.queue else 0) | POLLOUT, (self.read_wait,)

    def fdinfo(self, f: File) -> str:
        return (
            f"serving:\t{self.path}\npending:\t{len(self.queue)}\n"
            f"inflight:\t{len(self.inflight)}\ntimeout_ms:\t{self.timeout_ns // _MS}\n"
        )

    def release(self, f: File) -> None:
        """The last descriptor closed: the server is gone (see the module docstring)."""
        self.alive = False
        waiting = list(self.queue) + list(self.inflight.values())
        self.queue.clear()
        self.inflight.clear()
        k = self.fs.kernel
        for p in waiting:
            if p.req.opcode in NO_REPLY:
                continue
            p.done = True
            p.error = EIO
            if p.wait:
                k.wake_all(p.wait)
        node = self.node
        if node is not None:
            _unmount_everywhere(k, node.fs)
        if self.placeholder is not None:
            parent, name, inode = self.placeholder
            if parent.children.get(name) is inode:
                parent.remove(name)
            self.placeholder = None
        k.log(
            f"served: server pid {self.server_pid} left {self.path}"
            + (f"; {len(waiting)} pending calls fail with EIO" if waiting else "")
        )


def _unmount_everywhere(k: Any, fs: FileSystem) -> None:
    """Take ``fs``'s mounts out of every live namespace (a lazy unmount)."""
    for ns in list(k.root_ns.ids.live.values()):
        for m in [m for m in ns.mounts if m.fs is fs]:
            if any(x.parent is m for x in ns.mounts):
                continue
            ns._detach(m)


class ServedFS(FileSystem):
    """The file system of one served node (``served`` in /proc/mounts)."""

    fstype = "served"


class Handle:
    """A client's open file description of a served node (``File.private``)."""

    __slots__ = ("opening", "fh", "error", "pending")

    def __init__(self, opening: Pending | None) -> None:
        self.opening = opening
        self.fh = 0
        self.error = 0
        self.pending: dict[Any, Pending] = {}  # thread -> its read or write in flight


class ServedInode(Inode):
    """The node at a served path: every operation is a request on ``channel``."""

    __slots__ = ("channel", "kind")

    def __init__(
        self, fs: ServedFS, channel: Channel, kind: int, mode: int, uid: int, gid: int
    ) -> None:
        ftype = S_IFCHR if kind == SERVE_CHR else S_IFREG
        super().__init__(fs, ftype | (mode & 0o7777), uid, gid)
        self.channel = channel
        self.kind = kind

    @property
    def seekable(self) -> bool:
        return self.kind != SERVE_CHR

    def fdinfo(self, f: File) -> str:
        ch = self.channel
        state = "" if ch.alive else " (gone)"
        return f"served_by:\t{ch.server_pid} {ch.path}{state}\n"

    def poll(self, f: File) -> tuple[int, tuple[Any, ...]]:
        return POLLIN | POLLOUT, ()  # (no POLL request: always ready, as FUSE's default)

    # -- open and close ----------------------------------------------------------------
    def open(self, t: Thread | None, f: File) -> None:
        p = self.channel.submit(t, OP_OPEN, f, flags=f.flags)
        f.private = Handle(p)

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

    def _ready(self, f: File) -> Handle:
        """The handle, once OPEN is answered; raises WouldBlock while it is not."""
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
                raise WouldBlock(sl)
            self._opened(h, h.opening.payload)
        if not self.channel.alive:
            raise Error(EIO)
        return h

    def release(self, f: File) -> None:
        h: Handle | None = f.private
        ch = self.channel
        if h is None:
            return
        for p in h.pending.values():
            ch.abandon(p)
        h.pending.clear()
        opening = h.opening
        if opening is not None:
            if opening in ch.queue:  # the server never saw the open: it needs no close
                ch.abandon(opening)
                return
            if not opening.done:  # the server has it: release the handle it answers with
                opening.key = f.flags & O_ACCMODE
                return
            if opening.error:
                return
            self._opened(h, opening.payload)
        if ch.alive and not h.error:
            ch.submit(None, OP_RELEASE, f, fh=h.fh, flags=f.flags & O_ACCMODE)

    # -- read and write ----------------------------------------------------------------
    def _call(self, t: Thread | None, f: File, op: int, key: Any, **fields: Any) -> bytes:
        """Send ``op`` for ``t`` (or pick up its earlier one with the same ``key``) and
        return the answer's payload; raises WouldBlock until it comes."""
        h = self._ready(f)
        p = h.pending.get(t)
        if p is not None and p.key != key:
            self.channel.abandon(p)
            p = None
        if p is None:
            p = self.channel.submit(t, op, fh=h.fh, **fields)
            p.key = key
            h.pending[t] = p
        try:
            sl = self.channel.outcome(p)
        except Error:
            h.pending.pop(t, None)
            raise
        if sl is not None:
            raise WouldBlock(sl)
        h.pending.pop(t, None)
        return p.payload

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

    # -- ioctl -------------------------------------------------------------------------
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
            offset=arg if isinstance(arg, int) else 0,
            flags=request,
            payload=arg if isinstance(arg, bytes) else b"",
        )
        payload = yield from self.channel.wait(p)
        if len(payload) > 8:
            return payload[8:]
        return int.from_bytes(payload[:8].ljust(8, b"\0"), "little", signed=True)
