"""Served paths (issue #12 part 4): serve(2), serve_timeout(2), the channel protocol,
the client's safety from its server (death, silence, signals) and fdinfo's served_by."""

from __future__ import annotations

from typing import Any

from ksim import MS, SECOND, errno_of, register, run_body

from kernel.abi import (
    EACCES,
    EAGAIN,
    EBADF,
    EINTR,
    EINVAL,
    EIO,
    EISDIR,
    ENOENT,
    ENOTTY,
    EPERM,
    EROFS,
    F_SETFL,
    O_NONBLOCK,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    POLLIN,
    POLLOUT,
    S_ISCHR,
    S_ISREG,
    SIG_CATCH,
    SIGKILL,
    SIGUSR1,
    Error,
    SpawnAttr,
)
from kernel.abi import serve as proto
from userland.libk import sys
from userland.libk.serve import Server

CHR, FILE = proto.SERVE_CHR, proto.SERVE_FILE


class Echo(Server):
    """Records what it sees; a small file whose content is ``data``."""

    def __init__(self, seen: dict[str, Any], data: bytes = b"0123456789") -> None:
        super().__init__()
        self.seen = seen
        self.data = bytearray(data)
        seen.setdefault("reqs", [])

    async def handle(self, req: proto.ServeRequest) -> None:
        self.seen["reqs"].append(req)
        await super().handle(req)

    async def open(self, req: proto.ServeRequest) -> int:
        if req.flags & 3 == O_WRONLY and req.uid != 0:
            raise Error(EACCES)
        return 42

    async def read(self, req: proto.ServeRequest) -> bytes:
        return bytes(self.data[req.offset : req.offset + req.size])

    async def write(self, req: proto.ServeRequest) -> int:
        if b"ro" in req.payload:
            raise Error(EROFS)
        self.data[req.offset : req.offset + len(req.payload)] = req.payload
        return len(req.payload)

    async def ioctl(self, req: proto.ServeRequest) -> int | bytes:
        if req.flags == 1:
            return req.offset * 2
        if req.flags == 2:
            return req.payload[::-1]
        return await super().ioctl(req)

    async def release(self, req: proto.ServeRequest) -> None:
        self.seen["released"] = req.fh
        self.stop()


#: The server each spawned server process runs, by the path it serves (set before spawn).
SERVERS: dict[str, Any] = {}


async def _server_main(argv: list[str]) -> int:
    await SERVERS[argv[1]].serve(argv[1], int(argv[2]), 0o666)
    return 0


SERVER = register(_server_main, "srv")


async def spawn_server(seen: dict[str, Any], path: str, kind: int, server: Any = None) -> int:
    """Start a process serving ``path`` with an Echo (or ``server``); wait till it serves."""
    SERVERS[path] = server if server is not None else Echo(seen)
    pid = await sys.spawn(SERVER, [SERVER, path, str(kind)])
    for _ in range(100):
        if await _served(path):
            break
        await sys.nanosleep(MS)
    return pid


async def _served(path: str) -> bool:
    fd = await sys.open("/proc/self/mounts", O_RDONLY)
    text = await sys.read(fd, 65536)
    await sys.close(fd)
    return f" {path} served ".encode() in text


