"""AF_UNIX sockets from the outside (issue #12 part 2): /proc/net/unix as psutil reads
it, /proc/<pid>/fd's ``socket:[N]`` links, ``nc -U`` and ``ss -x`` in the shell, and
the issue's end-to-end line through the real ``libk-tui --headless``."""

from __future__ import annotations

import subprocess
import sys as host_sys
from pathlib import Path

import psutil
import pytest
from ksim import MS, SECOND, discard, machine, register, shell
from procdump import snapshot

from kernel.abi import AF_UNIX, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM
from userland.bin.ss import parse
from userland.libk import sys


async def _holder(argv: list[str]) -> int:
    """Sockets of every kind, held open: a listener with a connection not yet
    accepted and one accepted, an abstract datagram socket, a seqpacket pair."""
    s = await sys.socket(AF_UNIX, SOCK_STREAM)
    await sys.bind(s, "/tmp/srv")
    await sys.listen(s, 4)
    for _ in range(2):
        c = await sys.socket(AF_UNIX, SOCK_STREAM)
        await sys.connect(c, "/tmp/srv")
    await sys.accept(s)
    d = await sys.socket(AF_UNIX, SOCK_DGRAM)
    await sys.bind(d, b"\0dgram")
    await sys.socketpair(AF_UNIX, SOCK_SEQPACKET)
    await sys.nanosleep(100 * SECOND)
    return 0


HOLDER = register(_holder)


def test_proc_net_unix_as_psutil_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    k = machine([HOLDER])
    k.run(until=50 * MS)
    pid = next(p.pid for p in k.procs.procs.values() if p.argv[:1] == [HOLDER])
    snapshot(k, tmp_path, pid)
    discard(k)
    text = (tmp_path / "net" / "unix").read_text()
    lines = text.splitlines()
    assert lines[0] == "Num       RefCount Protocol Flags    Type St Inode Path"
    monkeypatch.setattr(psutil, "PROCFS_PATH", str(tmp_path))
    conns = [c for c in psutil.net_connections("unix") if c.pid == pid]
    by_fd = {c.fd: c for c in conns}
    assert sorted(by_fd) == [3, 4, 5, 6, 7, 8, 9]
    assert by_fd[3].laddr == "/tmp/srv" and by_fd[3].type == SOCK_STREAM
    assert by_fd[6].laddr == "/tmp/srv"  # an accepted socket shares the listener's name
    assert by_fd[7].laddr == "@dgram" and by_fd[7].type == SOCK_DGRAM
    assert by_fd[8].type == SOCK_SEQPACKET and by_fd[8].laddr == ""
    links = {int(p.name): str(p.readlink()) for p in (tmp_path / str(pid) / "fd").iterdir()}
    inodes = {int(line.split()[6]) for line in lines[1:]}
    assert {int(t[8:-1]) for fd, t in links.items() if fd >= 3} <= inodes
    rows = {r.inode: r for r in parse(text)}
    states = sorted(r.state for r in rows.values())
    # The listener, 2 clients, 1 queued (SYN-SENT) and 1 accepted, dgram, the pair.
    assert states == sorted(["LISTEN"] + ["ESTAB"] * 5 + ["SYN-SENT", "UNCONN"])


def test_nc_and_ss_in_the_shell() -> None:
    r = shell(
        "nc -lkU /tmp/s > /tmp/got & sleep 1; ss -xl; ss -xlp -H; echo a | nc -U /tmp/s;"
        " echo b | nc -U /tmp/s; sleep 1; cat /tmp/got; kill %1;"
        " nc -U /tmp/none; echo st=$?; nc -lU /tmp/s; echo st=$?; nc /tmp/s; echo st=$?;"
        " ls -l /tmp/s | cut -c1; stat -c %F /tmp/s; test -S /tmp/s && echo socket"
    )
    lines = r.output.splitlines()
    assert lines[0].split() == [
        "Netid",
        "State",
        "Recv-Q",
        "Send-Q",
        "Local",
        "Address:Port",
        "Peer",
        "Address:Port",
        "Process",
    ]
    fields = lines[1].split()
    assert fields[:5] == ["u_str", "LISTEN", "0", "0", "/tmp/s"] and fields[6:8] == ["*", "0"]
    assert lines[2].split()[:5] == ["u_str", "LISTEN", "0", "0", "/tmp/s"]
    assert lines[2].endswith('users:(("nc",pid=3,fd=3))')
    assert lines[3:5] == ["a", "b"]
    assert lines[5:] == [
        "nc: /tmp/none: No such file or directory",
        "st=1",
        "nc: Address already in use",
        "st=1",
        "nc: socket: Address family not supported by protocol (libk's nc needs -U PATH)",
        "st=1",
        "s",
        "socket",
        "socket",
    ]


def test_nc_datagrams() -> None:
    r = shell(
        "nc -luU /tmp/d > /tmp/got & sleep 1; printf 'one\\n' | nc -uU /tmp/d; sleep 1;"
        " cat /tmp/got; ss -xa | grep -c u_dgr; kill %1"
    )
    assert r.output.splitlines() == ["one", "1"], r.output


def test_nc_copies_both_ways() -> None:
    r = shell(
        "mkfifo /tmp/in; (echo from-server > /tmp/in &);"
        " nc -lU /tmp/s < /tmp/in > /tmp/server.out & sleep 1;"
        " echo from-client | nc -U /tmp/s; wait; cat /tmp/server.out"
    )
    assert r.output.splitlines() == ["from-server", "from-client"], r.output


def test_the_issue_line_through_the_headless_app() -> None:
    line = (
        "mkfifo /tmp/f; (echo through-fifo > /tmp/f &); cat /tmp/f; nc -lU /tmp/s > /tmp/got &"
        " sleep 1; echo through-socket | nc -U /tmp/s; sleep 1; cat /tmp/got; ss -x"
    )
    r = subprocess.run(
        [host_sys.executable, "-m", "tui.cli", "--headless", "-c", line],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == ["through-fifo", "through-socket"]
    assert lines[2].startswith("Netid State")
