"""A machine's /proc copied byte for byte to a host directory, for real Linux clients.

:func:`dump_proc` walks /proc with the host client and copies files, links and
directories (psutil reads the copy with ``PROCFS_PATH``; procps, psmisc, lsof and htop
read it bind-mounted on /proc in a private mount namespace). :func:`zoo` boots a
machine with every kind of process those clients must show: a stopped one (SIGSTOP), a
zombie (exited, its parent not waiting yet), one with 3 threads and one of another user.
Shared by tests/kernel/test_proc_clients.py, test_proc_psutil.py and
tests/bench/proc_tools.py.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from ksim import MS, SECOND, image, machine, register

from kernel.abi import (
    O_CLOEXEC,
    O_CREAT,
    O_RDONLY,
    O_TRUNC,
    O_WRONLY,
    S_ISDIR,
    S_ISLNK,
    SIGSTOP,
    Error,
    SpawnAttr,
)
from kernel.host import HostClient
from kernel.imagetypes import FileSpec
from kernel.kernel import HALTED, Kernel
from userland.libk import sys

#: The other user of the zoo (uid and gid), as in the default image's /etc/passwd.
OTHER_UID = 1000
#: The dump keeps the machine's owners when the host lets it (root).
CHOWN = hasattr(os, "geteuid") and os.geteuid() == 0
#: The zoo's optional script (an image file), where it writes (stdout and stderr),
#: and the file it makes when done.
OWN_SCRIPT = "/root/zoo.sh"
OWN_OUTPUT = "/tmp/zoo.out"
OWN_DONE = "/tmp/zoo.done"


def dump_proc(host: HostClient, src: str, dst: Path) -> list[str]:
    """Copy /proc's tree (files, links, directories) to ``dst``; ``mem`` is left out.

    A file the machine refuses to read (a zombie's ``environ``, ...) is left out too, as
    a client would find it gone; the paths left out so are returned. Run as root, the
    copy keeps the owners (procps takes a process's euid from its directory's owner);
    modes are not kept (a host symlink is always 0777, so lsof cannot see fd modes)."""
    refused: list[str] = []
    dst.mkdir(parents=True, exist_ok=True)
    for name in host.listdir(src):
        path = f"{src}/{name}"
        try:
            st = host.lstat(path)
            if S_ISLNK(st.st_mode):
                os.symlink(host.readlink(path), dst / name)
            elif S_ISDIR(st.st_mode):
                refused += dump_proc(host, path, dst / name)
            elif name != "mem":
                (dst / name).write_bytes(host.read_file(path))
            else:
                continue
        except Error:
            refused.append(path)
            continue
        if CHOWN:
            os.lchown(dst / name, st.st_uid, st.st_gid)
    return refused


def snapshot(k: Kernel, root: Path, self_pid: int) -> list[str]:
    """Dump ``k``'s /proc to ``root``, with ``self`` and ``thread-self`` naming
    ``self_pid`` (the host client is no process). Returns the paths left out."""
    refused = dump_proc(HostClient(k), "/proc", root)
    for name, target in (("self", str(self_pid)), ("thread-self", f"{self_pid}/task/{self_pid}")):
        link = root / name
        if link.is_symlink():  # the machine's own links only
            link.unlink()
            link.symlink_to(target)
    return refused


# ---------------------------------------------------------------------- the zoo
async def _threads(argv: list[str]) -> int:
    """A process of 3 threads: the leader and two that sleep."""

    async def napper(_arg: object) -> int:
        await sys.nanosleep(100 * SECOND)
        return 0

    for _ in range(2):
        await sys.thread_spawn(napper, None)
    await sys.nanosleep(100 * SECOND)
    return 0


THREADS = register(_threads)


@dataclass
class Zoo:
    """The zoo's pids: the parent (``self``), and its children by kind."""

    kernel: Kernel
    parent: int
    stopped: int
    zombie: int
    threaded: int
    other: int


async def _zoo(argv: list[str]) -> int:
    """Spawn the zoo and wait with /etc/hostname open (read only) on fd 3. With an
    argument (a script's path), first run it with sh (output to OWN_OUTPUT, then
    OWN_DONE made)."""
    other = SpawnAttr(uid=OTHER_UID, gid=OTHER_UID)
    await sys.spawn("/bin/sleep", ["sleep", "100"], None, "/", [], other)
    stopped = await sys.spawn("/bin/sleep", ["sleep", "200"], None, None, [], SpawnAttr())
    await sys.kill(stopped, SIGSTOP)
    await sys.spawn(THREADS, ["threads"], None, None, [], SpawnAttr())
    await sys.spawn("/bin/true", ["true"], None, None, [], SpawnAttr())
    await sys.open("/etc/hostname", O_RDONLY)
    if len(argv) > 1:
        out = await sys.open(OWN_OUTPUT, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        acts = [("dup2", out, 1), ("dup2", out, 2)]
        sh = await sys.spawn("/bin/sh", ["sh", argv[1]], None, None, acts, SpawnAttr())
        await sys.wait4(sh, 0)
        await sys.close(out)
        await sys.close(await sys.open(OWN_DONE, O_WRONLY | O_CREAT, 0o644))
    await sys.nanosleep(100 * SECOND)
    return 0


ZOO = register(_zoo)


def zoo(script: str | None = None) -> Zoo:
    """Boot the zoo and run it until every member is in its state (50 ms), and
    ``script`` (a shell script's text), if given, has run."""
    if script is None:
        k = machine([ZOO])
    else:
        info = image()
        files = (*info.files, FileSpec(OWN_SCRIPT, "file", script.encode()))
        k = machine([ZOO, OWN_SCRIPT], info=dataclasses.replace(info, files=files))
    k.run(until=50 * MS)
    host = HostClient(k)
    for _ in range(200 if script is not None else 0):
        try:
            host.lstat(OWN_DONE)
            break
        except Error:
            if k.run(until=k.now() + 50 * MS) == HALTED:
                break
    parent = next(p for p in k.procs.procs.values() if p.argv[:1] == [ZOO])
    kids = sorted(p.pid for p in k.procs.procs.values() if p.ppid == parent.pid)
    other, stopped, threaded, zombie = kids
    return Zoo(k, parent.pid, stopped, zombie, threaded, other)
