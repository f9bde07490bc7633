"""``mount [-t TYPE]``, ``mount [-r] [-o OPTS] -t TYPE SOURCE DIR``: list or mount.

Without a device to mount, lists /proc/mounts the way util-linux does
(``proc on /proc type proc (rw)``), optionally only one type (Linux's names:
``devtmpfs`` for devfs). Mounting calls
mount(2), which only root may do; the kernel has tmpfs, proc and devfs. Messages and
exit statuses follow util-linux (32: the mount failed).
"""

from __future__ import annotations

from kernel.abi import EBUSY, ENODEV, ENOENT, ENOTDIR, EPERM, Error
from userland.libk import args, sys
from userland.libk import io as kio
from userland.libk.procinfo import read_text

USAGE = """
Usage:
 mount [-t <type>]
 mount [-r] [-o <options>] -t <type> <source> <directory>

Mount a filesystem, or list the mounted ones.

Options:
 -t, --types <list>      the filesystem type (tmpfs, proc, sysfs or devfs); when
                         listing, show only these types
 -o, --options <list>    comma-separated mount options (ro, rw, mode=1777)
 -r, --read-only         mount the filesystem read-only (same as -o ro)
 -w, --rw, --read-write  mount the filesystem read-write (default)

     --help              display this help

For more details see mount(8).
"""
LONG = {"types": "t", "options": "o", "read-only": "r", "read-write": "w", "rw": "w"}
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
    return f"{target}: {err.message}."


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "t:o:rwv", long=LONG)
    except args.UsageError as err:
        await kio.warn("mount", f"{err}\nTry 'mount --help' for more information.")
        return EX_USAGE
    if opts.help:
        await kio.write_all(1, USAGE.lstrip("\n"))
        return 0
    types = [t for t in (opts.value("t") or "").split(",") if t]
    if not opts.operands:
        return await list_mounts(types)
    if len(opts.operands) == 1:
        await kio.warn("mount", f"{opts.operands[0]}: can't find in /etc/fstab.")
        return EX_USAGE
    if len(opts.operands) > 2:
        await kio.warn("mount", "bad usage\nTry 'mount --help' for more information.")
        return EX_USAGE
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
