"""AF_UNIX sockets (issue #12 part 2): every call's success and error paths, names in
the file system and the abstract namespace, stream back-pressure and EOF, datagram and
seqpacket boundaries, SCM_RIGHTS across processes, SCM_CREDENTIALS, poll, and 16 MiB
through a stream intact. /proc/net/unix, nc and ss: tests/kernel/test_unix_tools.py."""

from __future__ import annotations

import hashlib
from typing import Any

from ksim import errno_of, register, run_body

from kernel.abi import (
    AF_INET,
    AF_UNIX,
    EACCES,
    EADDRINUSE,
    EAFNOSUPPORT,
    EAGAIN,
    EBADF,
    ECONNREFUSED,
    ECONNRESET,
    EINVAL,
    EISCONN,
    EMSGSIZE,
    ENOENT,
    ENOPROTOOPT,
    ENOTCONN,
    ENOTSOCK,
    ENXIO,
    EOPNOTSUPP,
    EPERM,
    EPIPE,
    EPROTONOSUPPORT,
    EPROTOTYPE,
    ESOCKTNOSUPPORT,
    F_GETFD,
    F_GETFL,
    FD_CLOEXEC,
    MSG_DONTWAIT,
    MSG_EOR,
    MSG_NOSIGNAL,
    MSG_PEEK,
    MSG_TRUNC,
    MSG_WAITALL,
    O_NONBLOCK,
    O_RDONLY,
    POLLHUP,
    POLLIN,
    POLLOUT,
    POLLRDHUP,
    S_IFMT,
    S_IFSOCK,
    SCM_CREDENTIALS,
    SCM_RIGHTS,
    SHUT_RD,
    SHUT_WR,
    SIG_CATCH,
    SIGPIPE,
    SO_ACCEPTCONN,
    SO_ERROR,
    SO_PASSCRED,
    SO_PEERCRED,
    SO_RCVBUF,
    SO_SNDBUF,
    SO_TYPE,
    SOCK_CLOEXEC,
    SOCK_DGRAM,
    SOCK_NONBLOCK,
    SOCK_SEQPACKET,
    SOCK_STREAM,
    SOL_SOCKET,
    SpawnAttr,
    Ucred,
)
from userland.libk import sys

MIB = 1 << 20


async def listener(path: str | bytes, backlog: int = 5, kind: int = SOCK_STREAM) -> int:
    s = await sys.socket(AF_UNIX, kind)
    await sys.bind(s, path)
    await sys.listen(s, backlog)
    return s


async def connected(path: str | bytes, kind: int = SOCK_STREAM) -> int:
    c = await sys.socket(AF_UNIX, kind)
    await sys.connect(c, path)
    return c


def test_socket_and_its_errors() -> None:
    async def body(seen: dict[str, Any]) -> None:
        s = await sys.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)
        seen["flags"] = (
            bool(await sys.fcntl(s, F_GETFL) & O_NONBLOCK),
            await sys.fcntl(s, F_GETFD) == FD_CLOEXEC,
        )
        seen["type"] = await sys.getsockopt(s, SOL_SOCKET, SO_TYPE)
        seen["st"] = (await sys.fstat(s)).st_mode & S_IFMT
        seen["link"] = await sys.readlink(f"/proc/self/fd/{s}")
        seen["errs"] = [
            await errno_of(sys.socket(AF_INET, SOCK_STREAM)),
            await errno_of(sys.socket(AF_UNIX, 9)),
            await errno_of(sys.socket(AF_UNIX, SOCK_STREAM, 6)),
            await errno_of(sys.socket(AF_UNIX, SOCK_STREAM | 0x100)),
            await errno_of(sys.listen(0, 1)),  # the console: not a socket
            await errno_of(sys.accept(99)),
            await errno_of(sys.getsockopt(s, SOL_SOCKET, 12345)),
            await errno_of(sys.setsockopt(s, SOL_SOCKET, SO_TYPE, 1)),
            await errno_of(sys.getsockopt(s, 6, SO_TYPE)),
            await errno_of(sys.getpeername(s)),
            await errno_of(sys.send(s, b"x")),
            await errno_of(sys.recv(s, 1)),
            await errno_of(sys.shutdown(s, 7)),
            await errno_of(sys.bind(s, 42)),
        ]

    seen = run_body(body)
    assert seen["flags"] == (True, True) and seen["type"] == SOCK_STREAM
    assert seen["st"] == S_IFSOCK and seen["link"].startswith("socket:[")
    assert seen["errs"] == [
        EAFNOSUPPORT,
        ESOCKTNOSUPPORT,
        EPROTONOSUPPORT,
        EINVAL,
        ENOTSOCK,
        EBADF,
        ENOPROTOOPT,
        ENOPROTOOPT,
        EOPNOTSUPP,
        ENOTCONN,
        ENOTCONN,
        EINVAL,
        EINVAL,
        EINVAL,
    ]


