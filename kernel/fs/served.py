"""Served paths: the channel between a served node's callers and its server.

``serve(2)`` (``kernel.sysserve``) makes a :class:`Channel` — the server's end, an
anonymous file read and written with plain read(2)/write(2) of the records that
``kernel.abi.serve`` lays out — and a :class:`ServedFS` mounted over the served path in
the server's mount namespace, as a FUSE mount: one node (a file or a character device)
or a subtree (a directory whose names the server gives out). The nodes are
``kernel.fs.servednode``'s; each of their operations becomes a :class:`Pending` request
queued on the channel, and the calling thread sleeps on the request's own wait queue
until the reply with the same ``unique`` arrives.

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
  takes the answer of the abandoned one, so no bytes are lost or doubled);
* an answer that does not parse (a LOOKUP's entry, a GETATTR's attributes, a READDIR's
  records) fails the caller's call with EIO and the server's write with EINVAL.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EINVAL,
    EIO,
    ENOENT,
    POLLIN,
    POLLOUT,
    S_IFREG,
    Error,
)
from kernel.abi.serve import (
    NO_REPLY,
    OP_FORGET,
    OP_OPEN,
    OP_OPENDIR,
    OP_RELEASE,
    OP_RELEASEDIR,
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
#: An open's opcode -> the close that gives its handle back.
OPENS = {OP_OPEN: OP_RELEASE, OP_OPENDIR: OP_RELEASEDIR}


class Pending:
    """One request on its way to the server and back."""

    __slots__ = (
        "req", "deadline", "done", "error", "payload", "wait", "key", "then", "result", "spent",
    )  # fmt: skip

    def __init__(self, req: ServeRequest, deadline: int) -> None:
        self.req = req
        self.deadline = deadline
        self.done = False
        self.error = 0
        self.payload = b""
        self.wait = WaitQueue("served")
        self.key: Any = None  # what the caller retries with (a read's count, a write's data)
        #: what to do with a successful answer when it arrives (parse and cache it: a
        #: LOOKUP's node, a GETATTR's attributes); its value is ``result``. It raises
        #: ValueError for an answer that does not parse.
        self.then: Callable[[bytes], Any] | None = None
        self.result: Any = None
        self.spent = False  # the call that asked has ended (kernel.fs.vfs.Restart.answer)


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
        self.node: Inode | None = None  # the served node (a subtree's root)
        self.placeholder: tuple[Any, str, Inode] | None = None

    @property
    def seekable(self) -> bool:
        return False

    # -- the client side --------------------------------------------------------------
    def submit(
        self,
        t: Thread | None,
        op: int,
        opener: File | None = None,
        who: tuple[int, int, int] | None = None,
        **fields: Any,
    ) -> Pending:
        """Queue a request from ``t``'s caller (None: the kernel, a spawn's open: then
        the ``opener`` file's credentials and process, as Linux's f_cred, if given, or
        ``who``: an euid, egid and pid).

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
        elif who is not None:
            uid, gid, pid = who
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
        bad = None
        if p.then is not None and not error:
            try:
                p.result = p.then(payload)
            except ValueError as exc:
                p.error = EIO
                bad = f"serve: malformed {p.req.name} answer: {exc}"
                self.fs.kernel.log(
                    f"served: pid {self.server_pid} ({self.path}) answered a {p.req.name}"
                    f" of pid {p.req.pid} with {exc}: EIO"
                )
        if p.wait:
            self.fs.kernel.wake_all(p.wait)
        if bad is not None:
            raise Error(EINVAL, bad)
        if not p.wait and p.req.opcode in OPENS and p.key is not None and not error:
            # closed before the answer came: give the handle back at once
            fh = int.from_bytes(payload[:8], "little") if len(payload) >= 8 else 0
            self.submit(None, OPENS[p.req.opcode], fh=fh, flags=p.key, nodeid=p.req.nodeid)
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
    """The file system of a served node or subtree (``served`` in /proc/mounts): the
    nodes the kernel knows by their server's node ids, and how many LOOKUPs of each it
    holds (given back with FORGET when no name or open file needs the node)."""

    fstype = "served"

    def __init__(self, dev: int, kernel: Any, channel: Channel) -> None:
        super().__init__(dev, kernel)
        self.channel = channel
        self.nodes: dict[int, Any] = {}  # node id -> ServedNode

    def maybe_forget(self, node: Any) -> None:
        """FORGET ``node`` if nothing holds it any more (no cached name, no open file, no
        working directory or root on it or below it)."""
        if node.dentries or node.opens or node.pins or node is self.root or not node.nlookup:
            return
        if self.nodes.get(node.nodeid) is node:
            del self.nodes[node.nodeid]
        ch = self.channel
        if ch.alive:
            ch.submit(None, OP_FORGET, nodeid=node.nodeid, offset=node.nlookup)
        node.nlookup = 0
        for name in list(getattr(node, "children", ())):  # a forgotten directory's names go
            node.drop(name)
