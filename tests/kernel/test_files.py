"""Files: open flags, descriptors, seeking, directories, names, links, attributes,
permissions, devices, pipes, and bad arguments (errno, never a traceback)."""

from __future__ import annotations

from typing import Any

import pytest
from ksim import MS, SECOND, check, errno_of, register

from kernel.abi import (
    EACCES,
    EAGAIN,
    EBADF,
    EEXIST,
    EFAULT,
    EINVAL,
    EISDIR,
    ELOOP,
    ENOENT,
    ENOTDIR,
    ENOTEMPTY,
    EPERM,
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
    S_ISDIR,
    S_ISLNK,
    S_ISREG,
    SEEK_CUR,
    SEEK_END,
    SEEK_SET,
    Error,
    SpawnAttr,
    checkpoint,
)
from kernel.host import HostClient
from userland.libk import io as kio
from userland.libk import sys


async def put(path: str, data: bytes, mode: int = 0o644) -> None:
    fd = await sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
    await kio.write_all(fd, data)
    await sys.close(fd)


async def listdir(path: str) -> list[str]:
    fd = await sys.open(path, O_RDONLY | O_DIRECTORY)
    names = []
    while batch := await sys.getdents(fd):
        names += [d.d_name for d in batch]
    await sys.close(fd)
    return names


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


# ------------------------------------------------------------------ directories


def test_getdents_mkdir_rmdir() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.mkdir("/tmp/d")
        await sys.mkdir("/tmp/d/sub")
        await put("/tmp/d/file", b"")
        await sys.symlink("file", "/tmp/d/link")
        fd = await sys.open("/tmp/d", O_RDONLY | O_DIRECTORY)
        entries = []
        while batch := await sys.getdents(fd):
            entries += batch
        seen["entries"] = {e.d_name: e.d_type for e in entries}
        seen["ino_dot"] = next(e.d_ino for e in entries if e.d_name == ".")
        seen["ino_d"] = (await sys.stat("/tmp/d")).st_ino
        seen["ino_dotdot"] = next(e.d_ino for e in entries if e.d_name == "..")
        seen["ino_tmp"] = (await sys.stat("/tmp")).st_ino
        await sys.lseek(fd, 0, SEEK_SET)
        seen["rewound"] = len(await sys.getdents(fd))
        seen["getdents_file"] = await errno_of(sys.getdents(await sys.open("/tmp/d/file")))
        seen["mkdir_exists"] = await errno_of(sys.mkdir("/tmp/d"))
        seen["mkdir_noparent"] = await errno_of(sys.mkdir("/tmp/x/y"))
        seen["mkdir_under_file"] = await errno_of(sys.mkdir("/tmp/d/file/z"))
        seen["rmdir_notempty"] = await errno_of(sys.rmdir("/tmp/d"))
        seen["rmdir_file"] = await errno_of(sys.rmdir("/tmp/d/file"))
        seen["unlink_dir"] = await errno_of(sys.unlink("/tmp/d/sub"))
        seen["nlink"] = (await sys.stat("/tmp/d")).st_nlink
        await sys.rmdir("/tmp/d/sub")
        seen["nlink_after"] = (await sys.stat("/tmp/d")).st_nlink
        seen["gone"] = await errno_of(sys.stat("/tmp/d/sub"))
        seen["rmdir_root"] = await errno_of(sys.rmdir("/"))
        seen["rmdir_mountpoint"] = await errno_of(sys.rmdir("/proc"))
        return 0

    check(main)
    assert seen["entries"] == {".": 4, "..": 4, "sub": 4, "file": 8, "link": 10}
    assert seen["ino_dot"] == seen["ino_d"]
    assert seen["ino_dotdot"] == seen["ino_tmp"]
    assert seen["rewound"] == 5
    assert seen["getdents_file"] == ENOTDIR
    assert seen["mkdir_exists"] == EEXIST
    assert seen["mkdir_noparent"] == ENOENT
    assert seen["mkdir_under_file"] == ENOTDIR
    assert seen["rmdir_notempty"] == ENOTEMPTY
    assert seen["rmdir_file"] == ENOTDIR
    assert seen["unlink_dir"] == EISDIR
    assert seen["nlink"] == 3
    assert seen["nlink_after"] == 2
    assert seen["gone"] == ENOENT
    assert seen["rmdir_root"] != 0
    assert seen["rmdir_mountpoint"] != 0


