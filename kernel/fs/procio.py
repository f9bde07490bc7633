"""What /proc's I/O files say: ``/proc/<pid>/fdinfo/<fd>`` and ``/proc/diskstats``.

Both in Linux's formats (fs/proc/fd.c's seq_show, block/genhd.c's diskstats_show), so
tools written for Linux read them: psutil, procps's ``vmstat -d``, sysstat's iostat.
An fdinfo file's first four lines are the open file description's (``pos``, ``flags``
with ``O_CLOEXEC`` when the descriptor has close-on-exec, ``mnt_id``, ``ino``); the
file's inode adds lines of its own through ``Inode.fdinfo(f)`` (a ring shows its queues
there). ``kernel.fs.procfs`` owns the nodes that call these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import ENOENT, O_CLOEXEC, O_NOCTTY, Error

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.kernel import Kernel
    from kernel.proc import Process


def mount_id(k: Kernel, f: File, ns: Any = None) -> int:
    """The id of the mount holding ``f``'s file in mount namespace ``ns`` (the root
    one if None; a served node is mounted in its server's namespace only), 0 when
    mounts have no ids (or the file is on no mount: a pipe, a ring)."""
    fs = f.inode.fs
    for m in (ns or k.root_ns).mounts:
        if m.fs is fs:
            return int(getattr(m, "mnt_id", 0))
    return 0


def diskstats_line(major: int, minor: int, name: str, fields: list[int]) -> str:
    """One /proc/diskstats line: Linux's ``"%4d %7d %s"`` then the 17 counters."""
    return f"{major:4d} {minor:7d} {name} " + " ".join(map(str, fields)) + "\n"


class ProcIo:
    """The generators of /proc's I/O files, for one kernel (``self.k``)."""

    k: Kernel

    def fdinfo_text(self, proc: Process, fd: int) -> str:
        """/proc/<pid>/fdinfo/<fd>: ``pos``, ``flags`` (octal with a leading 0, as
        Linux's ``0%o``), ``mnt_id``, ``ino``, then the inode's own lines.

        Raises:
            Error: ENOENT if ``fd`` is not open (any more).
        """
        f = proc.fds.files.get(fd)
        if f is None:
            raise Error(ENOENT)
        flags = f.flags & ~O_NOCTTY  # open(2) keeps no O_NOCTTY in f_flags, as Linux
        if fd in proc.fds.cloexec:
            flags |= O_CLOEXEC
        text = (
            f"pos:\t{f.pos}\nflags:\t0{flags:o}\nmnt_id:\t{mount_id(self.k, f, proc.mnt_ns)}\n"
            f"ino:\t{f.inode.ino}\n"
        )
        return text + f.inode.fdinfo(f)

    def diskstats(self) -> str:
        """/proc/diskstats: one line per block device, by minor number."""
        now = self.k.now()
        devices = sorted(getattr(self.k, "block", {}).values(), key=lambda d: (d.major, d.minor))
        return "".join(
            diskstats_line(d.major, d.minor, d.name, d.stats.fields(now)) for d in devices
        )