def test_names_in_the_file_system_and_the_abstract_namespace() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.umask(0o027)
        s = await listener("/tmp/s")
        st = await sys.stat("/tmp/s")
        seen["mode"] = st.st_mode
        seen["name"] = await sys.getsockname(s)
        seen["again"] = await errno_of(sys.bind(s, "/tmp/t"))
        t = await sys.socket(AF_UNIX, SOCK_STREAM)
        seen["inuse"] = await errno_of(sys.bind(t, "/tmp/s"))
        seen["open"] = await errno_of(sys.open("/tmp/s", O_RDONLY))
        seen["noent"] = await errno_of(sys.bind(t, "/tmp/no/such"))
        seen["long"] = await errno_of(sys.bind(t, "/tmp/" + "x" * 120))
        await sys.close(s)
        seen["stays"] = await errno_of(sys.stat("/tmp/s"))
        seen["stale"] = await errno_of(sys.bind(t, "/tmp/s"))
        seen["refused"] = await errno_of(sys.connect(t, "/tmp/s"))
        await sys.unlink("/tmp/s")
        await sys.bind(t, "/tmp/s")  # free again once unlinked
        a = await listener(b"\0abstract")
        seen["abs_inuse"] = await errno_of(sys.bind(await sys.socket(AF_UNIX, 1), b"\0abstract"))
        c = await connected(b"\0abstract")
        fd, peer = await sys.accept(a)
        seen["abs"] = (await sys.getpeername(c), peer, await sys.getsockname(fd))
        await sys.close(a)
        u = await sys.socket(AF_UNIX, SOCK_STREAM)
        seen["gone"] = await errno_of(sys.connect(u, b"\0abstract"))
        await sys.bind(u, "")  # autobind: an abstract name of its own
        seen["auto"] = await sys.getsockname(u)
        seen["unnamed"] = await sys.getsockname(await sys.socket(AF_UNIX, SOCK_STREAM))

    seen = run_body(body)
    assert seen["mode"] == S_IFSOCK | 0o750 and seen["name"] == "/tmp/s"
    assert (seen["again"], seen["inuse"], seen["open"]) == (EINVAL, EADDRINUSE, ENXIO)
    assert (seen["noent"], seen["long"]) == (ENOENT, EINVAL)
    assert (seen["stays"], seen["stale"], seen["refused"]) == (0, EADDRINUSE, ECONNREFUSED)
    assert seen["abs_inuse"] == EADDRINUSE
    assert seen["abs"] == (b"\0abstract", "", b"\0abstract")
    assert seen["gone"] == ECONNREFUSED
    assert seen["auto"][:1] == b"\0" and len(seen["auto"]) == 6
    assert seen["unnamed"] == ""