def test_file_open_read_write_ioctl_close_reach_the_server() -> None:
    async def body(seen: dict[str, Any]) -> None:
        pid = await spawn_server(seen, "/tmp/f", FILE)
        st = await sys.stat("/tmp/f")
        seen["reg"] = S_ISREG(st.st_mode)
        fd = await sys.open("/tmp/f", O_RDWR)
        seen["r1"] = await sys.read(fd, 4)
        seen["r2"] = await sys.read(fd, 4)
        seen["w"] = await sys.write(fd, b"AB")
        await sys.lseek(fd, 0, 0)
        seen["all"] = await sys.read(fd, 100)
        seen["io1"] = await sys.ioctl(fd, 1, 21)
        seen["io2"] = await sys.ioctl(fd, 2, b"abc")
        seen["io3"] = await errno_of(sys.ioctl(fd, 3, None))
        seen["rofs"] = await errno_of(sys.write(fd, b"ro"))
        await sys.close(fd)
        seen["wait"] = await sys.wait4(pid)
        seen["gone"] = await errno_of(sys.stat("/tmp/f"))
        seen["me"] = await sys.getpid()

    seen = run_body(body)
    assert seen["reg"]
    assert (seen["r1"], seen["r2"], seen["w"]) == (b"0123", b"4567", 2)
    assert seen["all"] == b"01234567AB"
    assert (seen["io1"], seen["io2"], seen["io3"]) == (42, b"cba", ENOTTY)
    assert seen["rofs"] == EROFS
    assert seen["released"] == 42 and seen["wait"][1] == 0
    assert seen["gone"] == ENOENT  # the placeholder went with the server
    ops = [r.opcode for r in seen["reqs"]]
    assert ops[:2] == [proto.OP_GETATTR, proto.OP_OPEN] and ops[-1] == proto.OP_RELEASE
    assert ops.count(proto.OP_GETATTR) == 1  # (stat asked the server; open did not)
    read = next(r for r in seen["reqs"] if r.opcode == proto.OP_READ)
    assert (read.pid, read.uid, read.gid, read.fh, read.size) == (seen["me"], 0, 0, 42, 4)
    assert "served: pid" in seen["log"]


async def _client(argv: list[str]) -> int:
    try:
        fd = await sys.open("/tmp/dev", O_WRONLY)
        await sys.write(fd, b"x")
    except Error as err:
        return err.errno
    return 0


async def _user(argv: list[str]) -> int:
    a = await errno_of(sys.serve("/tmp/file", FILE))  # root's file
    b = await errno_of(sys.serve("/etc/mine", FILE))  # a directory it cannot write
    c = await errno_of(sys.serve("/tmp/mine", FILE))  # a new name in /tmp: fine
    return 0 if (a, b, c) == (EPERM, EACCES, 0) else 1


CLIENT = register(_client, "cli")
USER = register(_user, "usr")


def test_server_refusing_open_fails_the_client_and_stat_shows_a_device() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await spawn_server(seen, "/tmp/dev", CHR)
        seen["chr"] = S_ISCHR((await sys.stat("/tmp/dev")).st_mode)

        pid = await sys.spawn(CLIENT, [CLIENT], None, None, None, SpawnAttr(uid=1000, gid=1000))
        seen["client"] = (await sys.wait4(pid))[1] >> 8

    seen = run_body(body)
    assert seen["chr"] and seen["client"] == EACCES


def test_serve_errors() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.mkdir("/tmp/d")
        seen["kind"] = await errno_of(sys.serve("/tmp/x", 9))
        seen["dir"] = await errno_of(sys.serve("/tmp/d", FILE))
        seen["parent"] = await errno_of(sys.serve("/nope/x", FILE))
        seen["to_badf"] = await errno_of(sys.serve_timeout(77, 10))
        seen["to_notch"] = await errno_of(sys.serve_timeout(0, 10))
        fd = await sys.open("/tmp/file", 0o100 | O_WRONLY)  # O_CREAT
        await sys.close(fd)

        pid = await sys.spawn(USER, [USER], None, None, None, SpawnAttr(uid=1000, gid=1000))
        seen["user"] = (await sys.wait4(pid))[1]
        seen["mine_gone"] = await errno_of(sys.stat("/tmp/mine"))

    seen = run_body(body)
    assert seen["kind"] == EINVAL and seen["dir"] == EISDIR and seen["parent"] == ENOENT
    assert seen["to_badf"] == EBADF and seen["to_notch"] == EINVAL
    assert seen["user"] == 0 and seen["mine_gone"] == ENOENT


