"""Files: open flags, descriptors (dup, close-on-exec, fcntl) and seeking.

Directories and links are in test_files_dirs.py, attributes and devices in
test_files_attrs.py, pipes in test_files_pipes.py, bad arguments in test_files_errors.py.
"""

from __future__ import annotations

from typing import Any

from ksim import check, errno_of, register

from kernel.abi import (
    EAGAIN,
    EBADF,
    EEXIST,
    EINVAL,
    EISDIR,
    ELOOP,
    ENOENT,
    ENOTDIR,
    ESPIPE,
    F_DUPFD,
    F_GETFD,
    F_GETFL,
    F_SETFD,
    F_SETFL,
    FD_CLOEXEC,
    O_APPEND,
    O_CLOEXEC,
    O_CREAT,
    O_DIRECTORY,
    O_EXCL,
    O_NOFOLLOW,
    O_NONBLOCK,
    O_RDONLY,
    O_RDWR,
    O_TRUNC,
    O_WRONLY,
    SEEK_CUR,
    SEEK_END,
    SEEK_SET,
)
from userland.libk import io as kio
from userland.libk import sys


async def put(path: str, data: bytes, mode: int = 0o644) -> None:
    fd = await sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
    await kio.write_all(fd, data)
    await sys.close(fd)


# ------------------------------------------------------------------ open flags


def test_open_flags() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await put("/tmp/f", b"hello world")
        seen["excl"] = await errno_of(sys.open("/tmp/f", O_WRONLY | O_CREAT | O_EXCL))
        seen["noent"] = await errno_of(sys.open("/tmp/none"))
        seen["dir_on_file"] = await errno_of(sys.open("/tmp/f", O_DIRECTORY))
        seen["write_dir"] = await errno_of(sys.open("/tmp", O_WRONLY))
        seen["trailing_slash"] = await errno_of(sys.open("/tmp/f/"))
        seen["accmode"] = await errno_of(sys.open("/tmp/f", 3))
        fd = await sys.open("/tmp/f", O_WRONLY | O_APPEND)
        await sys.write(fd, b"!")
        await sys.lseek(fd, 0, SEEK_SET)
        await sys.write(fd, b"?")  # O_APPEND: always at the end
        await sys.close(fd)
        seen["appended"] = await kio.read_file("/tmp/f")
        fd = await sys.open("/tmp/f", O_RDONLY)
        seen["write_rdonly"] = await errno_of(sys.write(fd, b"x"))
        await sys.close(fd)
        fd = await sys.open("/tmp/f", O_WRONLY)
        seen["read_wronly"] = await errno_of(sys.read(fd, 1))
        await sys.write(fd, b"J")  # overwrite in place, no truncation
        await sys.close(fd)
        seen["overwritten"] = await kio.read_file("/tmp/f")
        fd = await sys.open("/tmp/f", O_WRONLY | O_TRUNC)
        await sys.close(fd)
        seen["truncated"] = await kio.read_file("/tmp/f")
        fd = await sys.open("/tmp/new", O_RDWR | O_CREAT | O_EXCL, 0o600)
        await sys.write(fd, b"abc")
        await sys.lseek(fd, 0, SEEK_SET)
        seen["rdwr"] = await sys.read(fd, 10)
        seen["new_mode"] = (await sys.fstat(fd)).st_mode & 0o7777
        return 0

    check(main)
    assert seen["excl"] == EEXIST
    assert seen["noent"] == ENOENT
    assert seen["dir_on_file"] == ENOTDIR
    assert seen["write_dir"] == EISDIR
    assert seen["trailing_slash"] == ENOTDIR
    assert seen["accmode"] == EINVAL
    assert seen["appended"] == b"hello world!?"
    assert seen["write_rdonly"] == EBADF
    assert seen["read_wronly"] == EBADF
    assert seen["overwritten"] == b"Jello world!?"
    assert seen["truncated"] == b""
    assert seen["rdwr"] == b"abc"
    assert seen["new_mode"] == 0o600