def test_connect_and_accept_errors_permissions_and_backlog() -> None:
    async def other_user(argv: list[str]) -> int:
        c = await sys.socket(AF_UNIX, SOCK_STREAM)
        return await errno_of(sys.connect(c, argv[1]))

    prog = register(other_user)

    async def body(seen: dict[str, Any]) -> None:
        s = await listener("/tmp/s", backlog=1)
        await sys.chmod("/tmp/s", 0o755)
        pid = await sys.spawn(
            prog, [prog, "/tmp/s"], None, None, None, SpawnAttr(uid=1000, gid=1000)
        )
        seen["eacces"] = (await sys.wait4(pid))[1] >> 8
        await sys.chmod("/tmp/s", 0o777)
        pid = await sys.spawn(
            prog, [prog, "/tmp/s"], None, None, None, SpawnAttr(uid=1000, gid=1000)
        )
        seen["ok_other"] = (await sys.wait4(pid))[1] >> 8
        await sys.accept(s)
        c1 = await connected("/tmp/s")
        seen["eisconn"] = await errno_of(sys.connect(c1, "/tmp/s"))
        await connected("/tmp/s")  # backlog 1: two may wait (Linux's > test)
        nb = await sys.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK)
        seen["full"] = await errno_of(sys.connect(nb, "/tmp/s"))
        seen["acceptconn"] = await sys.getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN)
        d = await sys.socket(AF_UNIX, SOCK_DGRAM)
        seen["dgram"] = [
            await errno_of(sys.listen(d, 1)),
            await errno_of(sys.accept(d)),
            await errno_of(sys.connect(d, "/tmp/s")),
        ]
        u = await sys.socket(AF_UNIX, SOCK_STREAM)
        seen["unbound_listen"] = await errno_of(sys.listen(u, 1))
        seen["not_listening"] = await errno_of(sys.accept(u))
        seen["listening_connect"] = await errno_of(sys.connect(s, "/tmp/s"))
        await sys.mknod("/tmp/plain", 0o100644, 0)
        seen["not_socket"] = await errno_of(sys.connect(u, "/tmp/plain"))
        seen["noent"] = await errno_of(sys.connect(u, "/tmp/none"))
        n = await sys.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK)
        await sys.bind(n, "/tmp/n")
        await sys.listen(n, 1)
        seen["again"] = await errno_of(sys.accept4(n, 0))
        fd, _ = await sys.accept4(s, SOCK_NONBLOCK | SOCK_CLOEXEC)
        seen["accept4"] = (
            bool(await sys.fcntl(fd, F_GETFL) & O_NONBLOCK),
            await sys.fcntl(fd, F_GETFD),
        )
        seen["accept4_bad"] = await errno_of(sys.accept4(s, 0x1))

    seen = run_body(body)
    assert seen["eacces"] == EACCES and seen["ok_other"] == 0
    assert seen["eisconn"] == EISCONN and seen["full"] == EAGAIN
    assert seen["acceptconn"] == 1
    assert seen["dgram"] == [EOPNOTSUPP, EOPNOTSUPP, EPROTOTYPE]
    assert seen["unbound_listen"] == EINVAL and seen["not_listening"] == EINVAL
    assert seen["listening_connect"] == EINVAL
    assert seen["not_socket"] == ECONNREFUSED and seen["noent"] == ENOENT
    assert seen["again"] == EAGAIN
    assert seen["accept4"] == (True, FD_CLOEXEC) and seen["accept4_bad"] == EINVAL


def test_stream_eof_epipe_sigpipe_reset_and_shutdown() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.sigaction(SIGPIPE, SIG_CATCH)
        a, b = await sys.socketpair(AF_UNIX, SOCK_STREAM)
        await sys.send(a, b"abc")
        seen["peek"] = await sys.recv(b, 10, MSG_PEEK)
        seen["read"] = await sys.read(b, 2)
        await sys.shutdown(a, SHUT_WR)
        seen["rest"] = await sys.recv(b, 10)
        seen["eof"] = await sys.recv(b, 10)
        seen["poll_b"] = (await sys.poll([(b, POLLIN | POLLOUT | POLLRDHUP)], 0))[0]
        seen["wr_after"] = await errno_of(sys.send(a, b"x", MSG_NOSIGNAL))
        await sys.send(b, b"back")  # the other direction still works
        seen["back"] = await sys.recv(a, 10)
        await sys.shutdown(b, SHUT_RD)
        await sys.close(a)
        seen["poll_hup"] = (await sys.poll([(b, POLLIN)], 0))[0] & POLLHUP
        seen["epipe"] = await errno_of(sys.send(b, b"x", MSG_NOSIGNAL))
        seen["nosig"] = await sys.sigtake()
        seen["epipe_write"] = await errno_of(sys.write(b, b"x"))
        seen["sig"] = await sys.sigtake()
        c, d = await sys.socketpair(AF_UNIX, SOCK_STREAM)
        await sys.send(c, b"unread")
        await sys.close(d)  # closed with data unread: the peer sees a reset
        seen["reset"] = await errno_of(sys.recv(c, 10))
        seen["so_error"] = await sys.getsockopt(c, SOL_SOCKET, SO_ERROR)
        e, f = await sys.socketpair(AF_UNIX, SOCK_STREAM)
        await sys.shutdown(e, SHUT_RD)
        seen["shut_rd"] = await sys.recv(e, 5)

    seen = run_body(body)
    assert seen["peek"] == b"abc" and seen["read"] == b"ab"
    assert seen["rest"] == b"c" and seen["eof"] == b""
    assert seen["poll_b"] & (POLLIN | POLLRDHUP | POLLOUT) == POLLIN | POLLRDHUP | POLLOUT
    assert seen["wr_after"] == EPIPE and seen["back"] == b"back"
    assert seen["poll_hup"] == POLLHUP
    assert seen["epipe"] == EPIPE and SIGPIPE not in seen["nosig"]
    assert seen["epipe_write"] == EPIPE and SIGPIPE in seen["sig"]
    assert seen["reset"] == ECONNRESET and seen["so_error"] == 0
    assert seen["shut_rd"] == b""


