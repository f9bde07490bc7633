"""Shared data: /usr/share/<dir>/<file>, installed at boot from data packages.

Packages register a data package under the ``libk.share`` entry-point group
(``userland = "userland.share"``); every file in each of its subdirectories becomes
``/usr/share/<dir>/<file>`` (heapbench's traces are ``userland/share/heapbench/*.rep``,
so they land in /usr/share/heapbench). Python files and ``__pycache__`` are the
package's own (a trace generator, say) and are skipped. Like manual pages and programs,
data is found by registered name: nothing inside the machine can make the host read an
arbitrary file. A file the image already put at the same path is kept (the image wins).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata, resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel.kernel import Kernel

ENTRY_POINT_GROUP = "libk.share"
SHAREDIR = "/usr/share"

_packaged: dict[str, bytes] | None = None


def _skipped(name: str) -> bool:
    return name == "__pycache__" or name.startswith(".") or name.endswith((".py", ".pyc"))


def packaged(
    group: str, want_dir: Callable[[str], bool], want_file: Callable[[str], bool]
) -> dict[str, bytes]:
    """``"dir/file"`` -> content, for the files of every package registered under
    ``group`` (entry points naming packages) whose directory and file names are wanted;
    the first package to give a path wins."""
    files: dict[str, bytes] = {}
    for ep in sorted(metadata.entry_points(group=group), key=lambda e: e.name):
        try:
            root = resources.files(ep.value)
        except (ModuleNotFoundError, TypeError):
            continue
        for sub in sorted(root.iterdir(), key=lambda p: p.name):
            if not sub.is_dir() or not want_dir(sub.name):
                continue
            for f in sorted(sub.iterdir(), key=lambda p: p.name):
                if f.is_file() and want_file(f.name):
                    files.setdefault(f"{sub.name}/{f.name}", f.read_bytes())
    return files


def packaged_files() -> dict[str, bytes]:
    """``"heapbench/binary.rep"`` -> content, from every registered data package (read
    once per host process)."""
    global _packaged
    if _packaged is None:
        _packaged = packaged(
            ENTRY_POINT_GROUP, lambda d: not _skipped(d), lambda f: not _skipped(f)
        )
    return _packaged


def share_init(k: Kernel) -> None:
    """Install /usr/share/<dir>/<file> from the registered data packages."""
    from kernel.fs.fsinit import _mkdirs, _write

    files = packaged_files()
    if not files:
        return
    share = _mkdirs(k.root_ns.root, SHAREDIR)
    installed = 0
    for rel, data in sorted(files.items()):
        sub, name = rel.split("/", 1)
        directory = _mkdirs(share, sub)
        if name in directory.children:
            continue
        _write(directory, name, data)
        installed += 1
    k.log(f"share: {installed} files in {SHAREDIR}")
