"""Bringing the file systems up at boot: the root, the image's files, /dev, mounts.

Called from ``kernel.main.start_kernel`` in order: ``vfs_init`` (root tmpfs, the
initial mount namespace, the image's tree, /etc/passwd, /etc/group and /etc/shadow), ``dev_init``
(devfs and the console TTY), ``mounts_init`` (what the image mounts where, and sysfs on
/sys beside procfs).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from kernel.abi import Error
from kernel.crypt import SALT_ALPHABET, hash_password
from kernel.dev.block import block_init
from kernel.dev.driver import DeviceModel
from kernel.dev.tty import Tty
from kernel.fs.devfs import DevFS, chrdev_init
from kernel.fs.mount import Mount, MountNamespace
from kernel.fs.pipe import PipeFS
from kernel.fs.procfs import ProcFS
from kernel.fs.sysfs import SysFS
from kernel.fs.tmpfs import TmpFS
from kernel.fs.vfs import DirInode, FileInode, FileSystem, PathWalk
from kernel.proc import Cred

if TYPE_CHECKING:
    from kernel.imagetypes import User
    from kernel.kernel import Kernel

SYSFS_OPTS = ("rw", "nosuid", "nodev", "noexec", "relatime")
STANDARD_DIRS = (
    "bin",
    "sbin",
    "etc",
    "dev",
    "proc",
    "sys",
    "tmp",
    "home",
    "root",
    "usr",
    "usr/bin",
    "usr/share",
    "var",
    "var/log",
)


def _mkdirs(root: DirInode, path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> DirInode:
    cur = root
    for part in [p for p in path.split("/") if p]:
        nxt = cur.children.get(part)
        if nxt is None:
            nxt = cur.make_child("dir", part, mode, uid, gid)
        if not isinstance(nxt, DirInode):
            raise Error(20, f"{path}: not a directory")
        cur = nxt
    return cur


def vfs_init(k: Kernel) -> None:
    """The root tmpfs with the standard directories and the image's files."""
    info = k.info
    k._next_dev = 1
    root_fs = TmpFS(_dev(k), k, k.frames)
    k.root_ns = MountNamespace(Mount(root_fs, "rootfs", "/", ("rw",)))
    k.pipefs = PipeFS(_dev(k), k)
    root = root_fs.root
    for d in STANDARD_DIRS:
        _mkdirs(root, d)
    root.children["root"].mode = 0o40700
    tmp = root.children["tmp"]
    tmp.mode = 0o41777
    for spec in info.files:
        parent_path, _, name = spec.path.rpartition("/")
        parent = _mkdirs(root, parent_path)
        existing = parent.children.get(name)
        if spec.kind == "dir":
            node = existing if isinstance(existing, DirInode) else None
            if node is None:
                if existing is not None:
                    parent.remove(name)
                node = parent.make_child("dir", name, spec.mode, spec.uid, spec.gid)
            node.mode = (node.mode & ~0o7777) | spec.mode
            node.uid, node.gid = spec.uid, spec.gid
            continue
        if existing is not None:
            parent.remove(name)
        if spec.kind == "symlink":
            parent.make_child("symlink", name, 0o777, spec.uid, spec.gid, target=spec.target)
        else:
            f = parent.make_child("file", name, spec.mode, spec.uid, spec.gid)
            assert isinstance(f, FileInode)
            f.set_contents(spec.content)
    etc = root.children["etc"]
    assert isinstance(etc, DirInode)
    _write(
        etc,
        "passwd",
        "".join(f"{u.name}:x:{u.uid}:{u.gid}:{u.name}:{u.home}:{u.shell}\n" for u in info.users),
    )
    groups: dict[int, tuple[str, list[str]]] = {}
    for u in info.users:
        groups.setdefault(u.gid, (u.name, []))
    for u in info.users:
        for g in u.groups:
            gid = next((x.gid for x in info.users if x.name == g), None)
            if gid is not None:
                groups[gid][1].append(u.name)
    _write(
        etc,
        "group",
        "".join(
            f"{name}:x:{gid}:{','.join(members)}\n"
            for gid, (name, members) in sorted(groups.items())
        ),
    )
    shadow = "".join(f"{u.name}:{_shadow_field(u, info.seed)}::0:99999:7:::\n" for u in info.users)
    _write(etc, "shadow", shadow, 0o600)
    if "hostname" not in etc.children:
        _write(etc, "hostname", info.hostname + "\n")
    if "heap.conf" not in etc.children:
        _write(etc, "heap.conf", heap_conf(info.heap))
    for u in info.users:
        home = _mkdirs(root, u.home, 0o700 if u.uid == 0 else 0o755)
        if home is not root:
            home.uid, home.gid = u.uid, u.gid
    k.log(f"VFS: mounted root (tmpfs), {len(info.files)} files from {info.source}")


