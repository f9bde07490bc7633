"""/proc's mount files: ``mounts`` and ``mountinfo`` in Linux's formats.

Both show a process's mount namespace as seen from its root directory (after
``chroot``, the mounts out of its sight are left out, as Linux's seq_path_root
does). ``/proc/mounts`` shows the namespace of whoever opens it (Linux's is a link to
``self/mounts``; here it stays a file whose content depends on the reader). The line
formats are proc(5)'s::

    /proc/mounts:    SOURCE TARGET FSTYPE OPTIONS 0 0
    mountinfo:       ID PARENT MAJ:MIN ROOT TARGET MNT-OPTS [shared:N] - FSTYPE SOURCE SUPER-OPTS

``kernel.fs.procmisc`` registers the files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kernel.fs.procfs import ProcFile
from kernel.fs.procmisc import LINUX_FSTYPES, LINUX_SOURCES, mount_line
from kernel.fs.procmisc import _escape as escape
from kernel.fs.vfs import PathWalk
from kernel.proc import Cred

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.fs.mount import Mount
    from kernel.kernel import Kernel

#: Options that belong to a mount (mountinfo's sixth field); the others (and rw/ro)
#: are the file system's (its super options).
MOUNT_OPTIONS = frozenset(
    {"rw", "ro", "nosuid", "nodev", "noexec", "relatime", "noatime", "nodiratime", "strictatime"}
)
ROOTFS_PARENT = 1  # the root's parent: Linux's hidden initial rootfs


def mountinfo_line(m: Mount, target: str) -> str:
    """One line of mountinfo for ``m`` mounted at ``target``."""
    dev = m.fs.dev
    major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF)
    minor = (dev & 0xFF) | ((dev >> 12) & ~0xFF)
    rw = "ro" if "ro" in m.options else "rw"
    mnt_opts = [rw] + [o for o in m.options if o in MOUNT_OPTIONS and o not in ("rw", "ro")]
    super_opts = [rw] + [o for o in m.options if o not in MOUNT_OPTIONS]
    optional = ""
    if m.shared:
        optional += f" shared:{m.shared}"
    if m.master:
        optional += f" master:{m.master}"
    parent = m.parent.mnt_id if m.parent is not None else ROOTFS_PARENT
    fstype = LINUX_FSTYPES.get(m.fs.fstype, m.fs.fstype)
    source = LINUX_SOURCES.get(m.source, m.source) or "none"
    return (
        f"{m.mnt_id} {parent} {major}:{minor} {escape(m.root_path)} {escape(target)} "
        f"{','.join(mnt_opts)}{optional} - {fstype} {escape(source)} {','.join(super_opts)}\n"
    )


def visible(k: Kernel, proc: Any) -> list[tuple[Mount, str]]:
    """The mounts of ``proc``'s namespace (the machine's for None) that its root
    reaches, with their paths from that root, in mount order."""
    cred = proc.cred if proc is not None else Cred()
    walk = PathWalk(k.root_ns, cred, k.root_ns.root, proc)
    out = []
    for m in walk.ns.mounts:
        path = walk.path_in(m.root, m)
        if path is not None:
            out.append((m, path))
    return out


def mounts_text(k: Kernel, proc: Any) -> str:
    """/proc/<pid>/mounts (and /proc/mounts for the reader)."""
    return "".join(mount_line(m, path) for m, path in visible(k, proc))


def mountinfo_text(k: Kernel, proc: Any) -> str:
    """/proc/<pid>/mountinfo."""
    return "".join(mountinfo_line(m, path) for m, path in visible(k, proc))


class ReaderFile(ProcFile):
    """A /proc file whose content depends on the process opening it."""

    __slots__ = ("gen_for",)

    def __init__(self, fs: Any, gen_for: Callable[[Any], str]) -> None:
        super().__init__(fs, lambda: gen_for(None))
        self.gen_for = gen_for

    def open(self, t: Any, f: File) -> None:
        f.private = self.gen_for(t.proc if t is not None else None).encode()
