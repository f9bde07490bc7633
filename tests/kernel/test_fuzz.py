"""The system-call fuzzer in CI, and the regression tests of what fuzzing found.

A hypothesis state machine (fixed seed, bounded steps) drives every call in the table
with valid and hostile arguments, from a program on the machine (the calls that end
the caller in children, thread_exit in a thread) and from the host client; no call may
panic the machine or escape as anything but ``kernel.abi.Error``. The engine is shared
with the long runner, ``tests/fuzz/run_fuzz.py``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from ksim import check, errno_of

from kernel.abi import (
    EFAULT,
    EINVAL,
    ENAMETOOLONG,
    EPERM,
    SYSCALL_BY_NAME,
    SYSCALLS,
    Req,
)
from kernel.manpages import syscall_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))

from engine import Fuzzer, arguments, random_call  # noqa: E402

NAMES = sorted(s.name for s in SYSCALLS)


class SyscallFuzz(RuleBasedStateMachine):
    """Random calls on one machine (replaced when it halts or a call blocks for good)."""

    def __init__(self) -> None:
        super().__init__()
        self.fuzzer = Fuzzer()

    @rule(seed=st.integers(0, 1 << 32), n=st.integers(1, 12))
    def machine_calls(self, seed: int, n: int) -> None:
        r = random.Random(seed)
        self.fuzzer.machine_calls([random_call(r) for _ in range(n)])

    @rule(name=st.sampled_from(NAMES), seed=st.integers(0, 1 << 32))
    def machine_call(self, name: str, seed: int) -> None:
        self.fuzzer.machine_calls([(name, arguments(random.Random(seed), name))])

    @rule(name=st.sampled_from(NAMES), seed=st.integers(0, 1 << 32))
    def host_call(self, name: str, seed: int) -> None:
        self.fuzzer.host_call(name, arguments(random.Random(seed), name))

    @invariant()
    def nothing_broke(self) -> None:
        stats = self.fuzzer.stats
        assert stats.panics == 0 and stats.escaped == 0, "\n".join(stats.reports)


SyscallFuzz.TestCase.settings = settings(
    derandomize=True,
    max_examples=12,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
TestSyscallFuzz = SyscallFuzz.TestCase


def test_every_call_once_from_both_sides() -> None:
    """Each call of the table with hostile arguments, on the machine and from the host."""
    fuzzer = Fuzzer()
    r = random.Random(14)
    for name in NAMES:
        for _ in range(3):
            fuzzer.machine_calls([(name, arguments(r, name))])
            fuzzer.host_call(name, arguments(r, name))
    stats = fuzzer.stats
    assert stats.panics == 0 and stats.escaped == 0, "\n".join(stats.reports)


# -- regressions: what fuzzing found -------------------------------------------------


def test_none_for_a_string_is_efault() -> None:
    """sethostname(None) and klog(None) panicked the kernel (issue 14)."""

    async def main(argv: list[str]) -> int:
        for name in ("sethostname", "klog", "memfd_create"):
            assert await errno_of(Req(SYSCALL_BY_NAME[name].nr, (None,))) == EFAULT, name
        assert await errno_of(Req(SYSCALL_BY_NAME["open"].nr, (None,))) == EFAULT
        return 0

    check(main)


def test_rename_in_proc_is_eperm() -> None:
    """rename("/proc/self", "/proc/1/status") panicked with a KeyError in procfs."""

    async def main(argv: list[str]) -> int:
        rename = SYSCALL_BY_NAME["rename"].nr
        assert await errno_of(Req(rename, ("/proc/self", "/proc/1/status"))) == EPERM
        assert await errno_of(Req(rename, ("/proc/1/status", "/proc/1/stat"))) == EPERM
        chmod = SYSCALL_BY_NAME["chmod"].nr
        assert await errno_of(Req(chmod, ("/proc/1/status", 0o777))) == EPERM
        assert await errno_of(Req(chmod, ("/proc/1", 0o777))) == EPERM
        return 0

    check(main)


def test_names_too_long() -> None:
    """ENAMETOOLONG for a path of PATH_MAX or a component past NAME_MAX."""

    async def main(argv: list[str]) -> int:
        stat = SYSCALL_BY_NAME["stat"].nr
        assert await errno_of(Req(stat, ("/tmp/" + "a" * 256,))) == ENAMETOOLONG
        assert await errno_of(Req(stat, ("/" + "b/" * 2048,))) == ENAMETOOLONG
        assert await errno_of(Req(stat, ("/tmp/" + "a" * 255,))) != ENAMETOOLONG
        return 0

    check(main)


@pytest.mark.parametrize(
    ("name", "args", "errno"),
    [
        ("mmap", (1 << 64, 4096, 3, 0x22), EINVAL),
        ("munmap", (-4096, 4096), EINVAL),
        ("umask", (1 << 70,), EINVAL),
        ("getpgid", (1 << 63,), EINVAL),
        ("close", (1 << 31,), 9),
        ("close", (True,), 9),
        ("spawn", ("/bin/true", ["true", "a\0b"]), EINVAL),
    ],
)
def test_out_of_range_arguments(name: str, args: tuple[Any, ...], errno: int) -> None:
    """Ints past 64 bits, fds past 2**31-1, bools and NULs fail with Linux's errno."""

    async def main(argv: list[str]) -> int:
        assert await errno_of(Req(SYSCALL_BY_NAME[name].nr, args)) == errno
        return 0

    check(main)


def test_optional_arguments_in_the_manual() -> None:
    page = syscall_page(SYSCALL_BY_NAME["mount"])
    assert "data       str, or None (default None)" in page
    assert "source     str\n" in page


def test_init_gets_only_the_signals_it_catches() -> None:
    """kill(1, sig) with a default disposition panicked the machine ("Attempted to kill
    init"); Linux drops such signals (SIGNAL_UNKILLABLE), SIGKILL and SIGSTOP included."""

    async def main(argv: list[str]) -> int:
        kill = SYSCALL_BY_NAME["kill"].nr
        for sig in (9, 19, 10, 14, 15, 18, 11):
            assert await errno_of(Req(kill, (1, sig))) == 0
        return 0

    r = check(main)
    assert r.kernel.panic_report is None


def test_init_cannot_be_asked_to_leave() -> None:
    """thread_request_exit(1) interrupted init's wait4 with EINTR, init died and the
    machine panicked ("Attempted to kill init"): another process gets EPERM."""

    async def main(argv: list[str]) -> int:
        assert await errno_of(Req(SYSCALL_BY_NAME["thread_request_exit"].nr, (1,))) == EPERM
        return 0

    r = check(main)
    assert r.kernel.panic_report is None
