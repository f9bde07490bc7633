"""Served process and file tables (issue #12 part 5): table_serve(2), SpawnAttr's files
and procs, OPEN_PATH (refuse, redirect to the server's fd, do it yourself), SPAWN held
to limit how many run, EXIT, inheritance by grandchildren, server death (EIO)."""

from __future__ import annotations

from typing import Any

from ksim import MS, errno_of, register, run_body

from kernel.abi import (
    EACCES,
    EBADF,
    EINVAL,
    EIO,
    ENOENT,
    O_CREAT,
    O_RDONLY,
    O_WRONLY,
    SPAWN_OPEN,
    Error,
    SpawnAttr,
)
from kernel.abi import serve as proto
from kernel.abi import tables as tb
from userland.libk import sys

#: What each child program does and records, by a key in argv[1] (tests share one
#: interpreter; no per-process state lives here beyond the test's own dict).
SEEN: dict[str, Any] = {}


async def _opener(argv: list[str]) -> int:
    """Open each path of argv[2:] (``w:PATH`` for writing) and record the results."""
    out = SEEN[argv[1]].setdefault("child", [])
    for arg in argv[2:]:
        write = arg.startswith("w:")
        path = arg[2:] if write else arg
        try:
            fd = await sys.open(path, (O_WRONLY | O_CREAT) if write else O_RDONLY)
        except Error as err:
            out.append(("err", err.errno))
            continue
        if write:
            await sys.write(fd, b"via-" + path.encode())
            out.append(("wrote", fd))
        else:
            out.append(("read", await sys.read(fd, 100)))
        await sys.close(fd)
    return 0


OPENER = register(_opener, "tbl")


async def _napper(argv: list[str]) -> int:
    """Record the virtual time at start, sleep argv[2] ms, or spawn argv[2:] first."""
    log = SEEN[argv[1]].setdefault("starts", [])
    log.append(await sys.getpid())
    if argv[2:] and argv[2] == "spawn":
        try:
            pid = await sys.spawn(NAPPER, [NAPPER, argv[1], "5"])
            await sys.wait4(pid)
        except Error as err:
            SEEN[argv[1]]["grand_err"] = err.errno
        return 0
    await sys.nanosleep(int(argv[2]) * MS)
    return 0


NAPPER = register(_napper, "tbl")


async def _request(ch: int) -> proto.ServeRequest:
    return proto.unpack_request(await sys.read(ch, proto.SERVE_REQ_MAX))


async def _reply(ch: int, req: proto.ServeRequest, error: int = 0, payload: bytes = b"") -> None:
    await sys.write(ch, proto.pack_reply(req.unique, -error, payload))


def test_table_serve_errors_and_spawn_attr_checks() -> None:
    async def body(seen: dict[str, Any]) -> None:
        seen["bad"] = await errno_of(sys.table_serve(9))
        files = await sys.table_serve(tb.TABLE_FILES)
        procs = await sys.table_serve(tb.TABLE_PROCS)
        seen["cloexec"] = await sys.fcntl(files, 1)  # F_GETFD
        fd = await sys.open("/proc/self/fdinfo/" + str(files), O_RDONLY)
        seen["fdinfo"] = await sys.read(fd, 1000)
        await sys.close(fd)
        seen["wrongkind"] = await errno_of(
            sys.spawn(OPENER, [OPENER], None, None, None, SpawnAttr(files=procs))
        )
        seen["notopen"] = await errno_of(
            sys.spawn(OPENER, [OPENER], None, None, None, SpawnAttr(files=77))
        )
        seen["notchan"] = await errno_of(
            sys.spawn(OPENER, [OPENER], None, None, None, SpawnAttr(procs=0))
        )
        seen["badreply"] = await errno_of(sys.write(files, b"junk"))
        seen["nobody"] = await errno_of(sys.write(files, proto.pack_reply(99)))

    seen = run_body(body)
    assert seen["bad"] == EINVAL and seen["cloexec"] == 1
    assert b"table:\tfiles" in seen["fdinfo"]
    assert seen["wrongkind"] == EINVAL and seen["notopen"] == EBADF
    assert seen["notchan"] == EINVAL
    assert seen["badreply"] == EINVAL and seen["nobody"] == ENOENT


def test_file_table_refuses_redirects_and_passes_through() -> None:
    async def body(seen: dict[str, Any]) -> None:
        SEEN["f"] = seen
        fd = await sys.open("/tmp/real", O_WRONLY | O_CREAT)
        await sys.write(fd, b"real-data")
        await sys.close(fd)
        ch = await sys.table_serve(tb.TABLE_FILES)
        argv = [OPENER, "f", "/tmp/real", "secret", "w:/tmp/out", "/tmp/nothere"]
        pid = await sys.spawn(OPENER, argv, None, "/tmp", None, SpawnAttr(files=ch))
        reqs = []
        rd, wr = await sys.pipe()
        for _ in range(4):
            req = await _request(ch)
            reqs.append((req.opcode, tb.unpack_path(req.payload), req.pid, req.flags & 3))
            path = tb.unpack_path(req.payload)
            if path == "/tmp/secret":
                await _reply(ch, req, EACCES)
            elif path == "/tmp/out":
                await _reply(ch, req, 0, tb.fd_payload(wr))
                await sys.close(wr)  # the kernel took the open file at the reply
            else:
                await _reply(ch, req)  # do it yourself
        seen["wait"] = await sys.wait4(pid)
        seen["gathered"] = await sys.read(rd, 100)
        seen["eof"] = await sys.read(rd, 100)
        seen["reqs"] = reqs
        seen["pid"] = pid
        seen["stray"] = await errno_of(sys.write(ch, proto.pack_reply(1, 0, tb.fd_payload(55))))

    seen = run_body(body)
    pid = seen["pid"]
    assert seen["reqs"] == [
        (tb.OP_OPEN_PATH, "/tmp/real", pid, O_RDONLY),
        (tb.OP_OPEN_PATH, "/tmp/secret", pid, O_RDONLY),
        (tb.OP_OPEN_PATH, "/tmp/out", pid, O_WRONLY),
        (tb.OP_OPEN_PATH, "/tmp/nothere", pid, O_RDONLY),
    ]
    assert seen["child"] == [
        ("read", b"real-data"),
        ("err", EACCES),
        ("wrote", seen["child"][2][1]),
        ("err", ENOENT),
    ]
    assert seen["gathered"] == b"via-/tmp/out" and seen["eof"] == b""
    assert seen["wait"][1] == 0 and seen["stray"] == ENOENT