def test_back_pressure_wakes_a_blocked_sender() -> None:
    async def body(seen: dict[str, Any]) -> None:
        a, b = await sys.socketpair(AF_UNIX, SOCK_STREAM)
        seen["sndbuf"] = await sys.getsockopt(a, SOL_SOCKET, SO_SNDBUF)
        sent = 0
        while True:
            try:
                sent += await sys.send(a, b"x" * 65536, MSG_DONTWAIT)
            except Exception as err:  # noqa: BLE001
                seen["full"] = getattr(err, "errno", None)
                break
        seen["sent"] = sent
        seen["pollout"] = (await sys.poll([(a, POLLOUT)], 0))[0]

        async def reader(_: int) -> int:
            got = 0
            while got < sent + 300_000:
                got += len(await sys.recv(b, MIB))
            seen["got"] = got
            return 0

        tid = await sys.thread_spawn(reader, 0)
        seen["blocking"] = await sys.send(a, b"y" * 300_000)  # waits for the reader
        await sys.thread_join(tid)

        async def late(_: int) -> int:
            await sys.send(b, b"ab")
            await sys.nanosleep(1_000_000)
            await sys.send(b, b"cd")
            return 0

        tid = await sys.thread_spawn(late, 0)
        seen["waitall"] = await sys.recv(a, 4, MSG_WAITALL)  # both sends, not just the first
        await sys.thread_join(tid)
        await sys.setsockopt(a, SOL_SOCKET, SO_RCVBUF, 1000)
        seen["rcvbuf"] = await sys.getsockopt(a, SOL_SOCKET, SO_RCVBUF)

    seen = run_body(body)
    assert seen["sndbuf"] == 212992 and seen["sent"] == 212992 and seen["full"] == EAGAIN
    assert seen["pollout"] == 0
    assert seen["blocking"] == 300_000 and seen["got"] == 212992 + 300_000
    assert seen["waitall"] == b"abcd"
    assert seen["rcvbuf"] == 4608  # doubled, at least Linux's minimum