def test_rmdir_of_dot_is_einval() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.mkdir("/tmp/d")
        await sys.mkdir("/tmp/d/sub")
        seen["rmdir_dot"] = await errno_of(sys.rmdir("/tmp/d/sub/."))
        seen["still_there"] = await errno_of(sys.stat("/tmp/d/sub"))
        return 0

    check(main)
    assert seen["rmdir_dot"] == EINVAL
    assert seen["still_there"] == 0


def test_unlinked_open_file_stays_readable() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await put("/tmp/f", b"still here")
        fd = await sys.open("/tmp/f", O_RDWR)
        await sys.unlink("/tmp/f")
        seen["gone"] = await errno_of(sys.stat("/tmp/f"))
        seen["nlink"] = (await sys.fstat(fd)).st_nlink
        seen["data"] = await sys.read(fd, 100)
        await sys.write(fd, b"!")
        await sys.lseek(fd, 0, SEEK_SET)
        seen["data2"] = await sys.read(fd, 100)
        seen["unlink_again"] = await errno_of(sys.unlink("/tmp/f"))
        return 0

    check(main)
    assert seen["gone"] == ENOENT
    assert seen["nlink"] == 0
    assert seen["data"] == b"still here"
    assert seen["data2"] == b"still here!"
    assert seen["unlink_again"] == ENOENT


def test_rename() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await put("/tmp/a", b"A")
        await put("/tmp/b", b"B")
        ino = (await sys.stat("/tmp/a")).st_ino
        await sys.rename("/tmp/a", "/tmp/b")
        seen["over"] = (await kio.read_file("/tmp/b"), (await sys.stat("/tmp/b")).st_ino == ino)
        seen["old_gone"] = await errno_of(sys.stat("/tmp/a"))
        await sys.mkdir("/tmp/d")
        await sys.mkdir("/tmp/d/sub")
        seen["into_self"] = await errno_of(sys.rename("/tmp/d", "/tmp/d/sub/x"))
        seen["onto_self"] = await errno_of(sys.rename("/tmp/d", "/tmp/d"))
        seen["file_over_dir"] = await errno_of(sys.rename("/tmp/b", "/tmp/d"))
        seen["dir_over_file"] = await errno_of(sys.rename("/tmp/d", "/tmp/b"))
        await put("/tmp/d/sub/f", b"")
        await sys.mkdir("/tmp/e")
        seen["dir_over_full_dir"] = await errno_of(sys.rename("/tmp/e", "/tmp/d"))
        await sys.rename("/tmp/d/sub", "/tmp/e")  # over an empty directory
        seen["moved_dir"] = await listdir("/tmp/e")
        seen["noent"] = await errno_of(sys.rename("/tmp/none", "/tmp/x"))
        seen["xdev"] = await errno_of(sys.rename("/tmp/b", "/etc/b"))
        await sys.rename("/tmp/b", "/tmp/e/b2")
        seen["moved"] = await kio.read_file("/tmp/e/b2")
        # The working directory moves with its directory.
        await sys.chdir("/tmp/e")
        await sys.rename("/tmp/e", "/tmp/renamed")
        seen["cwd"] = await sys.getcwd()
        return 0

    check(main)
    assert seen["over"] == (b"A", True)
    assert seen["old_gone"] == ENOENT
    assert seen["into_self"] == EINVAL
    assert seen["onto_self"] == 0
    assert seen["file_over_dir"] == EISDIR
    assert seen["dir_over_file"] == ENOTDIR
    assert seen["dir_over_full_dir"] == ENOTEMPTY
    assert sorted(seen["moved_dir"]) == [".", "..", "f"]
    assert seen["noent"] == ENOENT
    assert seen["xdev"] == 18  # EXDEV: /tmp is its own tmpfs
    assert seen["moved"] == b"A"
    assert seen["cwd"] == "/tmp/renamed"


