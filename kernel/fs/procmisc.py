"""The /proc files that Linux tools open besides the process and memory files.

Per process: ``io`` (Linux's task_io_accounting: bytes and calls of read-like and
write-like system calls; ``read_bytes``/``write_bytes`` are the storage layer's, which
libk does not count per process, so 0), ``mounts`` and ``mountinfo`` (the process's
mount namespace: ``kernel.fs.procmounts``), ``root`` (a link to its root directory),
``cgroup`` (``0::/``: cgroup v2, one hierarchy, everything at its root) and ``ns/`` (a
link per namespace, ``mnt:[4026531840]``: the mount namespace's number is its own, the
others are Linux's initial namespaces'). Machine-wide: ``mounts`` (the reader's
namespace's), ``tty/drivers`` (the
tty drivers as Linux lists them; ps maps terminal numbers to names with it), ``locks``
(the file locks held: none, libk has no file locks) and the string sysctls
``/proc/sys/kernel/{pid_max,osrelease,ostype,hostname}``. It also says which mode bits a
``fd/N`` link has: Linux encodes the open mode there (0500 read, 0300 write, 0700 both),
and lsof reads it.

``kernel.fs.procfs`` registers these; the generators are here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EACCES,
    EINVAL,
    ENOENT,
    EPERM,
    O_ACCMODE,
    O_RDONLY,
    O_WRONLY,
    S_IFREG,
    Error,
)
from kernel.fs.procmem import may_access
from kernel.fs.procvm import parse_sysctl
from kernel.fs.vfs import Inode
from kernel.proc import ALIVE, Process

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.fs.mount import Mount
    from kernel.kernel import Kernel

#: Linux's inode numbers of its initial namespaces (include/linux/proc_ns.h; mnt and
#: net are allocated at boot, and these are the numbers a machine usually shows).
NS_INODES = {
    "cgroup": 4026531835,
    "ipc": 4026531839,
    "mnt": 4026531840,
    "net": 4026531992,
    "pid": 4026531836,
    "user": 4026531837,
    "uts": 4026531838,
}
#: /proc/mounts' names for libk's file-system types where Linux's differ.
LINUX_FSTYPES = {"devfs": "devtmpfs", "procfs": "proc"}
#: ... and for the sources the machine file names after libk's types.
LINUX_SOURCES = {"devfs": "devtmpfs", "procfs": "proc"}
PID_MAX_LIMIT = 4 * 1024 * 1024  # Linux's limit on 64-bit machines
RESERVED_PIDS = 300
HOST_NAME_MAX = 64
TTY_INO_BASE = (1 << 30) + 8192  # /proc/tty and what is under it (after /proc/sys's)


def _escape(field: str) -> str:
    """A /proc/mounts field with Linux's octal escapes (space, tab, newline, ``\\``)."""
    for ch in "\\ \t\n":
        field = field.replace(ch, f"\\{ord(ch):03o}")
    return field


def mount_line(m: Mount, target: str | None = None) -> str:
    """One line of /proc/mounts: source, target (the mount's own by default), type,
    options, ``0 0``."""
    fstype = LINUX_FSTYPES.get(m.fs.fstype, m.fs.fstype)
    source = LINUX_SOURCES.get(m.source, m.source)
    where = m.target if target is None else target
    return f"{_escape(source)} {_escape(where)} {fstype} {','.join(m.options)} 0 0\n"


def fd_link_mode(f: File) -> int:
    """The permission bits of a /proc/<pid>/fd/N link, as Linux's proc_fd_link sets them:
    read gives ``r-x``, write ``-wx`` (for the owner)."""
    acc = f.flags & O_ACCMODE
    mode = 0
    if acc != O_WRONLY:
        mode |= 0o500
    if acc != O_RDONLY:
        mode |= 0o300
    return mode


def io_text(proc: Process) -> str:
    """/proc/<pid>/io: Linux's seven ``name: value`` lines."""
    return (
        f"rchar: {proc.rchar}\nwchar: {proc.wchar}\nsyscr: {proc.syscr}\n"
        f"syscw: {proc.syscw}\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n"
    )


def _drivers_line(driver: str, name: str, major: int, minors: str, kind: str) -> str:
    return f"{driver:<20} /dev/{name:<8} {major:>3} {minors:>7} {kind}\n"


