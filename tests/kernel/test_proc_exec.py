"""Processes: crashing programs (only the crashing process dies) and executables
(format checks, scripts, comm and exe, the setuid bit, interpreter limits)."""

from __future__ import annotations

from typing import Any

from ksim import SECOND, errno_of, ok, register, run_main
from test_proc import CRASHER, EXITER, SLEEPER, read_text

from kernel.abi import (
    EACCES,
    ENOENT,
    ENOEXEC,
    O_CREAT,
    O_WRONLY,
    SIGKILL,
    SIGSEGV,
    WCOREDUMP,
    WEXITSTATUS,
    WIFSIGNALED,
    WTERMSIG,
    SpawnAttr,
)
from kernel.host import HostClient
from userland.libk import io as kio
from userland.libk import sys

# ------------------------------------------------------------------ crashes


def test_a_crashing_program_dies_with_sigsegv_and_others_keep_running() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        survivor = await sys.spawn(SLEEPER, ["s", str(SECOND)])
        pid = await sys.spawn(CRASHER, ["c"])
        seen["crash"] = await sys.wait4(pid)
        seen["survivor"] = await sys.wait4(survivor)
        seen["kmsg"] = await read_text("/proc/kmsg")
        seen["syslog"] = await sys.syslog()
        seen["pid"] = pid
        return 0

    r = run_main(main)
    ok(r)
    pid, st = seen["crash"]
    assert pid == seen["pid"]
    assert WIFSIGNALED(st) and WTERMSIG(st) == SIGSEGV and WCOREDUMP(st)
    assert seen["survivor"][1] == 0
    for text in (seen["kmsg"], seen["syslog"], r.log):
        assert "ValueError" in text
        assert "boom from the crasher" in text
    assert r.kernel.panic_report is None


def test_awaiting_something_that_is_not_a_request_kills_only_that_process() -> None:
    import asyncio

    async def confused(argv: list[str]) -> int:
        await asyncio.sleep(0)
        return 0

    cpath = register(confused)
    seen = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"])
        seen["st"] = (await sys.wait4(pid))[1]
        return 0

    r = run_main(main)
    ok(r)
    assert WIFSIGNALED(seen["st"]) and WTERMSIG(seen["st"]) == SIGSEGV


# ------------------------------------------------------------------ executables


def test_exec_format_checks_and_scripts() -> None:
    seen: dict[str, Any] = {}

    async def interp(argv: list[str]) -> int:
        seen["interp_argv"] = argv
        return 9

    ipath = register(interp)

    async def make(path: str, data: bytes, mode: int) -> None:
        fd = await sys.open(path, O_WRONLY | O_CREAT, mode)
        await sys.write(fd, data)
        await sys.close(fd)

    async def main(argv: list[str]) -> int:
        await make("/tmp/junk", b"just some text\n", 0o755)
        await make("/tmp/script", f"#!{ipath} -x\necho hi\n".encode(), 0o755)
        await make("/tmp/badinterp", b"#!/no/such/interp\n", 0o755)
        await make("/tmp/unregistered", b"\x7fLBK no_such_program_xyz\n", 0o755)
        seen["junk"] = await errno_of(sys.spawn("/tmp/junk", ["j"]))
        seen["dir"] = await errno_of(sys.spawn("/tmp", ["d"]))
        seen["badinterp"] = await errno_of(sys.spawn("/tmp/badinterp", ["b"]))
        seen["unregistered"] = await errno_of(sys.spawn("/tmp/unregistered", ["u"]))
        # A copy of a /bin program runs; without its x bit it does not.
        data = await kio.read_file(EXITER)
        await make("/tmp/copy", data, 0o755)
        await make("/tmp/copy_nox", data, 0o644)
        pid = await sys.spawn("/tmp/copy", ["copy", "4"])
        seen["copy"] = (await sys.wait4(pid))[1]
        seen["noexec"] = await errno_of(sys.spawn("/tmp/copy_nox", ["n"]))
        pid = await sys.spawn("/tmp/script", ["script", "arg1"])
        seen["script"] = (await sys.wait4(pid))[1]
        return 0

    ok(run_main(main))
    assert seen["junk"] == ENOEXEC
    assert seen["dir"] == EACCES
    assert seen["badinterp"] == ENOENT
    assert seen["unregistered"] == ENOEXEC
    assert WEXITSTATUS(seen["copy"]) == 4
    assert seen["noexec"] == EACCES
    assert WEXITSTATUS(seen["script"]) == 9
    assert seen["interp_argv"] == [ipath, "-x", "/tmp/script", "arg1"]


