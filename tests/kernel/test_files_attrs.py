"""Files: attributes (truncate, chmod, chown, umask, stat fields), permission checks,
and the character devices /dev/null, /dev/zero and /dev/random."""

from __future__ import annotations

from typing import Any

from ksim import check, errno_of, register
from test_files import put

from kernel.abi import (
    EACCES,
    EBADF,
    EINVAL,
    EISDIR,
    ENOENT,
    EPERM,
    O_CREAT,
    O_DIRECTORY,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    S_ISDIR,
    S_ISREG,
    SpawnAttr,
)
from userland.libk import io as kio
from userland.libk import sys

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
