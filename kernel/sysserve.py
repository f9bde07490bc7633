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

from typing import TYPE_CHECKING, Any

from kernel.abi import EINVAL, EISDIR, ENOENT, ENOTDIR, EPERM, O_RDWR, Error
from kernel.abi.serve import SERVE_DIR, SERVE_KINDS, SERVE_ROOT_ID
from kernel.fs.file import File
from kernel.fs.fsinit import _dev
from kernel.fs.mount import Mount
from kernel.fs.served import Channel, ServedFS
from kernel.fs.serveddir import ServedDir
from kernel.fs.servednode import ServedInode
from kernel.fs.vfs import require
from kernel.sysfile import absolute, walker
from kernel.sysmount import ns_path

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread

_MS = 1_000_000


def sys_serve(k: Kernel, t: Thread, path: str, kind: int, mode: int) -> int:
    if kind not in SERVE_KINDS:
        raise Error(EINVAL, f"serve: unknown kind {kind}")
    is_dir = kind == SERVE_DIR
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
        at = parent.make_child("dir" if is_dir else "file", name, 0o700 if is_dir else 0o600,
                               cred.euid, cred.egid)  # fmt: skip
        placeholder = (parent, name, at)
    else:
        if at.is_dir != is_dir:
            raise Error(ENOTDIR if is_dir else EISDIR)
        if not cred.is_root and cred.euid != at.uid:
            raise Error(EPERM)
    full = absolute(walk, path)
    channel = Channel(k.pipefs, cred.euid, cred.egid, proc.pid, full)
    channel.placeholder = placeholder
    fs = ServedFS(_dev(k), k, channel)
    node: Any
    if is_dir:
        node = ServedDir(fs, channel, SERVE_ROOT_ID, mode, cred.euid, cred.egid)
    else:
        node = ServedInode(fs, channel, kind, mode, cred.euid, cred.egid)
    fs.root = node
    fs.nodes[SERVE_ROOT_ID] = node
    channel.node = node
    f = File(channel, O_RDWR, f"serve:[{channel.ino}]")
    try:
        mnt, at = walk.resolve_mount(path)
        if is_dir:
            target = ns_path(walk.ns, mnt, at)
        else:
            where = walk.resolve_parent(path)
            target = ns_path(walk.ns, walk.ns.mount_of(where[0]), where[0]).rstrip("/")
            target += "/" + where[1]
        m = Mount(fs, "served", target, ("rw", "nosuid", f"server={proc.pid}"))
        if not is_dir:
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