def test_links_and_symlinks() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await put("/tmp/f", b"data")
        await sys.link("/tmp/f", "/tmp/hard")
        st = await sys.stat("/tmp/f")
        seen["nlink"] = st.st_nlink
        seen["same_ino"] = (await sys.stat("/tmp/hard")).st_ino == st.st_ino
        await sys.unlink("/tmp/f")
        seen["via_hard"] = await kio.read_file("/tmp/hard")
        seen["nlink_after"] = (await sys.stat("/tmp/hard")).st_nlink
        seen["link_dir"] = await errno_of(sys.link("/tmp", "/tmp/dirlink"))
        seen["link_exists"] = await errno_of(sys.link("/tmp/hard", "/tmp/hard"))
        seen["link_xdev"] = await errno_of(sys.link("/tmp/hard", "/etc/hard"))
        await sys.symlink("hard", "/tmp/sym")
        await sys.symlink("/tmp/nowhere", "/tmp/dangling")
        seen["readlink"] = await sys.readlink("/tmp/sym")
        seen["via_sym"] = await kio.read_file("/tmp/sym")
        seen["lstat"] = S_ISLNK((await sys.lstat("/tmp/sym")).st_mode)
        seen["stat"] = S_ISREG((await sys.stat("/tmp/sym")).st_mode)
        seen["lstat_size"] = (await sys.lstat("/tmp/sym")).st_size
        seen["dangling"] = await errno_of(sys.stat("/tmp/dangling"))
        seen["dangling_l"] = await errno_of(sys.lstat("/tmp/dangling"))
        seen["readlink_file"] = await errno_of(sys.readlink("/tmp/hard"))
        seen["symlink_exists"] = await errno_of(sys.symlink("x", "/tmp/sym"))
        await sys.symlink("/tmp/loop2", "/tmp/loop1")
        await sys.symlink("/tmp/loop1", "/tmp/loop2")
        seen["loop"] = await errno_of(sys.open("/tmp/loop1"))
        seen["loop_stat"] = await errno_of(sys.stat("/tmp/loop1/x"))
        await sys.symlink("/etc", "/tmp/etclink")
        seen["through_dir_link"] = await kio.read_file("/tmp/etclink/hostname")
        seen["dir_link_slash"] = S_ISDIR((await sys.lstat("/tmp/etclink/")).st_mode)
        await sys.symlink(".", "/tmp/selfloop")
        seen["shallow"] = await errno_of(sys.stat("/tmp/" + "selfloop/" * 30 + "hard"))
        seen["deep"] = await errno_of(sys.stat("/tmp/" + "selfloop/" * 50 + "hard"))
        return 0

    check(main)
    assert seen["nlink"] == 2
    assert seen["same_ino"]
    assert seen["via_hard"] == b"data"
    assert seen["nlink_after"] == 1
    assert seen["link_dir"] == EPERM
    assert seen["link_exists"] == EEXIST
    assert seen["link_xdev"] == 18
    assert seen["readlink"] == "hard"
    assert seen["via_sym"] == b"data"
    assert seen["lstat"] and seen["stat"]
    assert seen["lstat_size"] == 4
    assert seen["dangling"] == ENOENT
    assert seen["dangling_l"] == 0
    assert seen["readlink_file"] == EINVAL
    assert seen["symlink_exists"] == EEXIST
    assert seen["loop"] == ELOOP
    assert seen["loop_stat"] == ELOOP
    assert seen["through_dir_link"] == b"libk\n"
    assert seen["dir_link_slash"]
    assert seen["shallow"] == 0
    assert seen["deep"] == ELOOP  # more than 40 links on one walk


