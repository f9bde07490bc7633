"""The console TTY: canonical and raw input, editing, echo, signals, job control ioctls.

Input is typed with ``k.console.feed``; the machine is booted with ``boot()`` directly, so
echo is on (the headless runner turns it off).
"""

from __future__ import annotations

from typing import Any

from ksim import SECOND, errno_of, machine, register, run, run_until_idle

from kernel.abi import (
    ECHO,
    EINVAL,
    ENOTTY,
    EPERM,
    ICANON,
    ISIG,
    SIG_IGN,
    SIGINT,
    SIGQUIT,
    SIGTSTP,
    SIGTTIN,
    SIGTTOU,
    TCGETS,
    TCSETS,
    TCSETSF,
    TIOCGPGRP,
    TIOCGWINSZ,
    TIOCSPGRP,
    WCOREDUMP,
    WIFSIGNALED,
    WIFSTOPPED,
    WSTOPSIG,
    WTERMSIG,
    WUNTRACED,
    SpawnAttr,
    Termios,
    Winsize,
)
from kernel.host import HostClient
from kernel.kernel import HALTED, IDLE, UNTIL
from userland.libk import sys


def reader_machine(
    reads: list[bytes], *, raw: bool = False, count: int = 100, echo: bool = True
) -> Any:
    """A machine whose program reads fd 0 until end of file, recording each read."""

    async def reader(argv: list[str]) -> int:
        if raw or not echo:
            attrs = await sys.ioctl(0, TCGETS)
            if raw:
                attrs.lflag &= ~ICANON
            if not echo:
                attrs.lflag &= ~ECHO
            await sys.ioctl(0, TCSETS, attrs)
        while True:
            data = await sys.read(0, count)
            reads.append(data)
            if not data or data == b"q":
                return 0

    k = machine(reader)
    assert run_until_idle(k) == IDLE
    assert k.console.waiting_for_input
    return k


def type_and_settle(k: Any, data: bytes) -> str:
    k.console.feed(data)
    state = run_until_idle(k)
    assert state in (IDLE, HALTED)
    return state


def test_canonical_mode_delivers_whole_lines() -> None:
    reads: list[bytes] = []
    k = reader_machine(reads)
    type_and_settle(k, b"hel")
    assert reads == []  # no line yet
    type_and_settle(k, b"lo\nworld\n")
    assert reads == [b"hello\n", b"world\n"]
    type_and_settle(k, b"\x04")
    assert reads[-1] == b""
    assert k.halted and k.power_status == 0


def test_canonical_read_smaller_than_the_line() -> None:
    reads: list[bytes] = []
    k = reader_machine(reads, count=3)
    type_and_settle(k, b"abcdefg\n")
    assert reads == [b"abc", b"def", b"g\n"]
    type_and_settle(k, b"\x04")
    assert reads[-1] == b""


def test_erase_kill_and_word_erase() -> None:
    reads: list[bytes] = []
    k = reader_machine(reads)
    type_and_settle(k, b"helx\x7flo\n")
    type_and_settle(k, b"garbage\x15real\n")
    type_and_settle(k, b"one two\x17three\n")
    type_and_settle(k, b"\x7f\x7fab\x08c\n")  # erase on an empty line does nothing; ^H too
    assert reads == [b"hello\n", b"real\n", b"one three\n", b"ac\n"]


def test_ctrl_d_at_line_start_is_eof_and_mid_line_sends_the_line() -> None:
    reads: list[bytes] = []
    k = reader_machine(reads)
    type_and_settle(k, b"abc\x04")
    assert reads == [b"abc"]
    type_and_settle(k, b"\x04")
    assert reads == [b"abc", b""]


def test_carriage_return_becomes_newline() -> None:
    reads: list[bytes] = []
    k = reader_machine(reads)
    type_and_settle(k, b"enter\r")
    assert reads == [b"enter\n"]


def test_echo_is_on_by_default() -> None:
    reads: list[bytes] = []
    k = reader_machine(reads)
    k.console.drain()
    type_and_settle(k, b"hi\n")
    assert k.console.drain() == b"hi\r\n"
    type_and_settle(k, b"ab\x7fc\n")
    assert k.console.drain() == b"ab\b \bc\r\n"
    type_and_settle(k, b"x\x15")
    assert k.console.drain() == b"x\b \b"
    type_and_settle(k, b"\n")
    k.console.drain()
    type_and_settle(k, b"\x1b\n")  # a control character echoes as ^X
    assert k.console.drain() == b"^[\r\n"


