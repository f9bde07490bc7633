"""``df [-ahHTi] [FILE…]``: report file system space usage, from /proc/mounts and statfs.

Like GNU df, file systems without blocks (proc, sysfs, devtmpfs) are left out unless
``-a`` is given; a FILE operand shows the file system that holds it.
"""

from __future__ import annotations

from kernel.abi import Error, StatFs
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.fmt import human_size

USAGE = """Usage: df [OPTION]... [FILE]...
Show information about the file system on which each FILE resides,
or all file systems by default.

  -a, --all             include pseudo, duplicate, inaccessible file systems
  -h, --human-readable  print sizes in powers of 1024 (e.g., 1023M)
  -H, --si              print sizes in powers of 1000 (e.g., 1.1G)
  -i, --inodes          list inode information instead of block usage
  -k                    like --block-size=1K
  -T, --print-type      print file system type
      --help            display this help and exit
"""

LONG = {"all": "a", "human-readable": "h", "si": "H", "inodes": "i", "print-type": "T"}


def percent(used: int, avail: int) -> str:
    """GNU's Use%: used / (used + available), rounded up; ``-`` when both are 0."""
    whole = used + avail
    if whole == 0:
        return "-"
    return f"{-(-used * 100 // whole)}%"


async def mounts() -> list[tuple[str, str, str]]:
    """(source, target, type) of every line of /proc/mounts."""
    text = (await kio.read_file("/proc/mounts")).decode(errors="replace")
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 3:
            out.append((f[0], f[1].replace("\\040", " "), f[2]))
    return out


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("df", argv, "ahHikTP", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    try:
        table = await mounts()
    except Error as err:
        await kio.warn("df", f"cannot read table of mounted file systems: {err.message}")
        return 1
    status = 0
    chosen: list[tuple[str, str, str]] = []
    if opts.operands:
        devs = []
        for src, target, kind in table:
            try:
                devs.append(((await sys.stat(target)).st_dev, (src, target, kind)))
            except Error:
                continue
        for path in opts.operands:
            try:
                dev = (await sys.stat(path)).st_dev
            except Error as err:
                await kio.warn("df", f"{path}: {err.message}")
                status = 1
                continue
            hit = [m for d, m in devs if d == dev]
            if hit:
                chosen.append(hit[-1])
    else:
        chosen = table
    human = "h" if opts.has("h") else "H" if opts.has("H") else ""
    inodes = opts.has("i")
    rows: list[list[str]] = []
    for src, target, kind in chosen:
        try:
            fs: StatFs = await sys.statfs(target)
        except Error as err:
            await kio.warn("df", f"{target}: {err.message}")
            status = 1
            continue
        if inodes:
            total, free, avail = fs.f_files, fs.f_ffree, fs.f_ffree
        else:
            total, free, avail = fs.f_blocks, fs.f_bfree, fs.f_bavail
        if total == 0 and not opts.has("a") and not opts.operands:
            continue
        used = total - free
        if inodes:
            cells = [str(total), str(used), str(avail)]
        elif human:
            si = human == "H"
            cells = [human_size(n * fs.f_bsize, si=si) for n in (total, used, avail)]
            cells = ["0" if c == "0" else c for c in cells]
        else:
            cells = [str(-(-n * fs.f_bsize // 1024)) for n in (total, used, avail)]
        row = [src] + ([kind] if opts.has("T") else []) + cells + [percent(used, avail), target]
        rows.append(row)
    if inodes:
        heads = ["Inodes", "IUsed", "IFree", "IUse%"]
    elif human:
        heads = ["Size", "Used", "Avail", "Use%"]
    else:
        heads = ["1K-blocks", "Used", "Available", "Use%"]
    header = ["Filesystem"] + (["Type"] if opts.has("T") else []) + heads + ["Mounted on"]
    if not rows and status:
        return status
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    left = {0, 1} if opts.has("T") else {0}
    out = kio.Output(1)
    for r in [header, *rows]:
        cells = []
        for i, cell in enumerate(r):
            if i == len(r) - 1:
                cells.append(cell)
            elif i in left:
                cells.append(cell.ljust(widths[i]))
            else:
                cells.append(cell.rjust(widths[i]))
        await out.line(" ".join(cells))
    await out.flush()
    return status