def test_channel_records_poll_and_errors() -> None:
    async def body(seen: dict[str, Any]) -> None:
        ch = await sys.serve("/tmp/s", CHR, 0o666)
        seen["timeout"] = await sys.serve_timeout(ch, 0)
        seen["old"] = await sys.serve_timeout(ch, 250)
        seen["now"] = await sys.serve_timeout(ch, 0)
        seen["neg"] = await errno_of(sys.serve_timeout(ch, -1))
        seen["empty"] = (await sys.poll([(ch, POLLIN | POLLOUT)], 0))[0]
        await sys.fcntl(ch, F_SETFL, O_NONBLOCK)
        seen["again"] = await errno_of(sys.read(ch, proto.SERVE_REQ_MAX))
        opened: dict[str, int] = {}

        async def client(_: int) -> int:  # open(2) waits for the server's answer
            opened["fd"] = await sys.open("/tmp/s", O_RDONLY)
            return 0

        tid = await sys.thread_spawn(client, 0)
        while not (await sys.poll([(ch, POLLIN)], 0))[0]:
            await sys.nanosleep(MS)
        seen["ready"] = POLLIN
        seen["small"] = await errno_of(sys.read(ch, 10))
        req = proto.unpack_request(await sys.read(ch, proto.SERVE_REQ_MAX))
        seen["req"] = req
        seen["bad"] = await errno_of(sys.write(ch, b"junk"))
        seen["unknown"] = await errno_of(sys.write(ch, proto.pack_reply(999)))
        seen["reply"] = await sys.write(
            ch, proto.pack_reply(req.unique, 0, (5).to_bytes(8, "little"))
        )
        await sys.thread_join(tid)
        fd = opened["fd"]
        info = await sys.open(f"/proc/self/fdinfo/{fd}", O_RDONLY)
        seen["fdinfo"] = (await sys.read(info, 4096)).decode()
        await sys.close(info)
        info = await sys.open(f"/proc/self/fdinfo/{ch}", O_RDONLY)
        seen["chinfo"] = (await sys.read(info, 4096)).decode()
        await sys.close(info)
        await sys.close(fd)  # queues RELEASE
        rel = proto.unpack_request(await sys.read(ch, proto.SERVE_REQ_MAX))
        seen["rel"] = (rel.opcode, rel.fh)
        seen["rel_reply"] = await errno_of(sys.write(ch, proto.pack_reply(rel.unique)))
        seen["nothing"] = await errno_of(sys.read(ch, proto.SERVE_REQ_MAX))
        await sys.close(ch)

    seen = run_body(body)
    assert seen["timeout"] == proto.SERVE_TIMEOUT_MS and seen["old"] == proto.SERVE_TIMEOUT_MS
    assert seen["now"] == 250 and seen["neg"] == EINVAL
    assert seen["empty"] == POLLOUT and seen["again"] == EAGAIN
    assert seen["ready"] == POLLIN and seen["small"] == EINVAL
    assert seen["req"].opcode == proto.OP_OPEN and seen["req"].flags & 3 == O_RDONLY
    assert seen["bad"] == EINVAL and seen["unknown"] == ENOENT and seen["reply"] == 24
    assert "served_by:\t2 /tmp/s\n" in seen["fdinfo"]
    assert "serving:\t/tmp/s\n" in seen["chinfo"] and "timeout_ms:\t250\n" in seen["chinfo"]
    assert seen["rel"] == (proto.OP_RELEASE, 5) and seen["rel_reply"] == ENOENT
    assert seen["nothing"] == EAGAIN


class OpensOnly(Server):
    """Answers opens, then reads requests and never answers them."""

    async def handle(self, req: proto.ServeRequest) -> None:
        if req.opcode == proto.OP_OPEN:
            await super().handle(req)


