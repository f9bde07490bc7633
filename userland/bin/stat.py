"""``stat [-L] [-t] [-c FORMAT | --printf FORMAT] FILE…``: display file status.

The default output is GNU stat's; ``-c`` takes GNU's % sequences with printf-style
flags and widths (``%-10s``, ``%04a``). libk keeps no birth time, so ``%w`` is ``-``
and ``%W`` is ``0`` as on a file system without one.
"""

from __future__ import annotations

import re

from kernel.abi import S_IFMT, S_ISLNK, Error, Stat
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.fmt import (
    boot_epoch_ns,
    dev_major,
    dev_minor,
    file_type,
    mode_string,
    stat_date,
)
from userland.libk.users import group_names, user_names

USAGE = """Usage: stat [OPTION]... FILE...
Display file status.

  -L, --dereference     follow links
  -c  --format=FORMAT   use the specified FORMAT instead of the default;
                          output a newline after each use of FORMAT
      --printf=FORMAT   like --format, but interpret backslash escapes,
                          and do not output a mandatory trailing newline
  -t, --terse           print the information in terse form
      --help            display this help and exit

The valid format sequences for files:

  %a   permission bits in octal
  %A   permission bits and file type in human readable form
  %b   number of blocks allocated (see %B)
  %B   the size in bytes of each block reported by %b
  %d   device number in decimal
  %D   device number in hex
  %Hd  major device number in decimal
  %Ld  minor device number in decimal
  %f   raw mode in hex
  %F   file type
  %g   group ID of owner
  %G   group name of owner
  %h   number of hard links
  %i   inode number
  %m   mount point
  %n   file name
  %N   quoted file name with dereference if symbolic link
  %o   optimal I/O transfer size hint
  %s   total size, in bytes
  %t   major device type in hex, for character/block device special files
  %T   minor device type in hex, for character/block device special files
  %Hr  major device type in decimal
  %Lr  minor device type in decimal
  %u   user ID of owner
  %U   user name of owner
  %w   time of file birth, human-readable; - if unknown
  %W   time of file birth, seconds since Epoch; 0 if unknown
  %x   time of last access, human-readable
  %X   time of last access, seconds since Epoch
  %y   time of last data modification, human-readable
  %Y   time of last data modification, seconds since Epoch
  %z   time of last status change, human-readable
  %Z   time of last status change, seconds since Epoch
"""

LONG = {"dereference": "L", "format": "c", "printf": "P", "terse": "t"}

DEFAULT_HEAD = "  File: %n\n  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n"
DEFAULT_DEV = "Device: %Hd,%Ld\tInode: %-11i Links: %h\n"
DEFAULT_DEV_SPECIAL = "Device: %Hd,%Ld\tInode: %-11i Links: %-5h Device type: %Hr,%Lr\n"
DEFAULT_TAIL = (
    "Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n"
    "Access: %x\nModify: %y\nChange: %z\n Birth: %w\n"
)
TERSE = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %W %o\n"

_SPEC = re.compile(r"%([-#0 +']*)(\d*)(?:\.(\d+))?([HL]?[a-zA-Z%])")
_NUMERIC = set("abBdfghiostTuXYZWD") | {"Hd", "Ld", "Hr", "Lr"}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "r": "\r"}
_ESCAPES.update({"v": "\v", '"': '"'})


def quote(name: str) -> str:
    """Shell-style quoting as %N prints it: ``'a b'``."""
    if "'" not in name:
        return f"'{name}'"
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unescape(text: str) -> str:
    """``--printf`` backslash escapes: ``\\n``, ``\\t``, ``\\0NNN`` octal…"""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        n = text[i + 1]
        if n in _ESCAPES:
            out.append(_ESCAPES[n])
            i += 2
        elif n in "01234567":
            m = re.match(r"[0-7]{1,3}", text[i + 1 :])
            assert m is not None
            out.append(chr(int(m.group(), 8)))
            i += 1 + len(m.group())
        else:
            out.append("\\" + n)
            i += 2
    return "".join(out)