async def _redirector(argv: list[str]) -> int:
    """Spawn the opener with fd 5 opened for writing at out.txt in /tmp (a redirection)."""
    actions = [(SPAWN_OPEN, 5, "out.txt", O_WRONLY | O_CREAT, 0o644)]
    try:
        pid = await sys.spawn(OPENER, [OPENER, argv[1]], None, "/tmp", actions, None)
        SEEN[argv[1]]["grandchild"] = await sys.wait4(pid)
    except Error as err:
        SEEN[argv[1]]["spawn_err"] = err.errno
    return 0


REDIRECTOR = register(_redirector, "tbl")


def test_spawn_file_actions_go_through_the_file_table() -> None:
    async def body(seen: dict[str, Any]) -> None:
        SEEN["a"] = seen
        ch = await sys.table_serve(tb.TABLE_FILES)
        rd, wr = await sys.pipe()
        attr = SpawnAttr(files=ch)
        pid = await sys.spawn(REDIRECTOR, [REDIRECTOR, "a"], None, None, None, attr)
        req = await _request(ch)
        seen["path"] = tb.unpack_path(req.payload)
        await _reply(ch, req, 0, tb.fd_payload(wr))
        await sys.close(wr)
        seen["wait"] = await sys.wait4(pid)
        seen["eof"] = await sys.read(rd, 10)  # the grandchild's fd 5 closed with it: EOF
        pid = await sys.spawn(REDIRECTOR, [REDIRECTOR, "a"], None, None, None, attr)
        await _reply(ch, await _request(ch), EACCES)
        await sys.wait4(pid)

    seen = run_body(body)
    assert seen["path"] == "/tmp/out.txt" and seen["wait"][1] == 0 and seen["eof"] == b""
    assert seen["grandchild"][1] == 0 and seen["spawn_err"] == EACCES


def test_process_table_limits_running_sends_exit_and_is_inherited() -> None:
    async def body(seen: dict[str, Any]) -> None:
        SEEN["p"] = seen
        ch = await sys.table_serve(tb.TABLE_PROCS)
        # the child spawns through the table; so do its children (grandchildren)
        pids = [
            await sys.spawn(NAPPER, [NAPPER, "p", "spawn"], None, None, None, SpawnAttr(procs=ch))
            for _ in range(3)
        ]
        running = 0
        peak = 0
        held: list[proto.ServeRequest] = []
        events = []
        exits = 0
        while exits < 6:  # 3 handed + 3 spawned through
            req = await _request(ch)
            if req.opcode == tb.OP_SPAWN:
                events.append(("spawn", tb.unpack_spawn(req.payload)[1][1:], req.pid in pids))
                held.append(req)
            else:
                exits += 1
                events.append(("exit", req.offset, req.fh))
                if req.fh:
                    running -= 1
            while held and running < 2:
                running += 1
                peak = max(peak, running)
                await _reply(ch, held.pop(0), 0, (running + 100).to_bytes(8, "little"))
        for pid in pids:
            await sys.wait4(pid)
        seen["events"] = events
        seen["peak"] = peak

    seen = run_body(body)
    spawns = [e for e in seen["events"] if e[0] == "spawn"]
    assert spawns == [("spawn", ["p", "5"], True)] * 3
    exits = [e for e in seen["events"] if e[0] == "exit"]
    assert len(exits) == 6 and all(e[1] == 0 for e in exits)
    handles = [e[2] for e in exits if e[2]]  # the handles of the grants come back
    assert len(handles) == 3 and set(handles) <= {101, 102}
    assert seen["peak"] == 2 and len(seen["starts"]) == 6


def test_server_death_fails_table_requests_with_eio() -> None:
    async def body(seen: dict[str, Any]) -> None:
        SEEN["d"] = seen
        ch = await sys.table_serve(tb.TABLE_PROCS)
        pid = await sys.spawn(NAPPER, [NAPPER, "d", "spawn"], None, None, None, SpawnAttr(procs=ch))
        req = await _request(ch)  # the grandchild's SPAWN: never answered
        seen["op"] = req.opcode
        await sys.close(ch)  # the server is gone
        seen["wait"] = await sys.wait4(pid)
        seen["eperm"] = 0

    seen = run_body(body)
    assert seen["op"] == tb.OP_SPAWN and seen["grand_err"] == EIO and seen["wait"][1] == 0


def test_payload_helpers_round_trip() -> None:
    assert tb.unpack_spawn(tb.spawn_payload("/bin/sh", ["sh", "-c", "x"])) == (
        "/bin/sh",
        ["sh", "-c", "x"],
    )
    assert tb.unpack_fd(tb.fd_payload(7)) == 7 and tb.unpack_fd(b"") is None
    assert tb.unpack_path(tb.path_payload("/a b")) == "/a b"
