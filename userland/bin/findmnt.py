"""``findmnt [-l] [-n] [-t TYPE] [TARGET]``: the mounts of this process's namespace as a
tree, util-linux style.

Reads /proc/self/mountinfo (proc(5)'s format: id, parent id, major:minor, root, mount
point, mount options, optional fields up to ``-``, type, source, super options) and
prints TARGET, SOURCE, FSTYPE and OPTIONS, children under their parent mount with
util-linux's tree lines. A bind mount's source shows the directory it shows
(``tmpfs[/a/b]``); OPTIONS are the mount's options then the file system's. With
TARGET, only the mount at that path (status 1 if there is none).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from userland.libk import io as kio
from userland.libk import text
from userland.libk.procinfo import read_text

USAGE = """
Usage:
 findmnt [options] [<target>]

Options:
 -l, --list             use list format output
 -n, --noheadings       don't print column headings
 -t, --types <list>     limit the set of filesystems by FS types

     --help             display this help

For more details see findmnt(8).
"""
LONG = {"list": "l", "noheadings": "n", "types": "t"}
HEADINGS = ("TARGET", "SOURCE", "FSTYPE", "OPTIONS")


def unescape(text: str) -> str:
    """Undo the kernel's ``\\ooo`` octal escapes."""
    out = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1 : i + 4].isdigit() and len(text) >= i + 4:
            out.append(chr(int(text[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@dataclass
class Entry:
    """One line of mountinfo."""

    mnt_id: int
    parent: int
    root: str
    target: str
    vfs_options: str
    optional: list[str]
    fstype: str
    source: str
    fs_options: str
    children: list[Entry] = field(default_factory=list)

    @property
    def options(self) -> str:
        """The mount's options, then the file system's others."""
        vfs = self.vfs_options.split(",")
        return ",".join(vfs + [o for o in self.fs_options.split(",") if o not in vfs])

    @property
    def shown_source(self) -> str:
        """The source, with the bind-mounted directory in brackets."""
        return self.source if self.root == "/" else f"{self.source}[{self.root}]"


def parse(text: str) -> list[Entry]:
    """The entries of a mountinfo file (malformed lines are skipped, as libmount)."""
    entries = []
    for line in text.splitlines():
        fields = line.split(" ")
        if "-" not in fields[6:] or len(fields) < 10:
            continue
        sep = fields.index("-", 6)
        if len(fields) < sep + 4:
            continue
        entries.append(
            Entry(
                int(fields[0]),
                int(fields[1]),
                unescape(fields[3]),
                unescape(fields[4]),
                fields[5],
                fields[6:sep],
                fields[sep + 1],
                unescape(fields[sep + 2]),
                fields[sep + 3],
            )
        )
    return entries


def rows_of(entries: list[Entry], tree: bool) -> list[tuple[str, ...]]:
    """The table's rows; in a tree, children under their parents with ├─ └─ │."""
    if not tree:
        return [(e.target, e.shown_source, e.fstype, e.options) for e in entries]
    ids = {e.mnt_id for e in entries}
    for e in entries:
        if e.parent in ids and e.parent != e.mnt_id:
            next(p for p in entries if p.mnt_id == e.parent).children.append(e)
    rows: list[tuple[str, ...]] = []

    def walk(e: Entry, prefix: str, branch: str) -> None:
        rows.append((prefix + branch + e.target, e.shown_source, e.fstype, e.options))
        inner = prefix + ("" if not branch else ("│ " if branch == "├─" else "  "))
        for i, child in enumerate(e.children):
            walk(child, inner, "└─" if i == len(e.children) - 1 else "├─")

    for e in entries:
        if e.parent not in ids or e.parent == e.mnt_id:
            walk(e, "", "")
    return rows


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("findmnt", argv, "lnt:", USAGE.lstrip("\n"), long=LONG)
    if isinstance(opts, int):
        return opts
    entries = parse(await read_text("/proc/self/mountinfo") or "")
    types = [t for t in (opts.value("t") or "").split(",") if t]
    tree = not opts.has("l") and not types and not opts.operands
    if types:
        entries = [e for e in entries if e.fstype in types]
    if opts.operands:
        want = opts.operands[0].rstrip("/") or "/"
        entries = [e for e in entries if want in (e.target, e.source)][-1:]
    if not entries:
        return 1
    rows = rows_of(entries, tree)
    if not opts.has("n"):
        rows.insert(0, HEADINGS)
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    out = kio.Output(1)
    for r in rows:
        cells = [r[i].ljust(widths[i]) for i in range(3)] + [r[3]]
        await out.line(" ".join(cells).rstrip())
    await out.flush()
    return 0
