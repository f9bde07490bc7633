"""Served trees: the directories and symbolic links below a served directory.

A subtree served with ``SERVE_DIR`` (``kernel.sysserve``) has a :class:`ServedDir` at
its root. Each name a path walk meets in it is a LOOKUP whose answer (a node id, its
type and attributes) makes or finds the node — a :class:`ServedDir`, a
:class:`ServedLink`, or a ``kernel.fs.servednode.ServedInode`` for files and devices —
and is cached for ``entry_valid``; getdents sends OPENDIR and READDIRs from the
server's offsets; a link's target is a READLINK. A call that must wait for an answer
raises :class:`~kernel.fs.vfs.Restart` (see ``kernel.fs.servednode``). Creating,
removing and renaming fail with EROFS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import (
    DT_DIR,
    EIO,
    ENOENT,
    EROFS,
    S_IFCHR,
    S_IFDIR,
    S_IFLNK,
    S_IFMT,
    S_IFREG,
    Dirent,
    Error,
)
from kernel.abi.serve import (
    OP_LOOKUP,
    OP_OPENDIR,
    OP_READDIR,
    OP_READLINK,
    OP_RELEASEDIR,
    SERVE_CHR,
    SERVE_FILE,
    SERVE_ROOT_ID,
    Attr,
    name_payload,
    unpack_dirents,
    unpack_entry,
)
from kernel.fs.servednode import (
    KERNEL,
    NODE_SLOTS,
    READDIR_SIZE,
    Handle,
    ServedInode,
    ServedNode,
    taken,
)
from kernel.fs.vfs import DirInode, Inode, Restart

_MS = 1_000_000

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.fs.served import Channel, Pending, ServedFS
    from kernel.proc import Cred
    from kernel.thread import Thread


class ServedLink(ServedNode, Inode):
    """A symbolic link in a served tree: READLINK, cached with the attributes."""

    __slots__ = NODE_SLOTS + ("target", "target_expires", "link_wait")

    def __init__(self, fs: ServedFS, channel: Channel, nodeid: int) -> None:
        Inode.__init__(self, fs, S_IFLNK | 0o777)
        self._served_init(channel, nodeid)
        self.target = ""
        self.target_expires = 0
        self.link_wait: Pending | None = None

    def readlink(self) -> str:
        return self._target(KERNEL)

    def readlink_for(self, proc: Any) -> str:
        if proc is None:
            return self._target(KERNEL)
        return self._target((proc.cred.euid, proc.cred.egid, proc.pid))

    def _target(self, who: tuple[int, int, int]) -> str:
        p = taken(self.link_wait, self.fs.kernel.now())
        if p is not None:
            if p.error:
                raise Error(p.error)
            return p.result
        if self.fs.kernel.now() < self.target_expires:
            return self.target
        self._ask("link_wait", OP_READLINK, who, self._link_answer)

    def _link_answer(self, payload: bytes) -> str:
        if not payload or b"\0" in payload or len(payload) >= 4096:
            raise ValueError("a link target must be 1 to 4095 bytes without NUL")
        self.target = payload.decode(errors="surrogateescape")
        self.target_expires = self.attr_expires  # (as long as the attributes)
        return self.target


class ServedDir(ServedNode, DirInode):
    """A directory of a served tree: names are LOOKUPs, entries READDIRs.

    ``children`` caches the names looked up, each valid until ``valid[name]``;
    ``lookups`` holds the LOOKUPs in flight by name (callers asking for the same name
    wait for the same answer).
    """

    __slots__ = NODE_SLOTS + ("valid", "lookups")

    op_open = OP_OPENDIR
    op_release = OP_RELEASEDIR

    def __init__(
        self,
        fs: ServedFS,
        channel: Channel,
        nodeid: int,
        mode: int,
        uid: int,
        gid: int,
        parent: DirInode | None = None,
        name: str = "",
    ) -> None:
        DirInode.__init__(self, fs, mode, uid, gid, parent, name)
        self._served_init(channel, nodeid)
        self.size_ = 4096
        self.valid: dict[str, int] = {}
        self.lookups: dict[str, Pending] = {}

    def hold(self, n: int) -> None:
        """A working directory or root moved onto or off this directory, or a held one
        below it appeared or went: while held, it is not forgotten, and it holds its
        parent (``..`` from a held directory asks with the parent's node id)."""
        self.pins += n
        if self.pins == (1 if n > 0 else 0) and self.parent is not None:
            self.parent.hold(n)
        if not self.pins:
            self.fs.maybe_forget(self)

    # -- names ---------------------------------------------------------------------------
    def lookup(self, name: str) -> Inode:
        return self._lookup(KERNEL, name)

    def lookup_as(self, cred: Cred, pid: int, name: str) -> Inode:
        return self._lookup((cred.euid, cred.egid, pid), name)

    def _lookup(self, who: tuple[int, int, int], name: str) -> Inode:
        now = self.fs.kernel.now()
        p = taken(self.lookups.get(name), now)
        if p is not None:  # the answer a restarted walk comes back for (kept till it ends)
            if p.error:
                if p.error == ENOENT:
                    self.drop(name)
                raise Error(p.error)
            p.result.grace = True
            return p.result
        child = self.children.get(name)
        if child is not None and now < self.valid[name]:
            return child
        p = self.lookups.get(name)
        if p is None or p.done:
            p = self.channel.submit(
                None, OP_LOOKUP, who=who, nodeid=self.nodeid, payload=name_payload(name)
            )
            p.then = lambda payload: self._entered(name, payload)
            self.lookups[name] = p
        try:
            self._wait(p)
        except Restart:
            raise
        except Error:
            del self.lookups[name]
            raise

    def _entered(self, name: str, payload: bytes) -> Inode:
        """Cache the LOOKUP answer for ``name``: its node (known or new) and how long."""
        nodeid, entry_ms, attr_ms, attr = unpack_entry(payload)
        if nodeid == SERVE_ROOT_ID:
            raise ValueError("node id 1 is the served directory itself")
        fs = self.fs
        node = fs.nodes.get(nodeid)
        if node is not None and node.mode & S_IFMT != attr.mode & S_IFMT:
            del fs.nodes[nodeid]  # (the server reused the id for another type)
            node = None
        if node is None:
            node = self._make(nodeid, attr)
            fs.nodes[nodeid] = node
        node.nlookup += 1
        node.apply(attr, attr_ms)
        if self.children.get(name) is not node:
            self.drop(name)
            self.children[name] = node
            node.dentries += 1
        if isinstance(node, ServedDir):
            old, node.parent, node.name = node.parent, self, name
            if node.pins and old is not self:  # (held below: the hold moves with it)
                self.hold(1)
                if old is not None:
                    old.hold(-1)
        self.valid[name] = fs.kernel.now() + entry_ms * _MS
        return node

    def _make(self, nodeid: int, attr: Attr) -> Any:
        ftype = attr.mode & S_IFMT
        ch = self.channel
        if ftype == S_IFDIR:
            return ServedDir(self.fs, ch, nodeid, attr.mode, attr.uid, attr.gid, self)
        if ftype == S_IFLNK:
            return ServedLink(self.fs, ch, nodeid)
        if ftype in (S_IFREG, S_IFCHR):
            kind = SERVE_CHR if ftype == S_IFCHR else SERVE_FILE
            return ServedInode(self.fs, ch, kind, attr.mode, attr.uid, attr.gid, nodeid)
        raise ValueError(f"type {ftype:o} (served trees hold directories, files, devices, links)")

    def drop(self, name: str) -> None:
        """Forget the cached name ``name`` (and its node, if nothing else holds it)."""
        old = self.children.pop(name, None)
        self.valid.pop(name, None)
        if old is not None:
            old.dentries -= 1  # type: ignore[attr-defined]
            self.fs.maybe_forget(old)

    # -- entries -------------------------------------------------------------------------
    def getdents(self, t: Thread, f: File) -> list[Dirent]:
        """The next entries (getdents(2)): ``.`` and ``..``, then READDIR's from the
        server's offset (``f.pos``) on; [] at the end."""
        h = self._ready(f, Restart)
        if h.eof:
            return []
        out: list[Dirent] = []
        if not h.dots:
            ns = getattr(t.proc, "mnt_ns", None) or self.fs.kernel.root_ns
            parent = ns.parent_of(self)
            out = [Dirent(self.ino, DT_DIR, "."), Dirent(parent.ino, DT_DIR, "..")]
        payload = self._call(
            t, f, OP_READDIR, ("d", f.pos), Restart, offset=f.pos, size=READDIR_SIZE
        )
        try:
            ents = unpack_dirents(payload)
        except ValueError as exc:
            self.fs.kernel.log(f"served: pid {self.channel.server_pid} READDIR: {exc}: EIO")
            raise Error(EIO) from None
        h.dots = True
        if not ents:
            h.eof = True
        else:
            f.pos = ents[-1][1]
        out += [Dirent(ino, dtype, name) for ino, _, dtype, name in ents]
        return out

    def rewind(self, f: File) -> None:
        h: Handle | None = f.private
        if h is not None:
            h.dots = f.pos != 0
            h.eof = False

    def list(self) -> list[tuple[str, Inode]]:
        return list(self.children.items())  # (the names cached; getdents asks)

    # -- no changes: EROFS ---------------------------------------------------------------
    def check_new(self, name: str) -> None:
        raise Error(EROFS)

    def check_rename(self) -> None:
        raise Error(EROFS)

    def remove(self, name: str) -> Inode:
        raise Error(EROFS)