def test_no_echo_when_echo_is_off() -> None:
    reads: list[bytes] = []
    k = reader_machine(reads, echo=False)
    k.console.drain()
    type_and_settle(k, b"secret\n")
    assert reads == [b"secret\n"]
    assert k.console.drain() == b""


def test_raw_mode_passes_bytes_one_by_one() -> None:
    reads: list[bytes] = []
    k = reader_machine(reads, raw=True, count=1)
    type_and_settle(k, b"ab\x7f\x15\n")
    assert reads == [b"a", b"b", b"\x7f", b"\x15", b"\n"]
    type_and_settle(k, b"q")
    assert k.halted


def test_raw_mode_read_returns_what_is_available() -> None:
    reads: list[bytes] = []
    k = reader_machine(reads, raw=True, count=100)
    type_and_settle(k, b"xyz")
    assert reads == [b"xyz"]


def test_output_post_processing_and_winsize() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.write(1, b"one\ntwo\n")
        seen["winsize"] = await sys.ioctl(1, TIOCGWINSZ)
        seen["termios"] = await sys.ioctl(0, TCGETS)
        seen["bad_set"] = await errno_of(sys.ioctl(0, TCSETS, "not termios"))
        seen["bad_req"] = await errno_of(sys.ioctl(0, 0x9999))
        return 0

    k = machine(main)
    k.console.hangup()
    out = bytearray()
    while k.run(budget=1000) != HALTED:
        out += k.console.drain()
    out += k.console.drain()
    assert b"one\r\ntwo\r\n" in out
    assert seen["winsize"] == Winsize(24, 80)
    t = seen["termios"]
    assert isinstance(t, Termios)
    assert t.lflag & ICANON and t.lflag & ECHO
    assert seen["bad_set"] == EINVAL
    assert seen["bad_req"] == EINVAL


def _interactive_shell() -> Any:
    k = machine(["/bin/sh", "-i"])
    assert run_until_idle(k) == IDLE
    return k


def _proc_comms(k: Any) -> dict[int, str]:
    host = HostClient(k)
    out = {}
    for name in host.listdir("/proc"):
        if name.isdigit():
            out[int(name)] = host.read_file(f"/proc/{name}/comm").decode().strip()
    return out


def test_ctrl_c_interrupts_the_foreground_job_not_the_shell() -> None:
    k = _interactive_shell()
    prompt = k.console.drain()
    assert prompt.endswith(b"# ")
    k.console.feed(b"sleep 100\n")
    assert k.run(until=k.now_ns + SECOND) == UNTIL
    comms = _proc_comms(k)
    assert "sleep" in comms.values()
    shell_pid = next(p for p, c in comms.items() if c == "sh")
    k.console.drain()
    k.console.feed(b"\x03")
    assert run_until_idle(k) == IDLE
    out = k.console.drain()
    assert out.startswith(b"^C")
    assert out.endswith(prompt.splitlines()[-1])
    comms = _proc_comms(k)
    assert "sleep" not in comms.values()
    assert comms.get(shell_pid) == "sh"
    k.console.feed(b"echo status=$?\n")
    run_until_idle(k)
    assert b"status=130" in k.console.drain()
    k.console.feed(b"exit 0\n")
    r = run(k)
    assert r.status == 0


def test_ctrl_c_at_the_prompt_discards_the_line() -> None:
    k = _interactive_shell()
    k.console.drain()
    k.console.feed(b"echo not this\x03")
    run_until_idle(k)
    k.console.feed(b"echo this\n")
    run_until_idle(k)
    out = k.console.drain().replace(b"\r\n", b"\n")
    assert b"not this\n" not in out
    assert b"\nthis\n" in out


