"""System calls of served paths: serve (mount a node a process answers) and
serve_timeout (how long its callers wait for an answer).

The served file system, the channel and the protocol's rules are
``kernel.fs.served``'s; the record layouts are ``kernel.abi.serve``'s. Who may serve a
path (FUSE's rule for unprivileged mounts, simplified): root anywhere; anyone else on a
node they own, or on a new name in a directory they may write (serve(2) creates an
empty placeholder there, and removes it again when the server goes). The node is
mounted in the caller's mount namespace only, as a FUSE mount: a process in another
namespace (``unshare -m`` before the serve) keeps seeing what was there.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from kernel.abi import EINVAL, EISDIR, ENOENT, EPERM, O_RDWR, Error
from kernel.abi.serve import SERVE_DIR, SERVE_KINDS
from kernel.fs.file import File
from kernel.fs.fsinit import _dev
from kernel.fs.mount import Mount
from kernel.fs.served import Channel, Restart, ServedFS, ServedInode
from kernel.fs.vfs import require
from kernel.sysfile import absolute, walker
from kernel.sysmount import ns_path

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread

_MS = 1_000_000


def sys_serve(k: Kernel, t: Thread, path: str, kind: int, mode: int) -> int:
    if kind == SERVE_DIR:  # (the walk cannot wait for a LOOKUP yet: man 7 served, LIMITS)
        raise Error(EINVAL, "serve: served directories are not supported yet")
    if kind not in SERVE_KINDS:
        raise Error(EINVAL, f"serve: unknown kind {kind}")
    proc = t.proc
    cred = proc.cred
    walk = walker(k, t)
    placeholder = None
    try:
        at = walk.resolve(path)
    except Error as err:
        if err.errno != ENOENT:
            raise
        parent, name = walk.resolve_parent(path)
        require(parent, cred, 3)
        if name in ("", ".", ".."):
            raise Error(EINVAL) from None
        at = parent.make_child("file", name, 0o600, cred.euid, cred.egid)
        placeholder = (parent, name, at)
    else:
        if at.is_dir:
            raise Error(EISDIR)
        if not cred.is_root and cred.euid != at.uid:
            raise Error(EPERM)
    full = absolute(walk, path)
    channel = Channel(k.pipefs, cred.euid, cred.egid, proc.pid, full)
    channel.placeholder = placeholder
    fs = ServedFS(_dev(k), k)
    node = ServedInode(fs, channel, kind, mode, cred.euid, cred.egid)
    fs.root = node  # type: ignore[assignment] - a file system of one file
    channel.node = node
    f = File(channel, O_RDWR, f"serve:[{channel.ino}]")
    try:
        mnt, at = walk.resolve_mount(path)
        where = walk.resolve_parent(path)
        target = ns_path(walk.ns, walk.ns.mount_of(where[0]), where[0]).rstrip("/")
        target += "/" + where[1]
        m = Mount(fs, "served", target, ("rw", "nosuid", f"server={proc.pid}"))
        m.mp_dir, m.mp_name = where
        walk.ns.add(m, mnt, at)
        fd = proc.fds.install(f)
    except Error:
        f.refs = 1
        f.put()  # (unmounts, removes the placeholder)
        raise
    k.log(f"served: pid {proc.pid} serves {target}")
    return fd


def sys_serve_timeout(k: Kernel, t: Thread, fd: int, ms: int) -> int:
    f = t.proc.fds.get(fd)
    channel = f.inode
    if not isinstance(channel, Channel):
        raise Error(EINVAL, "serve_timeout: not a served path's channel")
    if ms < 0:
        raise Error(EINVAL)
    old = channel.timeout_ns // _MS
    if ms:
        channel.timeout_ns = ms * _MS
    return old


# ------------------------------------------------------------- calls that start over


def restartable(entry: Callable[[Any, tuple[Any, ...]], Any]) -> Callable[..., Any]:
    """Wrap a system call entry so that a :class:`~kernel.fs.served.Restart` raised
    before its first sleep (a path walk into a served tree, a stat of a served node)
    makes the call sleep and start over, as Linux restarts a call after ERESTARTSYS.
    The dispatcher sees an ordinary blocking call (``kernel.kernel.Blocked``); a signal
    in the sleep ends the call with EINTR, the sleep's deadline (the server's timeout)
    lets the restarted walk see the EIO."""
    from kernel.kernel import Blocked

    def wrapped(t: Any, a: tuple[Any, ...]) -> Any:
        try:
            return entry(t, a)
        except Restart as r:
            gen = _restart(entry, t, a, r.sleep)
            raise Blocked(gen, gen.send(None)) from None

    wrapped.__dict__.update(entry.__dict__)  # (name, spec)
    return wrapped


def _restart(entry: Callable[..., Any], t: Any, a: tuple[Any, ...], sleep: Any) -> Generator:
    from kernel.kernel import Blocked

    while True:
        yield sleep
        try:
            return entry(t, a)
        except Restart as r:
            sleep = r.sleep
        except Blocked as blk:  # started over and blocked for its own reasons: go on
            return (yield from _drive(blk.gen, blk.sleep))


def _drive(gen: Generator, sleep: Any) -> Generator:
    """Continue an already-started kernel half whose next sleep is ``sleep``."""
    while True:
        try:
            value = yield sleep
        except GeneratorExit:
            gen.close()
            raise
        except BaseException as exc:  # noqa: BLE001 - EINTR and friends go to the call
            try:
                sleep = gen.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            sleep = gen.send(value)
        except StopIteration as stop:
            return stop.value