def test_non_async_main_is_enoexec() -> None:
    def not_async(argv: list[str]) -> int:
        return 0

    npath = register(not_async)
    seen = {}

    async def main(argv: list[str]) -> int:
        seen["e"] = await errno_of(sys.spawn(npath, ["n"]))
        return 0

    ok(run_main(main))
    assert seen["e"] == ENOEXEC


def test_comm_and_exe_come_from_the_executable() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(SLEEPER, ["whatever-argv0"])
        seen["comm"] = await read_text(f"/proc/{pid}/comm")
        seen["exe"] = await sys.readlink(f"/proc/{pid}/exe")
        seen["cmdline"] = await read_text(f"/proc/{pid}/cmdline")
        await sys.kill(pid, SIGKILL)
        await sys.wait4(pid)
        return 0

    ok(run_main(main))
    name = SLEEPER.rsplit("/", 1)[1]
    assert seen["comm"] == name[:15] + "\n"
    assert seen["exe"] == SLEEPER
    assert seen["cmdline"] == "whatever-argv0\0"


def test_host_sees_the_program_as_pid_2() -> None:
    async def main(argv: list[str]) -> int:
        return 0 if await sys.getpid() == 2 and await sys.getppid() == 1 else 1

    r = run_main(main)
    ok(r)
    assert b"init" in HostClient(r.kernel).read_file("/proc/1/comm")


def test_setuid_bit_owner_only_exec_and_interpreter_limits() -> None:
    seen: dict[str, Any] = {}

    async def ids(argv: list[str]) -> int:
        seen.setdefault("ids", []).append((await sys.getuid(), await sys.geteuid()))
        return 0

    ids_path = register(ids)

    async def make(path: str, data: bytes, mode: int) -> None:
        fd = await sys.open(path, O_WRONLY | O_CREAT, mode)
        await sys.write(fd, data)
        await sys.close(fd)
        await sys.chmod(path, mode)

    async def user(argv: list[str]) -> int:
        pid = await sys.spawn("/tmp/suid", ["suid"])
        await sys.wait4(pid)
        pid = await sys.spawn("/tmp/plain", ["plain"])
        await sys.wait4(pid)
        seen["owner_only"] = await errno_of(sys.spawn("/tmp/owner_only", ["o"]))
        return 0

    upath = register(user)

    async def main(argv: list[str]) -> int:
        image = await kio.read_file(ids_path)
        await make("/tmp/suid", image, 0o4755)
        await make("/tmp/plain", image, 0o755)
        await make("/tmp/owner_only", image, 0o700)
        await make("/tmp/empty_shebang", b"#!\n", 0o755)
        await make("/tmp/s1", b"#!/tmp/s2\n", 0o755)
        await make("/tmp/s2", b"#!/tmp/s1\n", 0o755)
        pid = await sys.spawn(upath, ["u"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.wait4(pid)
        seen["empty_shebang"] = await errno_of(sys.spawn("/tmp/empty_shebang", ["e"]))
        seen["script_loop"] = await errno_of(sys.spawn("/tmp/s1", ["s"]))
        seen["e2big"] = await errno_of(sys.spawn(ids_path, ["x" * 200_000]))
        return 0

    ok(run_main(main))
    assert seen["ids"] == [(1000, 0), (1000, 1000)]
    assert seen["owner_only"] == EACCES
    assert seen["empty_shebang"] == ENOEXEC
    assert seen["script_loop"] == 40  # ELOOP
    assert seen["e2big"] == 7  # E2BIG
