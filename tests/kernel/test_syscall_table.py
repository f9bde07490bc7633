"""The system-call table: the ABI's specs, their handlers, and the one error type."""

from __future__ import annotations

import pytest
from ksim import discard

from kernel import abi, syscall
from kernel.abi import SYSCALL_BY_NAME, SYSCALL_BY_NR, SYSCALLS, Error
from kernel.boot import boot
from userland.libk import sys as libk_sys


def test_every_spec_has_a_handler() -> None:
    found = syscall.handlers()
    missing = [s.name for s in SYSCALLS if s.name not in found]
    assert missing == []


def test_every_handler_has_a_spec() -> None:
    extra = [name for name in syscall.handlers() if name not in SYSCALL_BY_NAME]
    assert extra == []


def test_numbers_and_names_are_unique() -> None:
    numbers = [s.nr for s in SYSCALLS]
    names = [s.name for s in SYSCALLS]
    assert len(set(numbers)) == len(numbers)
    assert len(set(names)) == len(names)
    assert len(SYSCALL_BY_NR) == len(SYSCALLS) == len(SYSCALL_BY_NAME)


def test_number_zero_is_reserved_for_checkpoint() -> None:
    assert abi.CHECKPOINT == 0
    assert all(s.nr > 0 for s in SYSCALLS)
    assert abi.checkpoint().nr == 0


@pytest.mark.parametrize("spec", SYSCALLS, ids=lambda s: s.name)
def test_spec_is_well_formed(spec: abi.SyscallSpec) -> None:
    assert spec.summary.strip()
    assert spec.name.isidentifier()
    arg_names = [a.name for a in spec.args]
    assert len(set(arg_names)) == len(arg_names)
    for a in spec.args:
        assert a.kind in syscall.CHECKS, a
    # Required arguments come first: defaults only at the end.
    required = [a.default is ... for a in spec.args]
    assert required == sorted(required, reverse=True)


def test_booted_table_binds_every_spec() -> None:
    k = boot()
    for spec in SYSCALLS:
        entry = k.table[spec.nr]
        assert entry is not None
        assert entry.name == spec.name
        assert entry.spec is spec
    assert len(k.syscount) == len(k.table)
    discard(k)


def test_userland_wrappers_match_the_table() -> None:
    for spec in SYSCALLS:
        wrapper = getattr(libk_sys, spec.name)
        call = wrapper(1, 2)
        if isinstance(call, abi.Req):
            req = call
        else:  # a generator-based coroutine that yields the request
            req = call.send(None)
            call.close()
        assert isinstance(req, abi.Req)
        assert req.nr == spec.nr
        assert req.args == (1, 2)
        assert spec.summary in wrapper.__doc__
        assert wrapper.__name__ == spec.name


def test_raw_syscall_by_number() -> None:
    req = libk_sys.syscall(abi.SYSCALL_BY_NAME["getpid"].nr)
    assert isinstance(req, abi.Req)
    assert req.args == ()
    assert "getpid" in repr(req)


def test_error_carries_errno_and_message() -> None:
    err = Error(abi.ENOENT)
    assert err.errno == abi.ENOENT == 2
    assert err.message == "No such file or directory" == str(err)
    assert err.name == "ENOENT"
    assert "ENOENT" in repr(err)
    custom = Error(abi.EINVAL, "read: takes 2 arguments, got 3")
    assert custom.errno == abi.EINVAL
    assert custom.message == "read: takes 2 arguments, got 3"
    assert isinstance(custom, Exception)


def test_errno_table_is_consistent() -> None:
    assert len(set(abi.ERRNO_NAMES)) == len(abi.ERRNO_NAMES)
    for num, name in abi.ERRNO_NAMES.items():
        assert getattr(abi, name) == num
        assert abi.strerror(num) == abi.ERRNO_MESSAGES[num]
    assert abi.strerror(9999) == "Unknown error 9999"
    assert "never killed" in abi.strerror(abi.EISTHREAD)


def test_wait_status_macros() -> None:
    st = abi.W_EXITCODE(3)
    assert abi.WIFEXITED(st) and abi.WEXITSTATUS(st) == 3
    assert not abi.WIFSIGNALED(st)
    st = abi.W_EXITCODE(0, abi.SIGKILL)
    assert abi.WIFSIGNALED(st) and abi.WTERMSIG(st) == abi.SIGKILL
    assert not abi.WIFEXITED(st) and not abi.WCOREDUMP(st)
    st = abi.W_STOPCODE(abi.SIGTSTP)
    assert abi.WIFSTOPPED(st) and abi.WSTOPSIG(st) == abi.SIGTSTP
    assert not abi.WIFSIGNALED(st) and not abi.WIFEXITED(st)
    assert abi.WIFCONTINUED(abi.W_CONTINUED)


def test_signal_number_parsing() -> None:
    assert abi.signal_number("TERM") == abi.SIGTERM
    assert abi.signal_number("sigkill") == abi.SIGKILL
    assert abi.signal_number("2") == abi.SIGINT
    with pytest.raises(Error) as info:
        abi.signal_number("NOPE")
    assert info.value.errno == abi.EINVAL