def tty_drivers() -> str:
    """/proc/tty/drivers as Linux's show_tty_driver prints it: the pseudo-drivers
    (/dev/tty, /dev/console, /dev/ptmx), then the pty and serial drivers."""
    return (
        _drivers_line("/dev/tty", "tty", 5, "0", "system:/dev/tty")
        + _drivers_line("/dev/console", "console", 5, "1", "system:console")
        + _drivers_line("/dev/ptmx", "ptmx", 5, "2", "system")
        + _drivers_line("pty_slave", "pts", 136, "0-1048575", "pty:slave")
        + _drivers_line("pty_master", "ptm", 128, "0-1048575", "pty:master")
        + _drivers_line("serial", "ttyS", 4, "64-95", "serial")
    )


class NsInode(Inode):
    """A namespace's inode (Linux's nsfs): what ``ns/mnt`` leads to. An open descriptor
    on a mount namespace's keeps that namespace alive (for setns(2))."""

    __slots__ = ("mnt_ns",)

    def open(self, t: Any, f: File) -> None:
        if self.mnt_ns is not None:
            self.mnt_ns.hold(1)

    def release(self, f: File) -> None:
        if self.mnt_ns is not None:
            self.mnt_ns.hold(-1)


def ns_inode(fs: Any, ino: int, ns: Any = None) -> Inode:
    """The inode a namespace link leads to: read-only, numbered ``ino`` (Linux's nsfs
    inode; ``stat`` of the link shows the number); ``ns``: the mount namespace it
    stands for (setns(2) takes a descriptor open on it)."""
    node = NsInode(fs, S_IFREG | 0o444)
    node.ino = ino
    node.mnt_ns = ns
    return node