def test_ctrl_z_stops_the_foreground_group() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        await sys.read(0, 10)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        await sys.sigaction(SIGTTOU, SIG_IGN)
        me = await sys.getpgid(0)
        pid = await sys.spawn(cpath, ["c"], None, None, None, SpawnAttr(pgroup=0, foreground=True))
        seen["fg_during"] = await sys.ioctl(0, TIOCGPGRP)
        seen["stopped"] = await sys.wait4(pid, WUNTRACED)
        await sys.ioctl(0, TIOCSPGRP, me)
        seen["fg_after"] = await sys.ioctl(0, TIOCGPGRP)
        await sys.kill(pid, 9)
        seen["killed"] = await sys.wait4(pid)
        seen["pids"] = (me, pid)
        return 0

    k = machine(main)
    assert run_until_idle(k) == IDLE  # the child waits for input
    k.console.drain()
    k.console.feed(b"\x1a")
    assert k.console.drain() == b"^Z\r\n"
    r = run(k)
    assert r.status == 0, r.log
    me, pid = seen["pids"]
    assert seen["fg_during"] == pid
    got, st = seen["stopped"]
    assert got == pid and WIFSTOPPED(st) and WSTOPSIG(st) == SIGTSTP
    assert seen["fg_after"] == me
    assert WIFSIGNALED(seen["killed"][1]) and WTERMSIG(seen["killed"][1]) == 9


def test_ctrl_c_signals_the_whole_foreground_group_only() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        await sys.nanosleep(100 * SECOND)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        await sys.sigaction(SIGTTOU, SIG_IGN)
        me = await sys.getpgid(0)
        a = await sys.spawn(cpath, ["c"], None, None, None, SpawnAttr(pgroup=0, foreground=True))
        b = await sys.spawn(cpath, ["c"], None, None, None, SpawnAttr(pgroup=a))
        bg = await sys.spawn(cpath, ["c"], None, None, None, SpawnAttr(pgroup=0))
        got = {}
        for _ in range(2):
            pid, st = await sys.wait4(-a)
            got[pid] = st
        seen["fg"] = got
        seen["fg_pids"] = {a, b}
        seen["bg_alive"] = await sys.wait4(bg, 1)
        seen["at"] = await sys.clock_gettime()
        await sys.ioctl(0, TIOCSPGRP, me)
        await sys.kill(bg, 9)
        await sys.wait4(bg)
        return 0

    k = machine(main)
    assert k.run(until=SECOND) == UNTIL
    k.console.feed(b"\x03")
    r = run(k)
    assert r.status == 0, r.log
    fg = seen["fg"]
    assert set(fg) == seen["fg_pids"]
    assert all(WIFSIGNALED(st) and WTERMSIG(st) == SIGINT for st in fg.values())
    assert seen["bg_alive"] == (0, 0)
    assert SECOND <= seen["at"] < 2 * SECOND


def test_background_reader_is_stopped_with_sigttin() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        await sys.read(0, 10)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"], None, None, None, SpawnAttr(pgroup=0))
        seen["st"] = await sys.wait4(pid, WUNTRACED)
        await sys.kill(pid, 9)
        await sys.wait4(pid)
        return 0

    k = machine(main)
    r = run(k)
    assert r.status == 0, r.log
    assert WIFSTOPPED(seen["st"][1]) and WSTOPSIG(seen["st"][1]) == SIGTTIN


def test_tcgetpgrp_and_tcsetpgrp() -> None:
    seen: dict[str, Any] = {}

    async def outsider(argv: list[str]) -> int:
        seen["outsider_get"] = await errno_of(sys.ioctl(0, TIOCGPGRP))
        return 0

    opath = register(outsider)

    async def main(argv: list[str]) -> int:
        me = await sys.getpgid(0)
        seen["me"] = me
        seen["initial"] = await sys.ioctl(0, TIOCGPGRP)
        pid = await sys.spawn(IDLE_PATH, ["i"], None, None, None, SpawnAttr(pgroup=0))
        seen["child"] = pid
        await sys.ioctl(0, TIOCSPGRP, pid)
        seen["set"] = await sys.ioctl(0, TIOCGPGRP)
        await sys.sigaction(SIGTTOU, SIG_IGN)  # we are in the background now
        seen["nosuch"] = await errno_of(sys.ioctl(0, TIOCSPGRP, 99999))
        seen["zero"] = await errno_of(sys.ioctl(0, TIOCSPGRP, 0))
        seen["notint"] = await errno_of(sys.ioctl(0, TIOCSPGRP, "1"))
        await sys.ioctl(0, TIOCSPGRP, me)
        seen["back"] = await sys.ioctl(0, TIOCGPGRP)
        o = await sys.spawn(opath, ["o"], None, None, None, SpawnAttr(setsid=True))
        await sys.wait4(o)
        seen["not_a_tty"] = await errno_of(sys.ioctl(await sys.open("/dev/null"), TIOCGPGRP))
        await sys.kill(pid, 9)
        await sys.wait4(pid)
        return 0

    k = machine(main)
    r = run(k)
    assert r.status == 0, r.log
    assert seen["initial"] == seen["me"]
    assert seen["set"] == seen["child"]
    assert seen["nosuch"] == EPERM
    assert seen["zero"] == EINVAL
    assert seen["notint"] == EINVAL
    assert seen["back"] == seen["me"]
    assert seen["outsider_get"] == ENOTTY  # another session: not its terminal
    assert seen["not_a_tty"] == ENOTTY


