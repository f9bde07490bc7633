"""The manual: /usr/share/man, installed at boot.

Section 2 (system calls) is written from the system-call table, so a call's page can
never disagree with the call; the other sections come from the packages registered
under the ``libk.manpages`` entry-point group (``manN/NAME.N`` text files in libk's
plain manual format; see ``userland/man``). Like programs, pages are found by
registered name: nothing inside the machine can make the host read an arbitrary file.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from kernel.abi import SYSCALLS, Arg, SyscallSpec

if TYPE_CHECKING:
    from kernel.fs.vfs import DirInode
    from kernel.kernel import Kernel

ENTRY_POINT_GROUP = "libk.manpages"
MANDIR = "/usr/share/man"
INDENT = " " * 7
WIDTH = 78

KIND_TEXT = {
    "int": "int",
    "uint": "unsigned int",
    "fd": "file descriptor",
    "str": "str",
    "path": "path name (str)",
    "bytes": "bytes",
    "strs": "list of str",
    "env": "dict of str to str",
    "actions": "list of spawn file actions",
    "attr": "SpawnAttr",
    "obj": "Python object",
}

_packaged: dict[str, bytes] | None = None


def _wrap(text: str) -> str:
    return "\n".join(
        textwrap.fill(p, WIDTH, initial_indent=INDENT, subsequent_indent=INDENT)
        for p in text.split("\n")
    )


def _default(a: Arg) -> str:
    if a.name in ("mode", "mask") and isinstance(a.default, int):
        return oct(a.default)
    return repr(a.default)


def syscall_page(spec: SyscallSpec) -> str:
    """The section-2 page of one system call, from its table entry."""
    params = ", ".join(a.name if a.default is ... else f"{a.name}={_default(a)}" for a in spec.args)
    lines = [
        "NAME",
        f"{INDENT}{spec.name} - {spec.summary}",
        "",
        "SYNOPSIS",
        f"{INDENT}from userland.libk import sys",
        f"{INDENT}result = await sys.{spec.name}({params})",
        "",
        "DESCRIPTION",
        _wrap(
            f"{spec.summary[0].upper()}{spec.summary[1:]}. This is system call number "
            f"{spec.nr}."
            + (
                " It may block: the calling thread sleeps until the call can complete, "
                "and other threads run meanwhile."
                if spec.blocks
                else " It never blocks."
            )
        ),
    ]
    if spec.args:
        lines += ["", "ARGUMENTS"]
        for a in spec.args:
            default = "" if a.default is ... else f" (default {_default(a)})"
            kind = KIND_TEXT.get(a.kind, a.kind) + (", or None" if a.optional else "")
            lines.append(f"{INDENT}{a.name:<10} {kind}{default}")
    lines += [
        "",
        "RETURN VALUE",
        _wrap(
            "The call's value is the result of the await. On failure the wrapper raises "
            "kernel.abi.Error, whose errno attribute says why (EBADF, EINVAL, ...) and "
            "whose message is strerror's; there is no global errno. Arguments of the wrong "
            "type fail with EFAULT or EINVAL, never with a Python exception."
        ),
        "",
        "SEE ALSO",
        f"{INDENT}strace(1), syscalls(2)",
    ]
    return "\n".join(lines) + "\n"


def syscalls_index() -> str:
    """``syscalls(2)``: every system call with its number and summary."""
    lines = [
        "NAME",
        f"{INDENT}syscalls - the libk system calls",
        "",
        "DESCRIPTION",
        _wrap(
            "Every program on the machine reaches the kernel through these calls, and "
            "so does the TUI on the host side (through the host client, as an observer "
            "that never blocks). Each has its own page: man 2 NAME."
        ),
        "",
        f"{INDENT}{'NR':>3}  {'NAME':<20} SUMMARY",
    ]
    for spec in sorted(SYSCALLS, key=lambda s: s.nr):
        lines.append(f"{INDENT}{spec.nr:>3}  {spec.name:<20} {spec.summary}")
    lines += ["", "SEE ALSO", f"{INDENT}strace(1), man(1)"]
    return "\n".join(lines) + "\n"


def packaged_pages() -> dict[str, bytes]:
    """``"man1/ls.1"`` -> page text, from every registered page package (read once)."""
    global _packaged
    if _packaged is None:
        from kernel.share import packaged

        _packaged = packaged(ENTRY_POINT_GROUP, lambda d: d.startswith("man"), lambda f: "." in f)
    return _packaged


def man_init(k: Kernel) -> None:
    """Install /usr/share/man: section 2 from the table, the rest from page packages."""
    from kernel.fs.fsinit import _mkdirs, _write

    root = k.root_ns.root
    mandir = _mkdirs(root, MANDIR)
    pages = {f"man2/{s.name}.2": syscall_page(s).encode() for s in SYSCALLS}
    pages["man2/syscalls.2"] = syscalls_index().encode()
    pages.update(packaged_pages())
    from kernel.exec import PROGRAM_ALIASES

    for alias, name in PROGRAM_ALIASES.items():  # man [ shows test(1)
        if f"man1/{name}.1" in pages:
            pages[f"man1/{alias}.1"] = pages[f"man1/{name}.1"]
    dirs: dict[str, DirInode] = {}
    for rel, text in sorted(pages.items()):
        section, name = rel.split("/", 1)
        if section not in dirs:
            dirs[section] = _mkdirs(mandir, section)
        _write(dirs[section], name, text)
    k.log(f"man: {len(pages)} manual pages in {MANDIR}")