def test_relative_paths_chdir_and_mount_crossing() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["start"] = await sys.getcwd()
        await sys.mkdir("/tmp/a")
        await sys.mkdir("/tmp/a/b")
        await sys.chdir("/tmp/a")
        await put("b/f", b"rel")
        seen["rel"] = await kio.read_file("/tmp/a/b/f")
        seen["dotdot"] = await kio.read_file("b/../b/./f")
        await sys.chdir("b")
        seen["cwd"] = await sys.getcwd()
        await sys.chdir("../..")
        seen["up"] = await sys.getcwd()
        await sys.chdir("..")  # out of the /tmp mount
        seen["root_from_tmp"] = await sys.getcwd()
        seen["proc_up"] = (await sys.stat("/proc/..")).st_ino == (await sys.stat("/")).st_ino
        seen["proc_up_dev"] = (await sys.stat("/proc/..")).st_dev == (await sys.stat("/")).st_dev
        await sys.chdir("/proc")
        await sys.chdir("..")
        seen["from_proc"] = await sys.getcwd()
        seen["root_dotdot"] = (await sys.stat("/..")).st_ino == (await sys.stat("/")).st_ino
        await sys.chdir("/../../etc")
        seen["etc"] = await sys.getcwd()
        seen["chdir_file"] = await errno_of(sys.chdir("/etc/hostname"))
        seen["chdir_none"] = await errno_of(sys.chdir("/nope"))
        seen["empty"] = await errno_of(sys.stat(""))
        seen["mount_dev"] = (await sys.stat("/tmp")).st_dev != (await sys.stat("/")).st_dev
        fd = await sys.open("/tmp/a", O_RDONLY | O_DIRECTORY)
        await sys.fchdir(fd)
        seen["fchdir"] = await sys.getcwd()
        seen["fchdir_file"] = await errno_of(sys.fchdir(await sys.open("/etc/hostname")))
        return 0

    check(main)
    assert seen["start"] == "/root"  # init starts the command in the user's home
    assert seen["rel"] == b"rel"
    assert seen["dotdot"] == b"rel"
    assert seen["cwd"] == "/tmp/a/b"
    assert seen["up"] == "/tmp"
    assert seen["root_from_tmp"] == "/"
    assert seen["proc_up"] and seen["proc_up_dev"]
    assert seen["from_proc"] == "/"
    assert seen["root_dotdot"]
    assert seen["etc"] == "/etc"
    assert seen["chdir_file"] == ENOTDIR
    assert seen["chdir_none"] == ENOENT
    assert seen["empty"] == ENOENT
    assert seen["mount_dev"]
    assert seen["fchdir"] == "/tmp/a"
    assert seen["fchdir_file"] == ENOTDIR


# ------------------------------------------------------------------ attributes


def test_truncate_and_ftruncate() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await put("/tmp/f", b"0123456789")
        await sys.truncate("/tmp/f", 4)
        seen["short"] = await kio.read_file("/tmp/f")
        await sys.truncate("/tmp/f", 6)
        seen["long"] = await kio.read_file("/tmp/f")
        fd = await sys.open("/tmp/f", O_RDWR)
        await sys.ftruncate(fd, 2)
        seen["size"] = (await sys.fstat(fd)).st_size
        ro = await sys.open("/tmp/f")
        seen["ro"] = await errno_of(sys.ftruncate(ro, 0))
        seen["dir"] = await errno_of(sys.truncate("/tmp", 0))
        seen["noent"] = await errno_of(sys.truncate("/tmp/none", 0))
        seen["negative"] = await errno_of(sys.truncate("/tmp/f", -1))
        return 0

    check(main)
    assert seen["short"] == b"0123"
    assert seen["long"] == b"0123\0\0"
    assert seen["size"] == 2
    assert seen["ro"] in (EINVAL, EBADF)
    assert seen["dir"] == EISDIR
    assert seen["noent"] == ENOENT
    assert seen["negative"] == EINVAL


