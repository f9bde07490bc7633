"""Files: directories (getdents, mkdir, rmdir), unlinked open files, rename, hard and
symbolic links, relative paths, chdir and mount crossing."""

from __future__ import annotations

from typing import Any

from ksim import check, errno_of
from test_files import put

from kernel.abi import (
    EEXIST,
    EINVAL,
    EISDIR,
    ELOOP,
    ENOENT,
    ENOTDIR,
    ENOTEMPTY,
    EPERM,
    O_DIRECTORY,
    O_RDONLY,
    O_RDWR,
    S_ISDIR,
    S_ISLNK,
    S_ISREG,
    SEEK_SET,
)
from userland.libk import io as kio
from userland.libk import sys


async def listdir(path: str) -> list[str]:
    fd = await sys.open(path, O_RDONLY | O_DIRECTORY)
    names = []
    while batch := await sys.getdents(fd):
        names += [d.d_name for d in batch]
    await sys.close(fd)
    return names


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