def test_datagrams_keep_boundaries_and_addresses() -> None:
    async def body(seen: dict[str, Any]) -> None:
        srv = await sys.socket(AF_UNIX, SOCK_DGRAM)
        await sys.bind(srv, "/tmp/d")
        cli = await sys.socket(AF_UNIX, SOCK_DGRAM)
        await sys.bind(cli, b"\0client")
        await sys.sendto(cli, b"one", 0, "/tmp/d")
        await sys.sendto(cli, b"twotwo", 0, "/tmp/d")
        anon = await sys.socket(AF_UNIX, SOCK_DGRAM)
        await sys.sendto(anon, b"", 0, "/tmp/d")
        seen["from"] = await sys.recvfrom(srv, 100)
        m = await sys.recvmsg(srv, 3)
        seen["trunc"] = (m.data, m.flags & MSG_TRUNC, m.address)
        seen["empty"] = await sys.recvfrom(srv, 100)
        seen["notconn"] = await errno_of(sys.send(anon, b"x"))
        seen["proto"] = await errno_of(sys.sendto(anon, b"x", 0, "/tmp/s"))
        await sys.connect(anon, "/tmp/d")
        await sys.send(anon, b"via connect")
        seen["conn"] = await sys.recv(srv, 100)
        await sys.connect(srv, b"\0client")  # now srv hears only from client
        seen["eperm"] = await errno_of(sys.send(anon, b"x"))
        seen["peer"] = await sys.getpeername(anon)
        seen["big"] = await errno_of(sys.sendto(cli, b"x" * 300_000, 0, "/tmp/d"))
        for i in range(10):
            await sys.sendto(cli, b"%d" % i, 0, "/tmp/d")
        seen["qfull"] = await errno_of(sys.sendto(cli, b"x", MSG_DONTWAIT, "/tmp/d"))
        await sys.close(srv)
        seen["refused"] = await errno_of(sys.send(anon, b"x"))
        seen["nb"] = await errno_of(sys.recv(cli, 10, MSG_DONTWAIT))

    seen = run_body(body)
    assert seen["from"] == (b"one", b"\0client")
    assert seen["trunc"] == (b"two", MSG_TRUNC, b"\0client")
    assert seen["empty"] == (b"", "")
    assert seen["notconn"] == ENOTCONN
    assert seen["proto"] == ENOENT
    assert seen["conn"] == b"via connect" and seen["eperm"] == EPERM and seen["peer"] == "/tmp/d"
    assert seen["big"] == EMSGSIZE and seen["qfull"] == EAGAIN
    assert seen["refused"] == ECONNREFUSED and seen["nb"] == EAGAIN


def test_seqpacket_keeps_boundaries_over_a_connection() -> None:
    async def body(seen: dict[str, Any]) -> None:
        s = await listener("/tmp/q", kind=SOCK_SEQPACKET)
        c = await connected("/tmp/q", SOCK_SEQPACKET)
        fd, _ = await sys.accept(s)
        await sys.send(c, b"first")
        await sys.send(c, b"second record")
        seen["one"] = await sys.recv(fd, 100)
        m = await sys.recvmsg(fd, 6)
        seen["two"] = (m.data, m.flags & (MSG_TRUNC | MSG_EOR))
        seen["stream_conn"] = await errno_of(connected("/tmp/q", SOCK_STREAM))
        await sys.close(c)
        seen["eof"] = await sys.recv(fd, 100)

    seen = run_body(body)
    assert seen["one"] == b"first"
    assert seen["two"] == (b"second", MSG_TRUNC | MSG_EOR)
    assert seen["stream_conn"] == EPROTOTYPE and seen["eof"] == b""


def test_scm_rights_passes_a_pipe_to_another_process_and_nothing_leaks() -> None:
    async def receiver(argv: list[str]) -> int:
        sock = int(argv[1])
        m = await sys.recvmsg(sock, 100)
        ((level, kind, fds),) = m.ancdata
        assert (level, kind, m.data) == (SOL_SOCKET, SCM_RIGHTS, b"here")
        data = await sys.read(fds[0], 100)  # the pipe the sender opened
        await sys.send(sock, data.upper())
        return 0

    prog = register(receiver)

    async def body(seen: dict[str, Any]) -> None:
        a, b = await sys.socketpair(AF_UNIX, SOCK_STREAM)
        r, w = await sys.pipe()
        pid = await sys.spawn(prog, [prog, str(b)])
        await sys.write(w, b"through the pipe")
        await sys.sendmsg(a, b"here", [(SOL_SOCKET, SCM_RIGHTS, [r])])
        seen["reply"] = await sys.recv(a, 100)
        seen["status"] = (await sys.wait4(pid))[1]
        # In flight, never received: closed with the queue that held it.
        r2, w2 = await sys.pipe()
        c, d = await sys.socketpair(AF_UNIX, SOCK_DGRAM)
        await sys.sendmsg(c, b"x", [(SOL_SOCKET, SCM_RIGHTS, [w2])])
        await sys.close(w2)
        await sys.close(d)
        seen["eof"] = await sys.read(r2, 10)  # the last write end went with d's queue
        seen["ebadf"] = await errno_of(sys.sendmsg(a, b"x", [(SOL_SOCKET, SCM_RIGHTS, [77])]))
        seen["einval"] = await errno_of(sys.sendmsg(a, b"x", [(SOL_SOCKET, 99, [])]))

    seen = run_body(body)
    assert seen["reply"] == b"THROUGH THE PIPE" and seen["status"] == 0
    assert seen["eof"] == b"" and seen["ebadf"] == EBADF and seen["einval"] == EINVAL