def test_chmod_chown_and_umask() -> None:
    seen: dict[str, Any] = {}

    async def user(argv: list[str]) -> int:
        seen["user_chmod_root_file"] = await errno_of(sys.chmod("/tmp/rootfile", 0o777))
        seen["user_chown_root_file"] = await errno_of(sys.chown("/tmp/rootfile", 1000, -1))
        await put("/tmp/mine", b"")
        seen["mine_owner"] = (
            (await sys.stat("/tmp/mine")).st_uid,
            (await sys.stat("/tmp/mine")).st_gid,
        )
        seen["chmod_own"] = await errno_of(sys.chmod("/tmp/mine", 0o600))
        seen["give_away"] = await errno_of(sys.chown("/tmp/mine", 0, -1))
        seen["chgrp_other"] = await errno_of(sys.chown("/tmp/mine", -1, 0))
        seen["chown_noop"] = await errno_of(sys.chown("/tmp/mine", 1000, 1000))
        return 0

    upath = register(user)

    async def main(argv: list[str]) -> int:
        seen["default_umask"] = await sys.umask(0o077)
        seen["old"] = await sys.umask(0o027)
        await put("/tmp/u1", b"", 0o666)
        await sys.mkdir("/tmp/u2", 0o777)
        seen["file_mode"] = (await sys.stat("/tmp/u1")).st_mode & 0o777
        seen["dir_mode"] = (await sys.stat("/tmp/u2")).st_mode & 0o777
        await sys.chmod("/tmp/u1", 0o4755)
        seen["chmod"] = (await sys.stat("/tmp/u1")).st_mode & 0o7777
        seen["still_file"] = S_ISREG((await sys.stat("/tmp/u1")).st_mode)
        await sys.chown("/tmp/u1", 1000, 1000)
        st = await sys.stat("/tmp/u1")
        seen["chown"] = (st.st_uid, st.st_gid)
        await sys.chown("/tmp/u1", -1, 5)
        st = await sys.stat("/tmp/u1")
        seen["chgrp"] = (st.st_uid, st.st_gid)
        await sys.umask(0o022)
        await put("/tmp/rootfile", b"", 0o644)
        pid = await sys.spawn(upath, ["u"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.wait4(pid)
        seen["umask_inherited"] = None
        return 0

    check(main)
    assert seen["default_umask"] == 0o022
    assert seen["old"] == 0o077
    assert seen["file_mode"] == 0o640
    assert seen["dir_mode"] == 0o750
    assert seen["chmod"] == 0o4755
    assert seen["still_file"]
    assert seen["chown"] == (1000, 1000)
    assert seen["chgrp"] == (1000, 5)
    assert seen["user_chmod_root_file"] == EPERM
    assert seen["user_chown_root_file"] == EPERM
    assert seen["mine_owner"] == (1000, 1000)
    assert seen["chmod_own"] == 0
    assert seen["give_away"] == EPERM
    assert seen["chgrp_other"] == EPERM
    assert seen["chown_noop"] == 0


def test_umask_is_inherited_by_children() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        seen["child"] = await sys.umask(0)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        await sys.umask(0o077)
        await sys.wait4(await sys.spawn(cpath, ["c"]))
        return 0

    check(main)
    assert seen["child"] == 0o077


def test_permission_checks() -> None:
    seen: dict[str, Any] = {}

    async def user(argv: list[str]) -> int:
        seen["read_root_dir"] = await errno_of(sys.open("/root", O_RDONLY | O_DIRECTORY))
        seen["stat_in_root"] = await errno_of(sys.stat("/root/secret"))
        seen["chdir_root"] = await errno_of(sys.chdir("/root"))
        seen["read_600"] = await errno_of(sys.open("/tmp/private"))
        seen["write_644"] = await errno_of(sys.open("/tmp/public", O_WRONLY))
        seen["read_644"] = await errno_of(sys.open("/tmp/public"))
        seen["create_in_etc"] = await errno_of(sys.open("/etc/new", O_WRONLY | O_CREAT))
        seen["mkdir_in_etc"] = await errno_of(sys.mkdir("/etc/newdir"))
        seen["unlink_in_etc"] = await errno_of(sys.unlink("/etc/hostname"))
        seen["access_r"] = await errno_of(sys.access("/tmp/private", 4))
        seen["access_exists"] = await errno_of(sys.access("/tmp/private", 0))
        seen["sticky"] = await errno_of(sys.unlink("/tmp/public"))
        seen["own_in_tmp"] = await errno_of(put("/tmp/userfile", b"x"))
        seen["exec_noexec"] = await errno_of(sys.spawn("/tmp/public", ["p"]))
        seen["home"] = await errno_of(put("/home/alice/note", b"hi"))
        return 0

    upath = register(user)

    async def main(argv: list[str]) -> int:
        await put("/root/secret", b"s", 0o600)
        await put("/tmp/private", b"p", 0o600)
        await put("/tmp/public", b"p", 0o644)
        pid = await sys.spawn(upath, ["u"], None, "/", None, SpawnAttr(uid=1000, gid=1000))
        await sys.wait4(pid)
        seen["root_reads"] = await kio.read_file("/root/secret")
        await sys.chmod("/root/secret", 0)
        seen["root_reads_000"] = await kio.read_file("/root/secret")
        return 0

    check(main)
    assert seen["read_root_dir"] == EACCES
    assert seen["stat_in_root"] == EACCES
    assert seen["chdir_root"] == EACCES
    assert seen["read_600"] == EACCES
    assert seen["write_644"] == EACCES
    assert seen["read_644"] == 0
    assert seen["create_in_etc"] == EACCES
    assert seen["mkdir_in_etc"] == EACCES
    assert seen["unlink_in_etc"] == EACCES
    assert seen["access_r"] == EACCES
    assert seen["access_exists"] == 0
    assert seen["sticky"] == EPERM  # /tmp is sticky: not the user's file
    assert seen["own_in_tmp"] == 0
    assert seen["exec_noexec"] == EACCES
    assert seen["home"] == 0
    assert seen["root_reads"] == b"s"
    assert seen["root_reads_000"] == b"s"


def test_stat_fields() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await put("/tmp/f", b"x" * 1000)
        seen["st"] = await sys.stat("/tmp/f")
        seen["fst"] = await sys.fstat(await sys.open("/tmp/f"))
        seen["dir"] = await sys.stat("/tmp")
        seen["null"] = await sys.stat("/dev/null")
        return 0

    check(main)
    st = seen["st"]
    assert S_ISREG(st.st_mode) and st.st_size == 1000 and st.st_nlink == 1
    assert st.st_blocks == 2 and st.st_blksize == 4096
    assert seen["fst"] == st
    assert S_ISDIR(seen["dir"].st_mode)
    assert seen["dir"].st_mode & 0o1000  # sticky /tmp
    assert seen["null"].st_rdev == (1 << 8) | 3


# ------------------------------------------------------------------ devices


def test_null_zero_and_random() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        null = await sys.open("/dev/null", O_RDWR)
        seen["null_read"] = await sys.read(null, 100)
        seen["null_write"] = await sys.write(null, b"x" * 5000)
        zero = await sys.open("/dev/zero")
        seen["zero"] = await sys.read(zero, 16)
        rnd = await sys.open("/dev/random")
        seen["random"] = await sys.read(rnd, 32)
        urnd = await sys.open("/dev/urandom")
        seen["urandom"] = await sys.read(urnd, 32)
        return 0

    a = check(main)
    first = dict(seen)
    check(main)
    second = dict(seen)
    assert first["null_read"] == b""
    assert first["null_write"] == 5000
    assert first["zero"] == bytes(16)
    assert len(first["random"]) == 32 and first["random"] != bytes(32)
    assert first["random"] != first["urandom"]
    # Same machine, same seed: same bytes.
    assert first["random"] == second["random"]
    assert first["urandom"] == second["urandom"]
    check(main, seed=a.kernel.info.seed + 1)
    assert seen["random"] != first["random"]


# ------------------------------------------------------------------ pipes


def test_pipe_eof_after_the_last_writer_closes() -> None:
    seen: dict[str, Any] = {}

    async def writer(argv: list[str]) -> int:
        await sys.nanosleep(SECOND)
        await sys.write(1, b"from child")
        return 0

    wpath = register(writer)

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        pid = await sys.spawn(
            wpath, ["w"], None, None, [("dup2", w, 1), ("close", r), ("close", w)]
        )
        await sys.close(w)
        data = b""
        while chunk := await sys.read(r, 100):
            data += chunk
        seen["data"] = data
        seen["eof_at"] = await sys.clock_gettime()
        seen["eof_again"] = await sys.read(r, 100)
        await sys.wait4(pid)
        return 0

    check(main)
    assert seen["data"] == b"from child"
    assert seen["eof_at"] >= SECOND
    assert seen["eof_again"] == b""


def test_pipe_with_a_writer_left_blocks_the_reader() -> None:
    seen: dict[str, Any] = {}

    async def reader(arg: int) -> bytes:
        return await sys.read(arg, 10)

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        tid = await sys.thread_spawn(reader, r)
        await sys.nanosleep(SECOND)
        stat = (await kio.read_file(f"/proc/self/task/{tid}/stat")).split()
        seen["state"] = stat[2]
        await sys.write(w, b"late")
        seen["got"] = await sys.thread_join(tid)
        return 0

    check(main)
    assert seen["state"] == b"S"
    assert seen["got"] == b"late"


def test_pipe_back_pressure() -> None:
    seen: dict[str, Any] = {}
    size = 200 * 1024

    async def writer(arg: int) -> int:
        n = await sys.write(arg, bytes(range(256)) * (size // 256))
        seen["written_at"] = await sys.clock_gettime()
        return n

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        tid = await sys.thread_spawn(writer, w)
        await sys.nanosleep(SECOND)
        seen["blocked"] = "written_at" not in seen
        seen["state"] = (await kio.read_file(f"/proc/self/task/{tid}/stat")).split()[2]
        seen["drain_at"] = await sys.clock_gettime()
        data = b""
        while len(data) < size:
            data += await sys.read(r, 10_000)
        seen["n"] = await sys.thread_join(tid)
        seen["ok"] = data == bytes(range(256)) * (size // 256)
        return 0

    check(main)
    assert seen["blocked"]
    assert seen["state"] == b"S"
    assert seen["n"] == size
    assert seen["written_at"] >= seen["drain_at"]
    assert seen["ok"]


def test_pipe_fstat_and_fd_names() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        seen["mode"] = (await sys.fstat(r)).st_mode
        seen["same"] = (await sys.fstat(r)).st_ino == (await sys.fstat(w)).st_ino
        seen["read_w"] = await errno_of(sys.read(w, 1))
        seen["write_r"] = await errno_of(sys.write(r, b"x"))
        seen["link"] = await sys.readlink(f"/proc/self/fd/{r}")
        return 0

    check(main)
    assert seen["mode"] & 0o170000 == 0o010000  # S_IFIFO
    assert seen["same"]
    assert seen["read_w"] == EBADF
    assert seen["write_r"] == EBADF
    assert seen["link"].startswith("pipe:[")


def test_blocked_pipe_reader_is_interrupted_by_a_fatal_signal() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        r, _w = await sys.pipe()
        await sys.read(r, 1)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"])
        await sys.nanosleep(MS)
        await sys.kill(pid, 15)
        seen["st"] = await sys.wait4(pid)
        return 0

    check(main)
    assert seen["st"][1] == 15


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


def test_f_dupfd_range_is_einval() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["negative"] = await errno_of(sys.fcntl(0, F_DUPFD, -1))
        seen["too_big"] = await errno_of(sys.fcntl(0, F_DUPFD, 5000))
        return 0

    check(main)
    assert seen == {"negative": EINVAL, "too_big": EINVAL}


def test_reader_closing_kills_a_blocked_writer_with_sigpipe() -> None:
    seen: dict[str, Any] = {}

    async def writer(argv: list[str]) -> int:
        await sys.write(1, bytes(200 * 1024))
        return 0

    wpath = register(writer)

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        actions = [("dup2", w, 1), ("close", w), ("close", r)]
        pid = await sys.spawn(wpath, ["w"], None, None, actions)
        await sys.close(w)
        await sys.nanosleep(MS)
        seen["first"] = len(await sys.read(r, 10))
        await sys.close(r)
        seen["st"] = (await sys.wait4(pid))[1]
        return 0

    check(main)
    assert seen["first"] == 10
    assert seen["st"] == 13  # SIGPIPE
