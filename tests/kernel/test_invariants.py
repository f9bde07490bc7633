"""The invariants the kernel tests check after every machine (conftest.py) can fail:
each is broken on purpose here and must be caught."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest
from ksim import run_main

from kernel.proc import ZOMBIE
from userland.libk import sys

_HERE = pathlib.Path(__file__).with_name("conftest.py")
_SPEC = importlib.util.spec_from_file_location("kernel_tests_conftest", _HERE)
assert _SPEC is not None and _SPEC.loader is not None
_CONF = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_CONF)  # (a plain "import conftest" may find another directory's)
check_invariants = _CONF.check_invariants
read_tree = _CONF.read_tree


async def _quiet(argv: list[str]) -> int:
    await sys.getpid()
    return 0


def test_a_clean_machine_passes() -> None:
    check_invariants(run_main(_quiet).kernel)


def test_a_leaked_anonymous_frame_is_caught() -> None:
    k = run_main(_quiet).kernel
    k.frames.alloc_page("anon")  # in use, mapped by nobody
    with pytest.raises(AssertionError, match="anonymous frames in use"):
        check_invariants(k)


def test_a_frame_counted_under_no_kind_is_caught() -> None:
    k = run_main(_quiet).kernel
    k.frames.buddy.alloc(0)  # taken from the buddy allocator behind the records' back
    with pytest.raises(AssertionError, match="frames: .* in use"):
        check_invariants(k)


def test_an_orphaned_zombie_is_caught() -> None:
    k = run_main(_quiet).kernel
    init = k.procs.procs[1]
    init.state = ZOMBIE
    init.ppid = 77  # a parent that does not exist
    with pytest.raises(AssertionError, match="zombie 1 left behind"):
        check_invariants(k)


def test_a_proc_file_that_raises_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from kernel.fs import procfs

    k = run_main(_quiet).kernel
    assert read_tree_count(k) > 50  # /proc/1/*, the machine-wide files, /sys

    def broken(self: object) -> str:
        raise KeyError("simulated procfs bug")

    monkeypatch.setattr(procfs.ProcFS, "uptime", broken, raising=False)
    with pytest.raises(AssertionError, match="/proc/uptime: reading it raised KeyError"):
        check_invariants(k)


def read_tree_count(k: object) -> int:
    return sum(
        read_tree(m.fs.root, m.target)
        for m in k.root_ns.mounts  # type: ignore[attr-defined]
        if m.fs.fstype in ("proc", "sysfs")
    )
