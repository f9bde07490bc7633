"""Where AF_UNIX sockets are found: a kernel's socket registry, names in the file
system (an ``s`` inode that bind(2) makes and connect(2) needs write permission on;
it stays after the socket closes, as on Linux, until unlinked) and the abstract
namespace (``b"\\0name"``: a kernel table; the name goes with its socket).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EACCES,
    EADDRINUSE,
    ECONNREFUSED,
    EINVAL,
    ENOENT,
    ENXIO,
    EPROTOTYPE,
    S_IFSOCK,
    UNIX_PATH_MAX,
    Error,
    is_abstract,
)
from kernel.fs.vfs import Inode, PathWalk, permitted, require
from kernel.net.unix import SockFS, UnixSocket

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.fs.vfs import FileSystem
    from kernel.kernel import Kernel


class SockNameInode(Inode):
    """A socket's name in a directory (``S_IFSOCK``); ``bound`` is the socket that
    bound it while that socket lives. Opening one fails with ENXIO, as on Linux."""

    __slots__ = ("bound",)

    def __init__(self, fs: FileSystem, mode: int, uid: int = 0, gid: int = 0) -> None:
        super().__init__(fs, S_IFSOCK | (mode & 0o7777), uid, gid)
        self.bound: UnixSocket | None = None

    def open(self, t: Any, f: File) -> None:
        raise Error(ENXIO)

    @property
    def seekable(self) -> bool:
        return False


class UnixNet:
    """One kernel's AF_UNIX state: the socket file system, every live socket (by
    inode number, in creation order: /proc/net/unix) and the abstract namespace."""

    def __init__(self, k: Kernel) -> None:
        from kernel.fs.fsinit import _dev

        self.k = k
        self.fs = SockFS(_dev(k), k)
        self.sockets: dict[int, UnixSocket] = {}
        self.abstract: dict[bytes, UnixSocket] = {}
        self._autobind = 0

    def unbind(self, sock: UnixSocket) -> None:
        """Forget a closing socket's abstract name; its file-system name stays."""
        name = sock.name
        if isinstance(name, bytes) and self.abstract.get(name) is sock:
            del self.abstract[name]
        node = sock.name_inode
        if node is not None and node.bound is sock:
            node.bound = None

    def bind(self, sock: UnixSocket, walk: PathWalk, addr: str | bytes, umask: int) -> None:
        """Give ``sock`` the name ``addr`` (``""``: an abstract name of its own, as
        Linux's autobind).

        Raises:
            Error: EINVAL (already bound, a malformed name), EADDRINUSE, ENOENT,
                EACCES, ENOTDIR...
        """
        if sock.name is not None:
            raise Error(EINVAL)
        if not addr:
            addr = self.autoname()
        check_address(addr)
        if isinstance(addr, bytes):
            if addr in self.abstract:
                raise Error(EADDRINUSE)
            self.abstract[addr] = sock
            sock.name = addr
            return
        parent, name = walk.resolve_parent(addr)
        if name in (".", "..") or name in getattr(parent, "children", {}):
            raise Error(EADDRINUSE)
        cred = walk.cred
        require(parent, cred, 3)
        node = parent.make_child("socket", name, 0o777 & ~umask, cred.euid, cred.egid)
        node.bound = sock  # type: ignore[attr-defined]
        sock.name = addr
        sock.name_inode = node

    def autoname(self) -> bytes:
        """A free abstract name: NUL and five hex digits, as Linux's autobind."""
        while True:
            self._autobind = (self._autobind + 1) & 0xFFFFF
            name = b"\0%05x" % self._autobind
            if name not in self.abstract:
                return name

    def lookup(self, walk: PathWalk, addr: str | bytes, type_: int) -> UnixSocket:
        """The live socket named ``addr``, of type ``type_`` (connect, sendto).

        Raises:
            Error: ENOENT (no such name), EACCES (no write permission on it),
                ECONNREFUSED (not a socket, or nobody there), EPROTOTYPE (another type).
        """
        check_address(addr)
        if isinstance(addr, bytes):
            sock = self.abstract.get(addr)
            if sock is None:
                raise Error(ECONNREFUSED)
        else:
            node = walk.resolve(addr)
            if not permitted(node, walk.cred, 2):
                raise Error(EACCES)
            if not isinstance(node, SockNameInode):
                raise Error(ECONNREFUSED)
            found = node.bound
            if found is None or found.closed:
                raise Error(ECONNREFUSED)
            sock = found
        if sock.type != type_:
            raise Error(EPROTOTYPE)
        return sock


def check_address(addr: Any) -> None:
    """An AF_UNIX address: a path (str) or an abstract name (bytes from NUL) that fits
    sun_path (108 bytes; a path with its NUL).

    Raises:
        Error: EINVAL otherwise; ENOENT for an empty path.
    """
    if isinstance(addr, str):
        if not addr:
            raise Error(ENOENT)
        if "\0" in addr or len(addr.encode()) >= UNIX_PATH_MAX:
            raise Error(EINVAL)
        return
    if not is_abstract(addr) or len(addr) > UNIX_PATH_MAX:
        raise Error(EINVAL)


def net_of(k: Kernel) -> UnixNet:
    """The kernel's AF_UNIX state, made on first use."""
    net = getattr(k, "unix_net", None)
    if net is None:
        net = k.unix_net = UnixNet(k)  # type: ignore[attr-defined]
    return net