def _shadow_field(user: User, seed: int) -> str:
    """/etc/shadow's password field: the image's hash, or its plain text hashed now with a
    salt drawn from the machine's seed (same image, same seed: same file)."""
    if not user.plain:
        return user.password
    rng = random.Random(f"{seed}:{user.name}")
    return hash_password(user.password, "".join(rng.choice(SALT_ALPHABET) for _ in range(22)))


def _write(directory: DirInode, name: str, text: str | bytes, mode: int = 0o644) -> None:
    if name in directory.children:
        directory.remove(name)
    f = directory.make_child("file", name, mode, 0, 0)
    assert isinstance(f, FileInode)
    f.set_contents(text.encode() if isinstance(text, str) else text)


def _dev(k: Kernel) -> int:
    dev = k._next_dev
    k._next_dev += 1
    return dev


def dev_init(k: Kernel) -> None:
    """devfs, the device model, the standard devices and the console TTY."""
    k.devfs = DevFS(_dev(k), k)
    k.devices = DeviceModel(k)  # kobjects: buses, classes, drivers, devices (/sys)
    k.devfs.populate()
    k.console = Tty(k, "console")
    chrdev_init(k, k.console)  # mem and tty devices; devtmpfs makes their nodes
    k.console.node = k.devfs.console
    k.log("console [console0] enabled; devtmpfs: null zero random urandom console tty")
    block_init(k)  # the image's block devices: platform devices bound by libkblk


def make_fs(k: Kernel, fstype: str) -> FileSystem:
    """A fresh file system of a type the image may mount."""
    if fstype == "tmpfs":
        return TmpFS(_dev(k), k, k.frames, 0o1777)
    if fstype == "devfs":
        return k.devfs
    if fstype == "procfs":
        return ProcFS(_dev(k), k)
    if fstype == "sysfs":
        return SysFS(_dev(k), k)
    raise Error(19, f"unknown file system type {fstype}")


def mounts_init(k: Kernel) -> None:
    """Mount what the image asks for, creating mount points as needed."""
    root = k.root_ns.root
    walk = PathWalk(k.root_ns, Cred(), root)
    for m in k.info.mounts:
        _mkdirs(root, m.target)
        at = walk.resolve(m.target)
        fs = make_fs(k, m.fstype)
        options = tuple(m.options)
        if not any(o in ("rw", "ro") for o in options):
            options = ("rw", *options)
        k.root_ns.mount(fs, at, m.source, m.target, options)
        k.log(f"mount: {m.fstype} on {m.target}")
        if m.fstype == "devfs":  # POSIX shared memory (shm_open) lives in /dev/shm
            shm = walk.resolve(m.target.rstrip("/") + "/shm")
            k.root_ns.mount(make_fs(k, "tmpfs"), shm, "tmpfs", "/dev/shm", ("rw", "mode=1777"))
            k.log(f"mount: tmpfs on {m.target.rstrip('/')}/shm")
    if k.info.sysfs and not any(x.target == "/sys" for x in k.info.mounts):
        # Mounted as Linux's init mounts it, unless the image says ``sysfs: false``.
        k.root_ns.mount(make_fs(k, "sysfs"), walk.resolve("/sys"), "sysfs", "/sys", SYSFS_OPTS)
        k.log("mount: sysfs on /sys")
    if not k.info.procfs:
        k.log("procfs: disabled by the machine file")
    if not k.info.sysfs:
        k.log("sysfs: disabled by the machine file")


def heap_conf(settings: tuple[tuple[str, str], ...]) -> str:
    """/etc/heap.conf: the image's ``heap:`` settings, which every process's libk heap
    reads before its environment (see heap(7))."""
    lines = [
        "# The libk heap's defaults for every process, from the machine image's heap: section.",
        "# A variable of the same name in the environment wins.  See man 7 heap.",
    ]
    lines += [f"{name}={value}" for name, value in settings]
    return "\n".join(lines) + "\n"
