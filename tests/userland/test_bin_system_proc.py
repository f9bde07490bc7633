"""The /proc readers: ps, top, pstree, free, uptime, and kill/ps/pstree on threads."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess

import pytest

from kernel.abi import ECHO, ICANON, ISIG, O_RDWR, TCGETS, TCSETS
from kernel.boot import boot, load, with_init
from kernel.exec import register_program
from kernel.host import HostClient
from kernel.kernel import HALTED
from tui.headless import run_command
from userland.libk import sys as lsys


def sh(cmd: str) -> str:
    return run_command(cmd)[0]


async def _burn(argv: list[str]) -> int:
    """``t_burn [N]``: use the CPU (N checkpoints, or for ever)."""
    n = int(argv[1]) if len(argv) > 1 else -1
    while n != 0:
        await lsys.checkpoint()
        n -= 1
    return 0


def burner_machine() -> object:
    """The default image with /bin/t_burn and a checkpoint costing 100 µs of CPU, so
    that a little host time burns a lot of virtual CPU time."""
    register_program("t_burn", _burn)
    base = load(None)
    costs = dataclasses.replace(base.clock.costs, checkpoint=100_000)
    return dataclasses.replace(base, clock=dataclasses.replace(base.clock, costs=costs))


def host_header(argv: list[str]) -> list[str] | None:
    if shutil.which(argv[0]) is None:
        return None
    res = subprocess.run(argv, capture_output=True, text=True)
    return res.stdout.splitlines()[0].split() if res.stdout else None


@pytest.mark.parametrize(
    ("ours", "host"),
    [
        ("ps", ["ps"]),
        ("ps -f", ["ps", "-f"]),
        ("ps aux", ["ps", "aux"]),
        (
            "ps -e -o pid,ppid,user,stat,time,comm",
            ["ps", "-e", "-o", "pid,ppid,user,stat,time,comm"],
        ),
        ("ps -o pid,%cpu,%mem,rss,vsz,tty,nlwp,pgid,sid,args", None),
        ("ps -eL", ["ps", "-eL"]),
        ("free", ["free"]),
        ("free -w", ["free", "-w"]),
    ],
)
def test_headers_match_the_host_tools(ours: str, host: list[str] | None) -> None:
    first = sh(ours).splitlines()[0].split()
    if host is None:
        assert first == [
            "PID",
            "%CPU",
            "%MEM",
            "RSS",
            "VSZ",
            "TT",
            "NLWP",
            "PGID",
            "SID",
            "COMMAND",
        ]
        return
    expected = host_header(host)
    if expected is None:
        pytest.skip(f"no host {host[0]}")
    assert first == expected


def test_ps_selection_and_formats() -> None:
    out = sh(
        "sleep 100 & sleep 200 & "
        "echo A; ps; echo B; ps -e | wc -l; echo C; ps -p 1 -o pid=,comm=; "
        'echo D; ps -o pid=X -o comm= -p 1; echo E; ps -u alice; echo "status $?"; '
        "echo F; ps -p 1,2 -o pid,ppid,sid,pgid,tpgid,nlwp,s --no-headers; "
        "echo G; ps -e -o comm --sort=-pid | head -3; "
        "echo H; ps -e -o pid,comm,args | grep '[s]leep 200$'; "
        "echo I; ps aux | grep '[s]leep 100$'; "
        "echo J; cd /tmp; su alice -c 'ps -o user,comm'"
    )
    sections = dict(re.findall(r"^([A-J])\n(.*?)(?=^[A-J]\n|\Z)", out, re.S | re.M))
    a = sections["A"].splitlines()
    assert a[0] == "    PID TTY          TIME CMD"
    assert [line.split()[-1] for line in a[1:]] == ["sh", "sleep", "sleep", "ps"]
    assert sections["B"].strip() == "7"  # header, init, sh, 2 sleeps, ps, wc
    assert sections["C"] == "      1 init\n"
    assert sections["D"] == "      X\n      1 init\n"
    assert sections["E"] == "    PID TTY          TIME CMD\nstatus 1\n"
    assert sections["F"] == "      1       0       1       1      -1    1 S\n" + (
        "      2       1       2       2       2    1 S\n"
    )
    assert sections["G"].splitlines()[0] == "COMMAND"
    assert sections["G"].splitlines()[1:] == ["head", "ps"]
    assert re.fullmatch(r"\s+4 sleep\s+sleep 200\n", sections["H"]), sections["H"]
    assert re.fullmatch(
        r"root\s+3\s+0\.0\s+0\.0\s+\d+\s+\d+ console\s+S\+\s+00:00\s+0:00 sleep 100\n",
        sections["I"],
    )
    assert sections["J"].splitlines()[0] == "USER     COMMAND"
    assert [line.split() for line in sections["J"].splitlines()[1:]] == [
        ["alice", "sh"],
        ["alice", "ps"],
    ]


def test_ps_errors() -> None:
    out = sh(
        'ps -o bogus; echo "s=$?"; ps -u nobody; echo "s=$?"; ps -p x; echo "s=$?"; '
        'ps -Z; echo "s=$?"; ps -p 99999; echo "s=$?"; ps --help | head -2'
    )
    assert out.startswith('error: unknown user-defined format specifier "bogus"\n')
    statuses = re.findall(r"^s=(\d+)$", out, re.M)
    assert statuses == ["1", "1", "1", "1", "1"]
    assert "error: user name does not exist\n" in out
    assert "error: process ID list syntax error\n" in out
    assert "error: unsupported SysV option\n" in out
    assert out.endswith("Usage:\n ps [options]\n")


def test_ps_zombie_and_stopped_states() -> None:
    out = sh("sleep 100 & kill -STOP $!; ps -o pid,stat,comm -p $!; kill -CONT $!; kill $!")
    assert re.search(r"^\s+\d+ T\+?\s+sleep$", out, re.M)


def test_top_batch_frames_and_cpu_from_deltas() -> None:
    out = run_command("t_burn & top -b -n 3 -d 0.5; kill $!", burner_machine())[0]
    frames = out.split("top - ")[1:]
    assert len(frames) == 3
    for frame in frames:
        lines = frame.splitlines()
        assert re.fullmatch(
            r"\d\d:\d\d:\d\d up \d+ min,\s+1 user,  load average: [\d.]+, [\d.]+, [\d.]+",
            lines[0],
        )
        assert re.fullmatch(
            r"Tasks:\s+4 total,\s+\d+ running,\s+\d+ sleeping,\s+0 stopped,\s+0 zombie", lines[1]
        )
        assert lines[2].startswith("%Cpu(s):") and lines[2].endswith(" st")
        assert re.fullmatch(
            r"MiB Mem :\s+63\.0 total,\s+[\d.]+ free,\s+[\d.]+ used,\s+[\d.]+ buff/cache", lines[3]
        )
        assert lines[4].startswith("MiB Swap:") and lines[4].endswith(" avail Mem")
        assert lines[5] == ""
        assert lines[6].split() == (
            [
                "PID",
                "USER",
                "PR",
                "NI",
                "VIRT",
                "RES",
                "SHR",
                "S",
                "%CPU",
                "%MEM",
                "TIME+",
                "COMMAND",
            ]
        )
    # After the first frame, %CPU comes from /proc deltas: the busy loop has one CPU.
    last = [line for line in frames[2].splitlines() if line.strip()]
    busy = last[6].split()
    assert busy[1:3] == ["root", "20"] and busy[-1] == "t_burn"
    assert float(busy[8]) == 100.0
    assert [float(row.split()[8]) for row in last[7:]] == [0.0, 0.0, 0.0]
    assert re.search(r" 25\.0 us,", frames[2])  # one CPU of four


def test_top_options_and_errors() -> None:
    out = sh(
        "top -b -n 1 -p 1 | tail -1; top -b -n1 -u alice | tail -1; "
        'top -b -n 1 -o PID | head -8 | tail -1; top -b -n 1 -o bogus; echo "s=$?"; '
        'top -x 2>&1 | head -1; top -b -n 1 -u nobody; echo "s=$?"'
    )
    lines = out.splitlines()
    assert lines[0].split()[0] == "1" and lines[0].split()[-1] == "init"
    assert lines[1].split()[0] == "PID"  # alice has no process: just the header
    assert lines[2].split()[0] == "1"
    assert "top: unrecognized field name 'BOGUS'" in out
    assert "top: invalid option -- 'x'" in out
    assert "top: Invalid user 'nobody'" in out
    assert re.findall(r"^s=(\d)$", out, re.M) == ["1", "1"]


def test_top_interactive_redraws_and_restores_the_terminal() -> None:
    out = sh("top -n 2 -d 1; echo after")
    assert out.startswith("\x1b[?25l\x1b[H\x1b[2J\x1b[Htop - ")
    assert out.count("\x1b[Htop - ") == 2
    assert out.endswith("\x1b[J\x1b[?25h\nafter\n")


def test_pstree() -> None:
    out = sh(
        "sleep 10 & sleep 10 & sleep 20 & echo A; pstree; echo B; pstree -p; "
        'echo C; pstree -a 2; echo D; pstree -c 2; echo E; pstree 99999; echo "s=$?"; '
        "echo F; pstree root | head -1; echo G; pstree nosuch"
    )
    assert "A\ninit---sh-+-pstree\n          `-3*[sleep]\n" in out
    assert re.search(
        r"B\ninit\(1\)---sh\(2\)-\+-pstree\(\d+\)\n"
        r" {16}\|-sleep\(3\)\n {16}\|-sleep\(4\)\n {16}`-sleep\(5\)\n",
        out,
    )
    assert re.search(
        r"C\nsh -c sleep 10 .*\n  \|-pstree -a 2\n  \|-sleep 10\n  \|-sleep 10\n  `-sleep 20\n",
        out,
    )
    assert "D\nsh-+-pstree\n   |-sleep\n   |-sleep\n   `-sleep\n" in out
    assert "E\ns=1\n" in out
    assert "F\ninit---sh-+-head\n" in out
    assert out.endswith("G\npstree: No such user name: nosuch\n")


def test_free() -> None:
    out = sh("free; free -h; free -m -t; free -b | grep Mem; free -s 1 -c 2 | grep -c Mem; free -x")
    lines = out.splitlines()
    assert (
        lines[0]
        == "               total        used        free      shared  buff/cache   available"
    )
    mem = lines[1].split()
    assert mem[0] == "Mem:" and mem[1] == "64512"
    total, used, free_, shared, cache, avail = map(int, mem[1:])
    # MemAvailable is Linux's estimate: free memory less the watermark reserve, plus
    # the part of the file cache that could be dropped (tmpfs is not), so it may be
    # below MemFree.
    assert used == total - avail and 0 < avail <= free_ + cache
    assert lines[2] == "Swap:              0           0           0"
    assert lines[4].split()[:2] == ["Mem:", "63Mi"]
    assert lines[5] == "Swap:             0B          0B          0B"
    assert lines[7].split()[:2] == ["Mem:", "63"]
    assert lines[9].split()[:2] == ["Total:", "63"]
    assert lines[10].split()[1] == str(64512 * 1024)
    assert lines[11] == "2"
    assert lines[12] == "free: invalid option -- 'x'"


def test_uptime() -> None:
    out = sh("uptime; sleep 3700; uptime; uptime -p; uptime -s; sleep 90000; uptime; uptime -p")
    lines = out.splitlines()
    assert re.fullmatch(
        r" 00:00:00 up 0 min,  1 user,  load average: 0\.00, 0\.00, 0\.00", lines[0]
    )
    assert re.fullmatch(
        r" 01:01:40 up  1:01,  1 user,  load average: [\d.]+, [\d.]+, [\d.]+", lines[1]
    )
    assert lines[2] == "up 1 hour, 1 minute"
    assert lines[3] == "2026-01-01 00:00:00"
    assert re.fullmatch(r" 02:01:40 up 1 day,  2:01,  1 user,  load average: .*", lines[4])
    assert lines[5] == "up 1 day, 2 hours, 1 minute"


@pytest.mark.skipif(shutil.which("uptime") is None, reason="needs the host's uptime")
def test_uptime_shape_matches_host() -> None:
    host = subprocess.run(["uptime"], capture_output=True, text=True).stdout.rstrip("\n")
    shape = (
        r" \d\d:\d\d:\d\d up (\d+ days?, )?(\s?\d+:\d\d|\d+ min),\s+\d+ users?,"
        r"  load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d"
    )
    assert re.fullmatch(shape, host)
    assert re.fullmatch(shape, sh("uptime").rstrip("\n"))


async def _thread_owner(argv: list[str]) -> int:
    """Start a thread (it takes the process's name, as a pthread), then run
    kill/ps/pstree on it; report into /tmp/out."""

    async def worker(_: object) -> None:
        while not await lsys.thread_should_exit():
            await lsys.nanosleep(10_000_000)

    tid = await lsys.thread_spawn(worker, None)
    me = await lsys.getpid()
    script = (
        f"kill {tid}; echo status=$?; /bin/kill {tid}; echo status=$?; "
        f"ps -L -o pid,lwp,nlwp,comm -p {me}; pstree -p {me}; pstree {me}; "
        f"ps -o stat= -p {me}"
    )
    actions = [("dup2", 1, 2)]
    pid = await lsys.spawn("/bin/sh", ["sh", "-c", script], None, "/tmp", actions)
    await lsys.wait4(pid, 0)
    await lsys.thread_request_exit(tid)
    await lsys.thread_join(tid)
    return 0


def test_threads_are_never_killed_and_show_in_ps_and_pstree() -> None:
    register_program("t_thread_owner", _thread_owner)
    k = boot(with_init(load(None), ["/bin/t_thread_owner"]))
    out = bytearray()
    for _ in range(2000):
        state = k.run(budget=50_000)
        out += k.console.drain()
        if state == HALTED:
            break
    text = out.decode().replace("\r\n", "\n")
    msg = (
        r"kill: \(3\): 3 is a thread of process 2, and threads are never killed; "
        r"ask it to leave with thread_request_exit\(3\) instead"
    )
    assert re.search(msg, text), text
    assert text.count("status=1") == 2
    assert re.search(r"\s+2\s+2\s+2 t_thread_owner\n\s+2\s+3\s+2 t_thread_owner\n", text), text
    assert "t_thread_owner(2)-+-sh(4)---pstree(" in text, text
    assert "\n                  `-{t_thread_owner}(3)\n" in text, text
    assert "t_thread_owner-+-sh---pstree\n               `-{t_thread_owner}\n" in text, text
    assert re.search(r"^Ssl\+?$", text, re.M), text


def _console_session(script: str, keys: list[bytes], marker: str) -> tuple[str, int]:
    """Run ``sh -c script`` on the console; type each of ``keys`` once ``marker`` has
    appeared that many more times; return the output and the console's lflag after."""
    k = boot(with_init(load(None), ["/bin/sh", "-c", script]))
    out = bytearray()
    pending = list(keys)
    for _ in range(20_000):
        # Small slices: a sleeping top costs few requests per frame, and the key must
        # arrive between two frames.
        state = k.run(budget=200)
        out += k.console.drain()
        if pending and out.decode(errors="replace").count(marker) >= len(keys) - len(pending) + 1:
            k.console.feed(pending.pop(0))
        if state == HALTED:
            break
    else:
        raise AssertionError("machine did not halt: " + out.decode(errors="replace"))
    host = HostClient(k)
    fd = host.open("/dev/console", O_RDWR)
    try:
        lflag = host.ioctl(fd, TCGETS).lflag
    finally:
        host.close(fd)
    return out.decode(errors="replace").replace("\r\n", "\n"), lflag


def test_top_interactive_q_quits_and_restores_cooked_mode() -> None:
    out, lflag = _console_session("top -d 5; echo after", [b"q"], "top - ")
    assert out.count("\x1b[Htop - ") == 1
    assert "\x1b[?25h\nafter\n" in out
    assert lflag & (ICANON | ECHO | ISIG) == ICANON | ECHO | ISIG


def test_top_interactive_control_c_quits_and_keys_resort() -> None:
    out, lflag = _console_session("top -d 5; echo after=$?", [b"N", b"\x03"], "top - ")
    frames = out.split("\x1b[Htop - ")[1:]
    assert len(frames) == 2
    pids = [int(line.split()[0]) for line in frames[1].split("\x1b[K\n")[7:] if line.strip()]
    assert pids == sorted(pids)  # N: sorted by PID
    assert out.endswith("after=0\n")
    assert lflag & ICANON


async def _raw_mode(argv: list[str]) -> int:
    """Leave the console in raw mode without echo, as a crashed full-screen program would."""
    attrs = await lsys.ioctl(0, TCGETS)
    attrs.lflag &= ~(ICANON | ECHO | ISIG)
    await lsys.ioctl(0, TCSETS, attrs)
    return 0


def test_reset_restores_a_sane_terminal() -> None:
    register_program("t_raw_mode", _raw_mode)
    _, lflag = _console_session("t_raw_mode", [], "never")
    assert lflag & (ICANON | ECHO | ISIG) == 0
    out, lflag = _console_session("t_raw_mode; reset; echo done", [], "never")
    assert lflag & (ICANON | ECHO | ISIG) == ICANON | ECHO | ISIG
    assert out.endswith("\x1bcdone\n")
