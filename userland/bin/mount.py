"""``mount [-t TYPE]``, ``mount [-r] [-o OPTS] -t TYPE SOURCE DIR``: list or mount;
``mount --bind|--rbind OLDDIR NEWDIR``; ``mount --make-[r]shared|--make-[r]private DIR``.

Without a device to mount, lists /proc/mounts the way util-linux does
(``proc on /proc type proc (rw)``), optionally only one type (Linux's names:
``devtmpfs`` for devfs). Mounting calls mount(2), which only root may do; the kernel
has tmpfs, proc, sysfs and devtmpfs (one file system: mounted twice, both show the
same nodes). A bind mount (MS_BIND) shows a directory or file at a second place; the
propagation options (MS_SHARED, MS_PRIVATE) decide whether mounts made under a mount
appear under its peers (its copies in other mount namespaces) too. Messages and exit
statuses follow util-linux (32: the mount failed).
"""

from __future__ import annotations

from kernel.abi import (
    EBUSY,
    EINVAL,
    ENODEV,
    ENOENT,
    ENOTDIR,
    EPERM,
    MS_BIND,
    MS_PRIVATE,
    MS_REC,
    MS_SHARED,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.procinfo import read_text

USAGE = """
Usage:
 mount [-t <type>]
 mount [-r] [-o <options>] -t <type> <source> <directory>
 mount --bind|--rbind <olddir> <newdir>
 mount --make-{shared,private,rshared,rprivate} <mountpoint>

Mount a filesystem, or list the mounted ones.

Options:
 -t, --types <list>      the filesystem type (tmpfs, proc, sysfs or devfs); when
                         listing, show only these types
 -o, --options <list>    comma-separated mount options (ro, rw, mode=1777)
 -r, --read-only         mount the filesystem read-only (same as -o ro)
 -w, --rw, --read-write  mount the filesystem read-write (default)
 -B, --bind              mount a subtree somewhere else (same as -o bind)
 -R, --rbind             mount a subtree and all submounts somewhere else

Operations:
 --make-shared           mark a subtree as shared
 --make-private          mark a subtree as private
 --make-rshared          recursively mark a whole subtree as shared
 --make-rprivate         recursively mark a whole subtree as private

     --help              display this help

For more details see mount(8).
"""
#: --make-* have no short forms: keys no one can type.
MAKE = {
    "make-shared": ("\x01", MS_SHARED),
    "make-private": ("\x02", MS_PRIVATE),
    "make-rshared": ("\x03", MS_SHARED | MS_REC),
    "make-rprivate": ("\x04", MS_PRIVATE | MS_REC),
}
LONG = {
    "types": "t",
    "options": "o",
    "read-only": "r",
    "read-write": "w",
    "rw": "w",
    "bind": "B",
    "rbind": "R",
} | {name: key for name, (key, _) in MAKE.items()}
MS_RDONLY = 1
EX_USAGE = 1
EX_FAIL = 32
#: /proc/mounts shows Linux's names for these types.
LINUX_NAMES = {"devfs": "devtmpfs", "procfs": "proc"}


async def mounts() -> list[list[str]]:
    """The rows of /proc/mounts: source, target, type, options."""
    text = await read_text("/proc/mounts") or ""
    return [line.split() for line in text.splitlines() if len(line.split()) >= 4]


async def list_mounts(types: list[str]) -> int:
    """``SOURCE on TARGET type TYPE (OPTIONS)`` for each mount (of ``types``)."""
    out = kio.Output(1)
    types = [LINUX_NAMES.get(t, t) for t in types]
    for source, target, fstype, options, *_ in await mounts():
        if types and fstype not in types:
            continue
        await out.line(f"{source} on {target} type {fstype} ({options})")
    await out.flush()
    return 0


def failure(target: str, fstype: str, err: Error) -> str:
    """util-linux's words for a failed mount(2)."""
    if err.errno == EPERM:
        return f"{target}: must be superuser to use mount."
    if err.errno == ENOENT:
        return f"{target}: mount point does not exist."
    if err.errno == ENOTDIR:
        return f"{target}: mount point is not a directory."
    if err.errno == ENODEV:
        return f"{target}: unknown filesystem type '{fstype}'."
    if err.errno == EBUSY:
        return f"{target}: target is busy."
    if err.errno == EINVAL:
        return f"{target}: not mount point or bad option."
    return f"{target}: {err.message}."


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "mount",
        argv,
        "t:o:rwvBR" + "".join(k for k, _ in MAKE.values()),
        USAGE.lstrip("\n"),
        status=EX_USAGE,
        long=LONG,
    )
    if isinstance(opts, int):
        return opts
    types = [t for t in (opts.value("t") or "").split(",") if t]
    for key, flags in MAKE.values():
        if opts.has(key):
            return await make(opts.operands, flags)
    if opts.has("B") or opts.has("R") or "bind" in ",".join(opts.values("o")).split(","):
        return await bind(opts.operands, MS_BIND | (MS_REC if opts.has("R") else 0))
    if not opts.operands:
        return await list_mounts(types)
    if len(opts.operands) == 1:
        await kio.warn("mount", f"{opts.operands[0]}: can't find in /etc/fstab.")
        return EX_USAGE
    if len(opts.operands) > 2:
        return await text.usage_error("mount", "bad usage", EX_USAGE)
    source, target = opts.operands
    fstype = types[0] if types else ""
    if not fstype:
        await kio.warn(
            "mount", f"{target}: no filesystem type given (-t tmpfs, proc, sysfs or devfs)."
        )
        return EX_USAGE
    flags = 0
    data = []
    for item in ",".join(opts.values("o")).split(","):
        item = item.strip()
        if item == "ro":
            flags |= MS_RDONLY
        elif item and item != "rw":
            data.append(item)
    if opts.has("r"):
        flags |= MS_RDONLY
    try:
        await sys.mount(source, target, fstype, flags, ",".join(data) or None)
    except Error as err:
        await kio.warn("mount", failure(target, fstype, err))
        return EX_FAIL
    return 0


async def make(operands: list[str], flags: int) -> int:
    """``--make-shared DIR`` and the like: mount(2) with a propagation flag."""
    if len(operands) != 1:
        return await text.usage_error("mount", "bad usage", EX_USAGE)
    try:
        await sys.mount("none", operands[0], None, flags, None)
    except Error as err:
        await kio.warn("mount", failure(operands[0], "", err))
        return EX_FAIL
    return 0


async def bind(operands: list[str], flags: int) -> int:
    """``--bind OLDDIR NEWDIR``: mount(2) with MS_BIND."""
    if len(operands) != 2:
        return await text.usage_error("mount", "bad usage", EX_USAGE)
    source, target = operands
    try:
        await sys.mount(source, target, None, flags, None)
    except Error as err:
        if err.errno == ENOENT:
            try:
                await sys.stat(source)
            except Error:
                await kio.warn("mount", f"{target}: special device {source} does not exist.")
                return EX_FAIL
        await kio.warn("mount", failure(target, "", err))
        return EX_FAIL
    return 0
