"""/proc/<pid>/fdinfo/<fd>: Linux's pos, flags (O_CLOEXEC included), mnt_id and ino of
every open descriptor, the inode's own lines after them, the owner-or-root rule, and
ENOENT once the descriptor is closed."""

from __future__ import annotations

from typing import Any

import pytest
from ksim import check, errno_of, register

from kernel.abi import (
    EACCES,
    ENOENT,
    O_APPEND,
    O_CLOEXEC,
    O_CREAT,
    O_DIRECTORY,
    O_NONBLOCK,
    O_RDWR,
    O_WRONLY,
    SpawnAttr,
)
from kernel.fs.pipe import PipeInode
from userland.libk import sys
from userland.libk.procinfo import list_dir, read_text


def fields(text: str | None) -> dict[str, str]:
    """``key:\\tvalue`` lines -> {key: value}."""
    assert text is not None
    return dict(line.split(":\t", 1) for line in text.splitlines())


def test_fdinfo_of_files_and_pipes() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
        await sys.write(fd, b"x" * 10000)
        await sys.lseek(fd, 4096, 0)
        seen["file"] = await read_text(f"/proc/self/fdinfo/{fd}")
        seen["file_ino"] = (await sys.fstat(fd)).st_ino
        info = (await read_text("/proc/self/mountinfo") or "").splitlines()
        seen["tmp_id"] = next(x.split()[0] for x in info if x.split()[4] == "/tmp")
        seen["raw"] = await read_text(f"/proc/self/fdinfo/{fd}")
        ce = await sys.open("/tmp/f", O_WRONLY | O_APPEND | O_CLOEXEC)
        seen["cloexec"] = fields(await read_text(f"/proc/self/fdinfo/{ce}"))
        r, w = await sys.pipe(0)
        seen["pipe"] = [fields(await read_text(f"/proc/self/fdinfo/{x}")) for x in (r, w)]
        seen["pipe_ino"] = (await sys.fstat(r)).st_ino
        r2, w2 = await sys.pipe(O_CLOEXEC | O_NONBLOCK)
        seen["pipe2"] = [
            fields(await read_text(f"/proc/self/fdinfo/{x}"))["flags"] for x in (r2, w2)
        ]
        names = await list_dir("/proc/self/fdinfo")
        seen["names"] = sorted(int(n) for n in names if n.isdigit())
        seen["fds"] = sorted([0, 1, 2, fd, ce, r, w, r2, w2])
        # A closed descriptor: its entry is gone, and a file opened before the close
        # reports ENOENT when opened again.
        await sys.close(w2)
        seen["closed"] = await errno_of(sys.open(f"/proc/self/fdinfo/{w2}"))
        seen["bad_name"] = await errno_of(sys.open("/proc/self/fdinfo/x"))
        dfd = await sys.open("/proc/self/fdinfo", O_DIRECTORY)
        seen["dir"] = fields(await read_text(f"/proc/self/fdinfo/{dfd}"))["flags"]
        return 0

    check(main)
    f = fields(seen["file"])
    assert list(f) == ["pos", "flags", "mnt_id", "ino"]
    tmp_id = seen["tmp_id"]  # the mount holding /tmp/f, as mountinfo numbers it
    assert f == {"pos": "4096", "flags": "02", "mnt_id": tmp_id, "ino": str(seen["file_ino"])}
    assert seen["raw"] == f"pos:\t4096\nflags:\t02\nmnt_id:\t{tmp_id}\nino:\t{seen['file_ino']}\n"
    assert seen["cloexec"]["flags"] == f"0{O_CLOEXEC | O_APPEND | O_WRONLY:o}" == "02002001"
    assert seen["cloexec"]["pos"] == "0"
    rd, wr = seen["pipe"]
    assert (rd["flags"], wr["flags"]) == ("00", "01")
    assert rd["ino"] == wr["ino"] == str(seen["pipe_ino"]) and rd["mnt_id"] == "0"
    assert seen["pipe2"] == ["02004000", "02004001"]
    assert seen["names"][:-1] == seen["fds"]  # and list_dir's own descriptor
    assert seen["closed"] == ENOENT and seen["bad_name"] == ENOENT
    assert seen["dir"] == f"0{O_DIRECTORY:o}"


def test_fdinfo_appends_the_inodes_own_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(PipeInode, "fdinfo", lambda self, f: f"readers:\t{self.readers}\n")

    async def main(argv: list[str]) -> int:
        r, _ = await sys.pipe(0)
        seen["text"] = await read_text(f"/proc/self/fdinfo/{r}")
        seen["file"] = await read_text("/proc/self/fdinfo/0")
        return 0

    check(main)
    assert seen["text"].splitlines()[4] == "readers:\t1"
    assert len(seen["file"].splitlines()) == 4  # a plain inode adds nothing


def test_fdinfo_is_for_the_owner_or_root() -> None:
    seen: dict[str, Any] = {}

    async def user(argv: list[str]) -> int:
        other = int(argv[1])
        seen["other_dir"] = await errno_of(sys.open(f"/proc/{other}/fdinfo", O_DIRECTORY))
        seen["other_file"] = await errno_of(sys.open(f"/proc/{other}/fdinfo/0"))
        seen["own"] = await read_text("/proc/self/fdinfo/1") is not None
        return 0

    prog = register(user)

    async def main(argv: list[str]) -> int:
        other = await sys.spawn(
            "/bin/sleep", ["sleep", "10"], None, None, None, SpawnAttr(uid=1001, gid=1001)
        )
        pid = await sys.spawn(
            prog, ["user", str(other)], None, None, None, SpawnAttr(uid=1000, gid=1000)
        )
        seen["root"] = await read_text(f"/proc/{pid}/fdinfo/0") is not None
        await sys.wait4(pid)
        seen["mode"] = (await sys.stat(f"/proc/{other}/fdinfo")).st_mode & 0o777
        seen["uid"] = (await sys.stat(f"/proc/{other}/fdinfo/0")).st_uid
        await sys.kill(other, 9)
        await sys.wait4(other)
        return 0

    check(main)
    assert seen["other_dir"] == seen["other_file"] == EACCES
    assert seen["own"] and seen["root"]
    assert seen["mode"] == 0o500 and seen["uid"] == 1001