class Formatter:
    """Expands a format for one file; knows the names, the clock and the mounts."""

    def __init__(self, users: dict[int, str], groups: dict[int, str], epoch: int) -> None:
        self.users = users
        self.groups = groups
        self.epoch = epoch
        self.mounts: list[tuple[str, int]] | None = None

    async def mount_point(self, st: Stat) -> str:
        """The mount point holding a file, by device number (from /proc/mounts)."""
        if self.mounts is None:
            self.mounts = []
            try:
                text = (await kio.read_file("/proc/mounts")).decode(errors="replace")
            except Error:
                text = ""
            for line in text.splitlines():
                fields = line.split()
                if len(fields) >= 2:
                    try:
                        self.mounts.append((fields[1], (await sys.stat(fields[1])).st_dev))
                    except Error:
                        pass
        for target, dev in reversed(self.mounts):
            if dev == st.st_dev:
                return target
        return "?"

    async def value(self, conv: str, name: str, st: Stat) -> str | int:
        t = st.st_mode & S_IFMT
        special = t in (0o020000, 0o060000)
        match conv:
            case "a":
                return format(st.st_mode & 0o7777, "o")
            case "A":
                return mode_string(st.st_mode)
            case "b":
                return st.st_blocks
            case "B":
                return 512
            case "d":
                return st.st_dev
            case "D":
                return format(st.st_dev, "x")
            case "Hd":
                return dev_major(st.st_dev)
            case "Ld":
                return dev_minor(st.st_dev)
            case "f":
                return format(st.st_mode, "x")
            case "F":
                return file_type(st.st_mode, st.st_size)
            case "g":
                return st.st_gid
            case "G":
                return self.groups.get(st.st_gid, "UNKNOWN")
            case "h":
                return st.st_nlink
            case "i":
                return st.st_ino
            case "m":
                return await self.mount_point(st)
            case "n":
                return name
            case "N":
                if S_ISLNK(st.st_mode):
                    try:
                        return f"{quote(name)} -> {quote(await sys.readlink(name))}"
                    except Error:
                        pass
                return quote(name)
            case "o":
                return st.st_blksize
            case "s":
                return st.st_size
            case "t":
                return format(dev_major(st.st_rdev) if special else 0, "x")
            case "T":
                return format(dev_minor(st.st_rdev) if special else 0, "x")
            case "Hr":
                return dev_major(st.st_rdev) if special else 0
            case "Lr":
                return dev_minor(st.st_rdev) if special else 0
            case "u":
                return st.st_uid
            case "U":
                return self.users.get(st.st_uid, "UNKNOWN")
            case "w":
                return "-"
            case "W":
                return 0
            case "x" | "y" | "z":
                ns = {"x": st.st_atime_ns, "y": st.st_mtime_ns, "z": st.st_ctime_ns}[conv]
                return stat_date(self.epoch + ns)
            case "X" | "Y" | "Z":
                ns = {"X": st.st_atime_ns, "Y": st.st_mtime_ns, "Z": st.st_ctime_ns}[conv]
                return (self.epoch + ns) // 10**9
            case "C":
                return "?"
        return "?" + conv

    async def expand(self, fmt: str, name: str, st: Stat) -> str:
        """The format with every % sequence replaced for this file."""
        out = []
        pos = 0
        for m in _SPEC.finditer(fmt):
            out.append(fmt[pos : m.start()])
            pos = m.end()
            flags, width, prec, conv = m.groups()
            if conv == "%":
                out.append("%")
                continue
            val = await self.value(conv, name, st)
            if conv == "a" and "#" in flags:
                val = "0" + str(val)
            text = str(val)
            numeric = conv in _NUMERIC and isinstance(val, int) or conv == "a"
            if prec and not numeric:
                text = text[: int(prec)]
            w = int(width) if width else 0
            if "-" in flags:
                text = text.ljust(w)
            elif "0" in flags and numeric:
                sign = "-" if text.startswith("-") else ""
                text = sign + text.lstrip("-").rjust(w - len(sign), "0")
            else:
                text = text.rjust(w)
            out.append(text)
        out.append(fmt[pos:])
        return "".join(out)


def default_format(st: Stat, name: str, link: str | None) -> str:
    """GNU's default layout, for a device or another file."""
    special = st.st_mode & S_IFMT in (0o020000, 0o060000)
    head = DEFAULT_HEAD.replace("%n", name.replace("%", "%%") + (f" -> {link}" if link else ""))
    return head + (DEFAULT_DEV_SPECIAL if special else DEFAULT_DEV) + DEFAULT_TAIL


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("stat", argv, "Lc:P:tf", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("stat", "missing operand")
    if opts.has("f"):
        await kio.warn("stat", "-f (file system status) is not supported; see df(1)")
        return 1
    fmt = None
    for flag, val in opts.seen:
        if flag == "c":
            fmt = (val or "") + "\n"
        elif flag == "P":
            fmt = unescape(val or "")
        elif flag == "t":
            fmt = TERSE
    follow = opts.has("L")
    fm = Formatter(await user_names(), await group_names(), await boot_epoch_ns())
    out = kio.Output(1)
    status = 0
    for name in opts.operands:
        try:
            st = await (sys.stat(name) if follow else sys.lstat(name))
        except Error as err:
            await out.flush()
            await kio.warn("stat", f"cannot statx '{name}': {err.message}")
            status = 1
            continue
        this = fmt
        if this is None:
            link = None
            if S_ISLNK(st.st_mode):
                try:
                    link = await sys.readlink(name)
                except Error:
                    link = None
            this = default_format(st, name, link)
        await out.write(await fm.expand(this, name, st))
    await out.flush()
    return status
