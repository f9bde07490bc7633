"""Invariants checked after every machine a kernel test ran to its halt (issue 14).

Cheap enough to be always on: no thread of a halted machine can run again, the open
file descriptions' reference counts cover the descriptor tables that hold them, no
description is held with a count of zero, every frame in use is counted under one kind,
no frame of process memory outlives the processes (when every one has exited), and no
zombie is left whose parent has gone (its new parent, init, reaps it), and every file
of /proc and /sys reads (or fails with an errno) without an exception escaping.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Iterator

import ksim
import pytest

from kernel.abi import Error
from kernel.fs.file import File
from kernel.fs.vfs import Inode
from kernel.kernel import Kernel
from kernel.proc import ALIVE, ZOMBIE


def check_invariants(k: Kernel) -> None:
    """Assert the invariants of a halted machine ``k``."""
    assert k.halted, "ran to the end but not halted"
    for cpu in k.cpus:
        for t in [*cpu.runq, *([cpu.current] if cpu.current is not None else [])]:
            assert t.kgen is None, f"thread {t.tid} still in a system call on a halted machine"
            if t.coro is not None:
                state = inspect.getcoroutinestate(t.coro)
                assert state in (inspect.CORO_CLOSED, inspect.CORO_CREATED), (
                    f"thread {t.tid} runnable on a halted machine"
                )
    held: Counter[int] = Counter()
    files = {}
    for p in k.procs.procs.values():
        for f in p.fds.files.values():
            held[id(f)] += 1
            files[id(f)] = f
    for key, count in held.items():
        f = files[key]
        assert f.refs >= count, f"{f.path}: {count} descriptors, refcount {f.refs}"
    frames = k.frames
    assert sum(frames.by_kind.values()) == frames.used, (
        f"frames: {frames.used} in use, {dict(frames.by_kind)} by kind"
    )
    procs = k.procs.procs
    for p in procs.values():
        if p.state == ZOMBIE and p.ppid != 1:
            parent = procs.get(p.ppid)
            assert parent is not None and parent.state == ALIVE, (
                f"zombie {p.pid} left behind: its parent {p.ppid} has gone and init did not"
                " adopt it"
            )
    mapped = {
        id(pte.page): pte.page
        for p in procs.values()
        if p.state == ALIVE and p.mm is not None
        for pte in p.mm.pt.values()
        if pte.page.kind == "anon" and pte.page.pfn >= 0
    }
    assert frames.by_kind["anon"] == len(mapped), (
        f"{frames.by_kind['anon']} anonymous frames in use, {len(mapped)} mapped by live"
        " processes: an exited process's memory was not given back (or a frame was freed"
        " twice)"
    )

    for m in k.root_ns.mounts:
        if m.fs.fstype in ("proc", "sysfs"):
            read_tree(m.fs.root, m.target)


def read_tree(inode: Inode, path: str, depth: int = 0) -> int:
    """Read every file under directory ``inode`` (as the kernel, 4 levels deep); an
    errno is an answer, any other exception a failed invariant. Returns the count."""
    n = 0
    for _ino, _dtype, name in inode.dirents():
        if name in (".", ".."):
            continue
        try:
            child = inode.lookup(name)
        except Error:
            continue  # (gone since the listing, or not the kernel's to see)
        where = f"{path}/{name}"
        try:
            if child.is_dir:
                n += read_tree(child, where, depth + 1) if depth < 4 else 0
            elif not child.is_symlink:
                f = File(child, 0, where)
                child.open(None, f)
                child.read(None, f, 1 << 16)
                n += 1
        except Error:
            n += 1
        except Exception as err:  # noqa: BLE001 - what the invariant is about
            raise AssertionError(f"{where}: reading it raised {err!r}") from err
    return n


@pytest.fixture(autouse=True)
def machine_invariants() -> Iterator[None]:
    """Check :func:`check_invariants` on every machine ``ksim.run`` halts."""
    ksim.AFTER_RUN.append(check_invariants)
    try:
        yield
    finally:
        ksim.AFTER_RUN.remove(check_invariants)
