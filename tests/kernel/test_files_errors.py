"""Files: bad arguments give an errno, never a traceback; the descriptor limit (EMFILE),
path component errors, and the host reading the machine's files."""

from __future__ import annotations

from typing import Any

import pytest
from ksim import check, errno_of
from test_files import put

from kernel.abi import (
    EBADF,
    EFAULT,
    EINVAL,
    EISDIR,
    ENOENT,
    ENOTDIR,
    O_CREAT,
    O_RDONLY,
    O_WRONLY,
    Error,
    checkpoint,
)
from kernel.host import HostClient
from userland.libk import sys

# ------------------------------------------------------------------ bad arguments


def test_bad_arguments_give_errno_not_tracebacks() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["read_str_fd"] = await errno_of(sys.read("x", 1))
        seen["read_neg_fd"] = await errno_of(sys.read(-1, 1))
        seen["read_neg_count"] = await errno_of(sys.read(0, -5))
        seen["read_bool"] = await errno_of(sys.read(0, 1.5))
        seen["open_int"] = await errno_of(sys.open(123))
        seen["open_none"] = await errno_of(sys.open(None))
        seen["open_nul"] = await errno_of(sys.open("/etc/host\0name"))
        seen["open_flags_str"] = await errno_of(sys.open("/etc/hostname", "r"))
        seen["no_args"] = await errno_of(sys.open())
        seen["too_many"] = await errno_of(sys.getpid(1))
        seen["too_many_read"] = await errno_of(sys.read(0, 1, 2))
        seen["write_str"] = await errno_of(sys.write(1, "text"))
        seen["write_int"] = await errno_of(sys.write(1, 5))
        seen["spawn_argv"] = await errno_of(sys.spawn("/bin/true", "true"))
        seen["spawn_env"] = await errno_of(sys.spawn("/bin/true", ["t"], {"A=B": "c"}))
        seen["kill_str"] = await errno_of(sys.kill("1", 9))
        seen["unknown_nr"] = await errno_of(sys.syscall(999))
        seen["ioctl_file"] = await errno_of(sys.ioctl(await sys.open("/etc/hostname"), 0x5401))
        seen["fcntl_cmd"] = await errno_of(sys.fcntl(0, 99))
        seen["long_name"] = await errno_of(sys.open("/tmp/" + "n" * 300, O_CREAT | O_WRONLY))
        seen["long_path"] = await errno_of(sys.stat("/" + "a/" * 3000))
        seen["alive"] = await sys.getpid()
        return 0

    r = check(main)
    assert r.kernel.panic_report is None
    assert seen["read_str_fd"] == EBADF
    assert seen["read_neg_fd"] == EBADF
    assert seen["read_neg_count"] == EINVAL
    assert seen["read_bool"] == EINVAL
    assert seen["open_int"] == EFAULT
    assert seen["open_none"] == EFAULT
    assert seen["open_nul"] == EINVAL
    assert seen["open_flags_str"] == EINVAL
    assert seen["no_args"] == EINVAL
    assert seen["too_many"] == EINVAL
    assert seen["too_many_read"] == EINVAL
    assert seen["write_str"] == EFAULT
    assert seen["write_int"] == EFAULT
    assert seen["spawn_argv"] == EFAULT
    assert seen["spawn_env"] == EFAULT
    assert seen["kill_str"] == EINVAL
    assert seen["unknown_nr"] == 38  # ENOSYS
    assert seen["ioctl_file"] == 25  # ENOTTY
    assert seen["fcntl_cmd"] == EINVAL
    assert seen["long_name"] == 36  # ENAMETOOLONG
    assert seen["long_path"] == 36


def test_wrong_argument_count_message_names_the_call() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        try:
            await sys.read(0)
        except Error as err:
            seen["msg"] = err.message
        return 0

    check(main)
    assert "read" in seen["msg"]


@pytest.mark.parametrize("bad", [b"bytes", 3.5, [1], {"a": 1}, None, True])
def test_path_arguments_of_wrong_type_are_efault(bad: Any) -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["stat"] = await errno_of(sys.stat(bad))
        seen["mkdir"] = await errno_of(sys.mkdir(bad))
        seen["chdir"] = await errno_of(sys.chdir(bad))
        return 0

    check(main)
    assert seen == {"stat": EFAULT, "mkdir": EFAULT, "chdir": EFAULT}


def test_many_opens_hit_emfile() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        fds = []
        try:
            while True:
                fds.append(await sys.open("/dev/null"))
                await checkpoint()
        except Error as err:
            seen["errno"] = err.errno
        seen["count"] = len(fds)
        for fd in fds:
            await sys.close(fd)
        seen["again"] = await sys.open("/dev/null")
        return 0

    check(main)
    assert seen["errno"] == 24  # EMFILE
    assert seen["count"] == 1024 - 3
    assert seen["again"] == 3


def test_host_reads_the_machine_files() -> None:
    async def main(argv: list[str]) -> int:
        await put("/tmp/hello", b"hi there")
        return 0

    r = check(main)
    host = HostClient(r.kernel)
    assert host.read_file("/tmp/hello") == b"hi there"
    assert "hello" in host.listdir("/tmp")


def test_directory_and_path_component_errors() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/etc", O_RDONLY)
        seen["read_dir"] = await errno_of(sys.read(fd, 10))
        seen["component_file"] = await errno_of(sys.open("/etc/hostname/x"))
        seen["stat_component_file"] = await errno_of(sys.stat("/etc/hostname/x"))
        seen["create_in_missing"] = await errno_of(sys.open("/nope/x", O_CREAT | O_WRONLY))
        seen["creat_dir_path"] = await errno_of(sys.open("/tmp/newdir/", O_CREAT | O_WRONLY))
        return 0

    check(main)
    assert seen["read_dir"] == EISDIR
    assert seen["component_file"] == ENOTDIR
    assert seen["stat_component_file"] == ENOTDIR
    assert seen["create_in_missing"] == ENOENT
    assert seen["creat_dir_path"] == EISDIR