def test_scm_credentials_and_peer_credentials() -> None:
    async def unprivileged(argv: list[str]) -> int:
        a, b = await sys.socketpair(AF_UNIX, SOCK_DGRAM)
        me = await sys.getpid()
        ok = await errno_of(
            sys.sendmsg(a, b"", [(SOL_SOCKET, SCM_CREDENTIALS, Ucred(me, 1000, 1000))])
        )
        bad = await errno_of(sys.sendmsg(a, b"", [(SOL_SOCKET, SCM_CREDENTIALS, Ucred(1, 0, 0))]))
        return 0 if (ok, bad) == (0, EPERM) else 1

    prog = register(unprivileged)

    async def body(seen: dict[str, Any]) -> None:
        me = await sys.getpid()
        a, b = await sys.socketpair(AF_UNIX, SOCK_DGRAM)
        await sys.setsockopt(b, SOL_SOCKET, SO_PASSCRED, 1)
        await sys.send(a, b"plain")
        seen["own"] = (await sys.recvmsg(b, 10)).ancdata
        await sys.sendmsg(a, b"", [(SOL_SOCKET, SCM_CREDENTIALS, Ucred(1, 5, 6))])  # root may
        seen["claimed"] = (await sys.recvmsg(b, 10)).ancdata
        seen["peercred"] = await sys.getsockopt(a, SOL_SOCKET, SO_PEERCRED)
        pid = await sys.spawn(prog, [prog], None, None, None, SpawnAttr(uid=1000, gid=1000))
        seen["user"] = (await sys.wait4(pid))[1]
        seen["me"] = me

    seen = run_body(body)
    me = seen["me"]
    assert seen["own"] == [(SOL_SOCKET, SCM_CREDENTIALS, Ucred(me, 0, 0))]
    assert seen["claimed"] == [(SOL_SOCKET, SCM_CREDENTIALS, Ucred(1, 5, 6))]
    assert seen["peercred"] == Ucred(me, 0, 0) and seen["user"] == 0


def test_poll_over_sockets() -> None:
    async def body(seen: dict[str, Any]) -> None:
        s = await listener("/tmp/p")
        seen["idle"] = await sys.poll([(s, POLLIN)], 0)

        async def late(_: int) -> int:
            await sys.nanosleep(2_000_000)
            c = await connected("/tmp/p")
            await sys.send(c, b"hi")
            return 0

        tid = await sys.thread_spawn(late, 0)
        seen["pending"] = await sys.poll([(s, POLLIN)], 1000)
        fd, _ = await sys.accept(s)
        seen["data"] = await sys.poll([(fd, POLLIN)], 1000)
        await sys.thread_join(tid)

    seen = run_body(body)
    assert seen["idle"] == [0] and seen["pending"] == [POLLIN] and seen["data"] == [POLLIN]


def test_sixteen_mib_through_a_stream_intact() -> None:
    payload = bytes(range(256)) * (16 * MIB // 256)
    want = hashlib.sha256(payload).hexdigest()

    async def body(seen: dict[str, Any]) -> None:
        a, b = await sys.socketpair(AF_UNIX, SOCK_STREAM)

        async def sender(_: int) -> int:
            seen["sent"] = await sys.send(a, payload)
            await sys.close(a)
            return 0

        tid = await sys.thread_spawn(sender, 0)
        h = hashlib.sha256()
        total = 0
        while chunk := await sys.recv(b, MIB):
            h.update(chunk)
            total += len(chunk)
        await sys.thread_join(tid)
        seen["got"] = (total, h.hexdigest())

    seen = run_body(body)
    assert seen["sent"] == len(payload) and seen["got"] == (len(payload), want)