def test_o_excl_does_not_follow_a_dangling_symlink() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.symlink("/tmp/target", "/tmp/dangling")
        seen["excl"] = await errno_of(sys.open("/tmp/dangling", O_WRONLY | O_CREAT | O_EXCL))
        seen["target_exists"] = await errno_of(sys.stat("/tmp/target"))
        seen["nofollow"] = await errno_of(sys.open("/tmp/dangling", O_RDONLY | O_NOFOLLOW))
        return 0

    check(main)
    assert seen["excl"] == EEXIST
    assert seen["target_exists"] == ENOENT
    assert seen["nofollow"] == ELOOP


def test_o_creat_through_a_dangling_symlink_creates_the_target() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.symlink("/tmp/target", "/tmp/dangling")
        seen["open"] = await errno_of(sys.open("/tmp/dangling", O_WRONLY | O_CREAT))
        seen["created"] = await errno_of(sys.stat("/tmp/target"))
        return 0

    check(main)
    assert seen["open"] == 0
    assert seen["created"] == 0


def test_nonblocking_pipe() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe(O_NONBLOCK)
        seen["empty"] = await errno_of(sys.read(r, 10))
        seen["flags"] = await sys.fcntl(r, F_GETFL) & O_NONBLOCK
        await sys.write(w, b"x" * 65536)
        seen["full"] = await errno_of(sys.write(w, b"y"))
        r2, w2 = await sys.pipe()
        await sys.fcntl(r2, F_SETFL, O_NONBLOCK)
        seen["setfl"] = await errno_of(sys.read(r2, 10))
        await sys.fcntl(r2, F_SETFL, 0)
        seen["cleared"] = await sys.fcntl(r2, F_GETFL) & O_NONBLOCK
        return 0

    check(main)
    assert seen["empty"] == EAGAIN
    assert seen["flags"] == O_NONBLOCK
    assert seen["full"] == EAGAIN
    assert seen["setfl"] == EAGAIN
    assert seen["cleared"] == 0


# ------------------------------------------------------------------ descriptors


def test_dup_dup2_and_shared_offsets() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await put("/tmp/f", b"0123456789")
        fd = await sys.open("/tmp/f")
        d = await sys.dup(fd)
        seen["dup_lowest"] = d == fd + 1
        await sys.read(fd, 3)
        seen["shared"] = await sys.read(d, 3)
        seen["dup2"] = await sys.dup2(fd, 9)
        seen["dup2_read"] = await sys.read(9, 2)
        seen["dup2_same"] = await sys.dup2(9, 9)
        seen["dup2_bad"] = await errno_of(sys.dup2(42, 10))
        seen["dup2_range"] = await errno_of(sys.dup2(fd, 100000))
        await sys.close(fd)
        seen["still_open"] = await sys.read(d, 2)
        seen["closed"] = await errno_of(sys.read(fd, 1))
        seen["close_twice"] = await errno_of(sys.close(fd))
        seen["f_dupfd"] = await sys.fcntl(d, F_DUPFD, 20)
        seen["dup_bad"] = await errno_of(sys.dup(55))
        # Independent opens do not share offsets.
        a = await sys.open("/tmp/f")
        b = await sys.open("/tmp/f")
        await sys.read(a, 5)
        seen["independent"] = await sys.read(b, 2)
        return 0

    check(main)
    assert seen["dup_lowest"]
    assert seen["shared"] == b"345"
    assert seen["dup2"] == 9
    assert seen["dup2_read"] == b"67"
    assert seen["dup2_same"] == 9
    assert seen["dup2_bad"] == EBADF
    assert seen["dup2_range"] == EBADF
    assert seen["still_open"] == b"89"
    assert seen["closed"] == EBADF
    assert seen["close_twice"] == EBADF
    assert seen["f_dupfd"] == 20
    assert seen["dup_bad"] == EBADF
    assert seen["independent"] == b"01"