async def _idle(argv: list[str]) -> int:
    await sys.nanosleep(100 * SECOND)
    return 0


IDLE_PATH = register(_idle)


def test_dev_tty_is_the_controlling_terminal() -> None:
    seen: dict[str, Any] = {}

    async def detached(argv: list[str]) -> int:
        seen["detached"] = await errno_of(sys.open("/dev/tty", 2))
        return 0

    dpath = register(detached)

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/dev/tty", 2)
        seen["rdev"] = (await sys.fstat(fd)).st_rdev
        await sys.write(fd, b"via dev tty\n")
        pid = await sys.spawn(dpath, ["d"], None, None, None, SpawnAttr(setsid=True))
        await sys.wait4(pid)
        return 0

    r = run(machine(main))
    assert r.status == 0, r.log
    assert seen["rdev"] == (5 << 8) | 1
    assert "via dev tty\n" in r.output
    assert seen["detached"] == 6  # ENXIO


def test_hangup_gives_readers_eof() -> None:
    reads: list[bytes] = []
    k = reader_machine(reads)
    k.console.hangup()
    run_until_idle(k)
    assert reads == [b""]
    assert k.halted


def test_isig_off_passes_control_characters() -> None:
    reads: list[bytes] = []

    async def reader(argv: list[str]) -> int:
        attrs = await sys.ioctl(0, TCGETS)
        attrs.lflag &= ~(ICANON | ISIG)
        await sys.ioctl(0, TCSETS, attrs)
        while (data := await sys.read(0, 1)) != b"q":
            reads.append(data)
        return 0

    k = machine(reader)
    assert run_until_idle(k) == IDLE
    type_and_settle(k, b"\x03\x1a\x1cq")
    assert reads == [b"\x03", b"\x1a", b"\x1c"]
    assert k.halted and k.power_status == 0


def test_ctrl_backslash_quits_with_a_core_dump() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        await sys.read(0, 10)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"], None, None, None, SpawnAttr(pgroup=0, foreground=True))
        seen["st"] = (await sys.wait4(pid))[1]
        return 0

    k = machine(main)
    assert run_until_idle(k) == IDLE
    k.console.feed(b"\x1c")
    r = run(k)
    assert r.status == 0, r.log
    assert WIFSIGNALED(seen["st"]) and WTERMSIG(seen["st"]) == SIGQUIT
    assert WCOREDUMP(seen["st"])


def test_tcsetsf_discards_pending_input() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.nanosleep(SECOND)  # input typed meanwhile stays unread
        attrs = await sys.ioctl(0, TCGETS)
        await sys.ioctl(0, TCSETSF, attrs)
        seen["read"] = await sys.read(0, 100)
        return 0

    k = machine(main)
    assert k.run(until=SECOND // 2) == UNTIL
    k.console.feed(b"typed ahead\n")
    assert run_until_idle(k) == IDLE
    k.console.feed(b"after flush\n")
    r = run(k)
    assert r.status == 0, r.log
    assert seen["read"] == b"after flush\n"


def test_malformed_termios_is_refused() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["set"] = await errno_of(sys.ioctl(0, TCSETS, Termios(cc={})))
        await sys.read(0, 10)
        return 0

    k = machine(main)
    assert run_until_idle(k) == IDLE
    k.console.feed(b"x\n")  # must not raise in the front end
    r = run(k)
    assert r.status == 0
    assert seen["set"] == EINVAL