def test_server_death_fails_the_blocked_client_with_eio_and_leaks_nothing() -> None:
    async def body(seen: dict[str, Any]) -> None:
        server = await spawn_server(seen, "/tmp/dead", CHR, OpensOnly())
        fd = await sys.open("/tmp/dead", O_RDONLY)

        async def killer(_: int) -> int:
            await sys.nanosleep(100 * MS)
            await sys.kill(server, SIGKILL)
            return 0

        tid = await sys.thread_spawn(killer, 0)
        seen["read"] = await errno_of(sys.read(fd, 10))  # blocked until the server died
        await sys.thread_join(tid)
        seen["again"] = await errno_of(sys.read(fd, 10))
        seen["ioctl"] = await errno_of(sys.ioctl(fd, 1, 0))
        seen["open"] = await errno_of(sys.open("/tmp/dead", O_RDONLY))
        await sys.close(fd)
        fds = await sys.open("/proc/self/fd", 0o200000)
        seen["fds"] = sorted(d.d_name for d in await sys.getdents(fds))
        await sys.close(fds)
        await sys.wait4(server)

    seen = run_body(body)
    assert seen["read"] == EIO and seen["again"] == EIO and seen["ioctl"] == EIO
    assert seen["open"] == ENOENT  # unmounted, placeholder removed
    assert seen["fds"] == [".", "..", "0", "1", "2", "3"]  # only the listing's own fd
    assert "pending calls fail with EIO" in seen["log"]


def test_silent_server_times_out_with_eio() -> None:
    async def body(seen: dict[str, Any]) -> None:
        ch = await sys.serve("/tmp/quiet", CHR, 0o666)

        async def drain(_: int) -> int:  # answers the open; reads read and ioctl, no answer
            req = proto.unpack_request(await sys.read(ch, proto.SERVE_REQ_MAX))
            await sys.write(ch, proto.pack_reply(req.unique))
            for _ in range(2):
                await sys.read(ch, proto.SERVE_REQ_MAX)
            return 0

        await sys.thread_spawn(drain, 0)
        fd = await sys.open("/tmp/quiet", O_RDONLY)
        t0 = await sys.clock_gettime()
        seen["default"] = await errno_of(sys.read(fd, 1))
        seen["waited"] = await sys.clock_gettime() - t0
        await sys.serve_timeout(ch, 50)
        t0 = await sys.clock_gettime()
        seen["short"] = await errno_of(sys.ioctl(fd, 1, 0))
        seen["waited2"] = await sys.clock_gettime() - t0
        await sys.close(fd)
        await sys.close(ch)

    seen = run_body(body)
    assert seen["default"] == EIO and 5 * SECOND <= seen["waited"] < 6 * SECOND
    assert seen["short"] == EIO and 50 * MS <= seen["waited2"] < SECOND
    assert "no answer from pid" in seen["log"]


def test_signal_interrupts_a_waiting_client_and_retry_takes_the_answer() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.sigaction(SIGUSR1, SIG_CATCH)
        ch = await sys.serve("/tmp/slow", CHR, 0o666)
        me = await sys.getpid()

        async def slow(_: int) -> int:
            srv = Echo(seen, b"late")
            srv.channel = ch
            await sys.nanosleep(20 * MS)
            await srv.handle(proto.unpack_request(await sys.read(ch, proto.SERVE_REQ_MAX)))
            req = proto.unpack_request(await sys.read(ch, proto.SERVE_REQ_MAX))
            await sys.kill(me, SIGUSR1)  # the client is waiting for this read
            await sys.nanosleep(20 * MS)
            await srv.handle(req)
            return 0

        tid = await sys.thread_spawn(slow, 0)
        fd = await sys.open("/tmp/slow", O_RDONLY)
        seen["intr"] = await errno_of(sys.read(fd, 4))
        await sys.sigtake()
        seen["retry"] = await sys.read(fd, 4)
        await sys.thread_join(tid)
        await sys.close(fd)
        await sys.close(ch)

    seen = run_body(body)
    assert seen["intr"] == EINTR and seen["retry"] == b"late"
    assert [r.opcode for r in seen["reqs"]].count(proto.OP_READ) == 1  # no second request