def test_close_on_exec_across_spawn() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        seen["child"] = {int(a): await errno_of(sys.fstat(int(a))) for a in argv[1:]}
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        plain = await sys.open("/etc/hostname")
        cloexec = await sys.open("/etc/hostname", O_RDONLY | O_CLOEXEC)
        via_fcntl = await sys.open("/etc/hostname")
        await sys.fcntl(via_fcntl, F_SETFD, FD_CLOEXEC)
        seen["getfd"] = (
            await sys.fcntl(plain, F_GETFD),
            await sys.fcntl(cloexec, F_GETFD),
            await sys.fcntl(via_fcntl, F_GETFD),
        )
        duped = await sys.dup(cloexec)  # dup clears close-on-exec
        dup2ed = await sys.dup2(cloexec, 12)
        seen["dup_flags"] = (await sys.fcntl(duped, F_GETFD), await sys.fcntl(dup2ed, F_GETFD))
        cleared = await sys.open("/etc/hostname", O_RDONLY | O_CLOEXEC)
        await sys.fcntl(cleared, F_SETFD, 0)
        fds = [plain, cloexec, via_fcntl, duped, dup2ed, cleared]
        pid = await sys.spawn(cpath, ["c", *map(str, fds)])
        await sys.wait4(pid)
        seen["fds"] = fds
        seen["parent_still"] = await errno_of(sys.fstat(cloexec))
        return 0

    check(main)
    plain, cloexec, via_fcntl, duped, dup2ed, cleared = seen["fds"]
    assert seen["getfd"] == (0, FD_CLOEXEC, FD_CLOEXEC)
    assert seen["dup_flags"] == (0, 0)
    assert seen["child"] == {
        plain: 0,
        cloexec: EBADF,
        via_fcntl: EBADF,
        duped: 0,
        dup2ed: 0,
        cleared: 0,
    }
    assert seen["parent_still"] == 0


def test_spawn_dup2_action_onto_itself_clears_close_on_exec() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        seen["child"] = await errno_of(sys.fstat(int(argv[1])))
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/etc/hostname", O_RDONLY | O_CLOEXEC)
        pid = await sys.spawn(cpath, ["c", str(fd)], None, None, [("dup2", fd, fd)])
        await sys.wait4(pid)
        return 0

    check(main)
    assert seen["child"] == 0


def test_lseek() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await put("/tmp/f", b"0123456789")
        fd = await sys.open("/tmp/f", O_RDWR)
        seen["end"] = await sys.lseek(fd, 0, SEEK_END)
        seen["cur"] = await sys.lseek(fd, -4, SEEK_CUR)
        seen["read"] = await sys.read(fd, 2)
        seen["set"] = await sys.lseek(fd, 1, SEEK_SET)
        seen["read2"] = await sys.read(fd, 1)
        seen["negative"] = await errno_of(sys.lseek(fd, -1, SEEK_SET))
        seen["whence"] = await errno_of(sys.lseek(fd, 0, 7))
        seen["beyond"] = await sys.lseek(fd, 15, SEEK_SET)
        seen["read_beyond"] = await sys.read(fd, 5)
        await sys.write(fd, b"X")  # a hole filled with zeros
        await sys.close(fd)
        seen["content"] = await kio.read_file("/tmp/f")
        r, w = await sys.pipe()
        seen["pipe"] = await errno_of(sys.lseek(r, 0, SEEK_SET))
        seen["pipe_w"] = await errno_of(sys.lseek(w, 0, SEEK_CUR))
        null = await sys.open("/dev/console", O_RDWR)
        seen["tty"] = await errno_of(sys.lseek(null, 0, SEEK_SET))
        return 0

    check(main)
    assert seen["end"] == 10
    assert seen["cur"] == 6
    assert seen["read"] == b"67"
    assert seen["set"] == 1
    assert seen["read2"] == b"1"
    assert seen["negative"] == EINVAL
    assert seen["whence"] == EINVAL
    assert seen["beyond"] == 15
    assert seen["read_beyond"] == b""
    assert seen["content"] == b"0123456789" + bytes(5) + b"X"
    assert seen["pipe"] == ESPIPE
    assert seen["pipe_w"] == ESPIPE
    assert seen["tty"] == ESPIPE


def test_f_dupfd_range_is_einval() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["negative"] = await errno_of(sys.fcntl(0, F_DUPFD, -1))
        seen["too_big"] = await errno_of(sys.fcntl(0, F_DUPFD, 5000))
        return 0

    check(main)
    assert seen == {"negative": EINVAL, "too_big": EINVAL}
