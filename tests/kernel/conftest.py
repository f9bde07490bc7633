"""Invariants checked after every machine a kernel test ran to its halt (issue 14).

Cheap enough to be always on: no thread of a halted machine can run again, the open
file descriptions' reference counts cover the descriptor tables that hold them, and
no description is held with a count of zero.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Iterator

import ksim
import pytest

from kernel.kernel import Kernel


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


@pytest.fixture(autouse=True)
def machine_invariants() -> Iterator[None]:
    """Check :func:`check_invariants` on every machine ``ksim.run`` halts."""
    ksim.AFTER_RUN.append(check_invariants)
    try:
        yield
    finally:
        ksim.AFTER_RUN.remove(check_invariants)