class ProcMisc:
    """The generators and nodes of this module's files, for one kernel (``self.k``);
    mixed into :class:`~kernel.fs.procfs.ProcFS`."""

    k: Kernel
    _file: Callable[..., Any]

    # ------------------------------------------------------------------ per process
    def misc_pid_files(self, proc: Process) -> dict[str, Callable[[], Inode]]:
        """``io``, ``mounts``, ``root``, ``cgroup`` and ``ns/`` of one process."""
        from kernel.fs.procfs import ProcLink

        uid = proc.cred.euid

        def gate(t: Any) -> None:
            if not may_access(t.proc.cred, proc):
                raise Error(EACCES)

        def root(caller: Any) -> str:
            _ptrace_check(caller, proc)
            if proc.state != ALIVE:
                raise Error(ENOENT)
            if proc.fs_root is None:
                return "/"
            from kernel.fs.mount import namespace
            from kernel.fs.vfs import PathWalk

            mnt, directory = proc.fs_root
            ns = namespace(proc, self.k.root_ns)
            return PathWalk(ns, proc.cred, ns.root).path_of(directory, mnt)

        return {
            "io": lambda: self._file(lambda: io_text(proc), 0o400, uid, gate=gate),
            "mounts": lambda: self._file(lambda: self._pid_mounts(proc), uid=uid),
            "mountinfo": lambda: self._file(lambda: self._pid_mounts(proc, True), uid=uid),
            "root": lambda: ProcLink(self, root, None, uid),  # type: ignore[arg-type]
            "cgroup": lambda: self._file(lambda: "0::/\n", uid=uid),
            "ns": lambda: self._ns_dir(proc),
        }

    def _pid_mounts(self, proc: Process, info: bool = False) -> str:
        """/proc/<pid>/mounts (``info``: mountinfo): its mount namespace's mounts seen
        from its root (EINVAL for a zombie, which has none, as on Linux)."""
        from kernel.fs.procmounts import mountinfo_text, mounts_text

        if proc.state != ALIVE:
            raise Error(EINVAL)
        return (mountinfo_text if info else mounts_text)(self.k, proc)

    def _ns_dir(self, proc: Process) -> Inode:
        """``ns/``: one link per namespace, mode 0511 as Linux's."""
        from kernel.fs.procfs import ProcDir, ProcLink

        names = sorted(NS_INODES)
        nodes: dict[str, Inode] = {}  # the namespaces' inodes, made when first followed

        def link(name: str) -> Inode:
            ino = NS_INODES[name]

            def target(caller: Any) -> str:
                _ptrace_check(caller, proc)
                if proc.state != ALIVE:
                    raise Error(ENOENT)
                if name == "mnt":
                    return f"mnt:[{self._mnt_ns(proc).ino}]"
                return f"{name}:[{ino}]"

            def inode(caller: Any) -> Inode:
                target(caller)
                if name == "mnt":
                    ns = self._mnt_ns(proc)
                    if ns.nsfs is None:
                        ns.nsfs = ns_inode(self, ns.ino, ns)
                    return ns.nsfs  # type: ignore[no-any-return]
                node = nodes.get(name)
                if node is None:
                    node = nodes[name] = ns_inode(self, ino)
                return node

            return ProcLink(self, target, inode, proc.cred.euid)  # type: ignore[arg-type]

        def lookup(name: str) -> Inode | None:
            return link(name) if name in NS_INODES else None

        uid, gid = proc.cred.euid, proc.cred.egid
        return ProcDir(self, None, "", lambda: names, lookup, 0o511, uid, gid)  # type: ignore[arg-type]

    def _mnt_ns(self, proc: Process) -> Any:
        from kernel.fs.mount import namespace

        return namespace(proc, self.k.root_ns)

    # ------------------------------------------------------------------ machine-wide
    def misc_globals(self) -> dict[str, Callable[[], Inode]]:
        """``mounts`` (the reader's namespace's), ``tty/`` (with ``drivers``), ``locks``
        and ``net/`` (``kernel.net.procnet``)."""
        from kernel.fs.procmodules import modules_text
        from kernel.fs.procmounts import ReaderFile, mounts_text
        from kernel.net.procnet import net_dir

        return {
            "mounts": lambda: ReaderFile(self, lambda proc: mounts_text(self.k, proc)),
            "tty": self._tty_dir,
            "locks": lambda: self._file(lambda: ""),
            "modules": lambda: self._file(lambda: modules_text(self.k)),
            "net": lambda: net_dir(self),
        }

    def _tty_dir(self) -> Inode:
        """``tty/``, made once (its inode numbers never change)."""
        from kernel.fs.procfs import ProcDir

        d = getattr(self, "_tty", None)
        if d is None:
            drivers = self._file(tty_drivers)
            drivers.ino = TTY_INO_BASE + 1
            entries = {"drivers": drivers}
            d = ProcDir(self, None, "", lambda: list(entries), entries.get)  # type: ignore[arg-type]
            self._tty = d
        return d

    def misc_sysctls(self) -> list[tuple[str, Callable[[], str], Callable[[bytes], None] | None]]:
        """The sysctls beside the numeric ones: (path under /proc/sys, read, write or
        None for a read-only one). A write's bytes come as written."""
        from kernel.kernel import RELEASE

        k = self.k

        def pid_max(data: bytes) -> None:
            value = parse_sysctl(data)
            if not RESERVED_PIDS < value <= PID_MAX_LIMIT:
                raise Error(EINVAL)
            k.procs.pid_max = value

        def hostname(data: bytes) -> None:
            # Linux's proc_dostring: up to the first newline, cut at the buffer's size.
            name = data.split(b"\n", 1)[0].split(b"\0", 1)[0][:HOST_NAME_MAX]
            k.hostname = name.decode(errors="replace")

        return [
            ("kernel/pid_max", lambda: str(k.procs.pid_max), pid_max),
            ("kernel/osrelease", lambda: RELEASE, None),
            ("kernel/ostype", lambda: "libk", None),  # uname's sysname, as on Linux
            ("kernel/hostname", lambda: k.hostname, hostname),
        ]

    def add_misc_sysctls(self, subdirs: dict[str, dict[str, Inode]], ino: Iterator[int]) -> None:
        """Put :meth:`misc_sysctls`' files into /proc/sys's ``subdirs``, numbered from
        ``ino``."""
        for path, text, store in self.misc_sysctls():
            sub, name = path.split("/")

            def put(t: Any, f: File, data: bytes, store: Any = store) -> int:
                return self.misc_sysctl_write(t, f, data, store)

            mode = 0o644 if store is not None else 0o444
            node = self._file(lambda text=text: f"{text()}\n", mode, put=put)
            node.ino = next(ino)
            subdirs.setdefault(sub, {})[name] = node

    def misc_sysctl_write(
        self, t: Any, f: File, data: bytes, put: Callable[[bytes], None] | None
    ) -> int:
        """A write to one of :meth:`misc_sysctls`: root only; the first write at the
        start of the file takes effect, as Linux's strict sysctl writes.

        Raises:
            Error: EACCES (read-only), EPERM (not root), EINVAL (a bad value).
        """
        if put is None:
            raise Error(EACCES)
        if t is not None and not t.proc.cred.is_root:
            raise Error(EPERM)
        if f.pos == 0 and data:
            put(data)
        f.pos += len(data)
        return len(data)


def _ptrace_check(caller: Any, proc: Process) -> None:
    """Linux lets only the owner or root read ``root`` and ``ns/`` links (the host
    client, which is no process, reads everything)."""
    if caller is not None and not may_access(caller.cred, proc):
        raise Error(EACCES)
