"""System calls on sockets: socket, socketpair, bind, listen, accept, connect, the
send and receive family, shutdown, names and options. AF_UNIX only
(``kernel.net``).

Thin handlers: find the socket behind the descriptor (ENOTSOCK for another file),
check the arguments, call the socket. Calls that may wait are generators that yield a
Sleep, as read and write do; O_NONBLOCK on the file or MSG_DONTWAIT on the call makes
them fail with EAGAIN instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import (
    AF_UNIX,
    EAFNOSUPPORT,
    EAGAIN,
    ECONNREFUSED,
    EINTR,
    EINVAL,
    EISCONN,
    ENOPROTOOPT,
    ENOTCONN,
    ENOTSOCK,
    EOPNOTSUPP,
    EPROTONOSUPPORT,
    ESOCKTNOSUPPORT,
    MSG_DONTWAIT,
    MSG_NOSIGNAL,
    MSG_PEEK,
    MSG_WAITALL,
    O_NONBLOCK,
    O_RDWR,
    SO_ACCEPTCONN,
    SO_DOMAIN,
    SO_ERROR,
    SO_PASSCRED,
    SO_PEERCRED,
    SO_PROTOCOL,
    SO_RCVBUF,
    SO_SNDBUF,
    SO_TYPE,
    SOCK_CLOEXEC,
    SOCK_DGRAM,
    SOCK_NONBLOCK,
    SOCK_RAW,
    SOCK_SEQPACKET,
    SOCK_STREAM,
    SOL_SOCKET,
    SOMAXCONN,
    Error,
    RecvMsg,
    Ucred,
)
from kernel.fs.file import File
from kernel.fs.vfs import WouldBlock
from kernel.net import scm
from kernel.net.names import net_of
from kernel.net.unix import UnixSocket, drop
from kernel.sysfile import MAX_IO, walker
from kernel.thread import Sleep
from kernel.writeloop import write_loop

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread

MSG_OOB = 0x1
#: setsockopt's buffer sizes: Linux doubles the value asked for, within these bounds.
BUF_MIN = 4608
BUF_MAX = 212992


def _sock(t: Thread, fd: int) -> tuple[File, UnixSocket]:
    f = t.proc.fds.get(fd)
    if not isinstance(f.inode, UnixSocket):
        raise Error(ENOTSOCK)
    return f, f.inode


def _addr(addr: Any) -> str | bytes:
    if not isinstance(addr, str | bytes):
        raise Error(EINVAL, "a socket address is a str path or bytes from a NUL byte")
    return addr


def _new(k: Kernel, t: Thread, domain: int, type_: int, protocol: int) -> UnixSocket:
    if domain != AF_UNIX:
        raise Error(EAFNOSUPPORT)
    if type_ & ~(0xF | SOCK_NONBLOCK | SOCK_CLOEXEC):
        raise Error(EINVAL)
    kind = type_ & 0xF
    if kind == SOCK_RAW:
        kind = SOCK_DGRAM  # as Linux's unix_create
    if kind not in (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET):
        raise Error(ESOCKTNOSUPPORT)
    if protocol not in (0, AF_UNIX):
        raise Error(EPROTONOSUPPORT)
    cred = t.proc.cred
    return UnixSocket(net_of(k), kind, cred.euid, cred.egid)


def _install(t: Thread, sock: UnixSocket, flags: int) -> int:
    f = File(sock, O_RDWR | (flags & SOCK_NONBLOCK), f"socket:[{sock.ino}]")
    try:
        return t.proc.fds.install(f, cloexec=bool(flags & SOCK_CLOEXEC))
    except Error:
        f.refs = 1
        f.put()
        raise


def _charge(k: Kernel) -> None:
    cost = k.io_costs.get("pipe", 0)
    if cost:
        k.charge(cost)


# ------------------------------------------------------------------ making sockets


def sys_socket(k: Kernel, t: Thread, domain: int, type: int, protocol: int) -> int:  # noqa: A002
    return _install(t, _new(k, t, domain, type, protocol), type)


def sys_socketpair(
    k: Kernel,
    t: Thread,
    domain: int,
    type: int,  # noqa: A002
    protocol: int,
) -> tuple[int, int]:
    a = _new(k, t, domain, type, protocol)
    b = UnixSocket(a.net, a.type, a.uid, a.gid)
    a.peer, b.peer = b, a
    a.connected = b.connected = a.is_connection
    a.peercred = b.peercred = scm.peer_creds(t)
    fa = _install(t, a, type)
    try:
        fb = _install(t, b, type)
    except Error:
        t.proc.fds.close(fa)
        raise
    return fa, fb


def sys_bind(k: Kernel, t: Thread, fd: int, addr: Any) -> int:
    _, sock = _sock(t, fd)
    net_of(k).bind(sock, walker(k, t), _addr(addr), t.proc.umask)
    return 0


def sys_listen(k: Kernel, t: Thread, fd: int, backlog: int) -> int:
    _, sock = _sock(t, fd)
    if not sock.is_connection:
        raise Error(EOPNOTSUPP)
    if sock.name is None or sock.connected:
        raise Error(EINVAL)
    sock.backlog = max(0, min(backlog, SOMAXCONN))
    if not sock.listening:
        sock.listening = True
        sock.peercred = scm.peer_creds(t)
    sock.wake()  # (a larger backlog may let connectors in)
    return 0


def sys_accept(k: Kernel, t: Thread, fd: int) -> Any:
    return (yield from _accept(k, t, fd, 0))


def sys_accept4(k: Kernel, t: Thread, fd: int, flags: int) -> Any:
    return (yield from _accept(k, t, fd, flags))


def _accept(k: Kernel, t: Thread, fd: int, flags: int) -> Any:
    if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
        raise Error(EINVAL)
    f, sock = _sock(t, fd)
    if not sock.is_connection:
        raise Error(EOPNOTSUPP)
    while True:
        if not sock.listening:
            raise Error(EINVAL)
        if sock.pending:
            break
        if f.flags & O_NONBLOCK:
            raise Error(EAGAIN)
        yield sock.sleep("unix_accept")
    new = sock.pending.popleft()
    new.embryo = False
    sock.wake()  # room in the backlog
    newfd = _install(t, new, flags)
    peer = new.peer
    return newfd, (peer.name or "") if peer is not None else ""


def sys_connect(k: Kernel, t: Thread, fd: int, addr: Any) -> Any:
    f, sock = _sock(t, fd)
    net = net_of(k)
    if not sock.is_connection:
        if addr is None:  # AF_UNSPEC: forget the peer
            sock.peer = None
            return 0
        sock.peer = net.lookup(walker(k, t), _addr(addr), sock.type)
        return 0
    if sock.listening:
        raise Error(EINVAL)
    if sock.connected:
        raise Error(EISCONN)
    target = net.lookup(walker(k, t), _addr(addr), sock.type)
    while True:
        if target.closed or not target.listening:
            raise Error(ECONNREFUSED)
        if len(target.pending) <= target.backlog:
            break
        if f.flags & O_NONBLOCK:
            raise Error(EAGAIN)
        yield Sleep((target.wait, target.peer_wait), None, "unix_wait_for_peer")
    if sock.connected:
        raise Error(EISCONN)
    new = UnixSocket(net, sock.type, target.uid, target.gid)
    new.embryo = True
    new.name = target.name
    new.peer, sock.peer = sock, new
    new.connected = sock.connected = True
    new.peercred = scm.peer_creds(t)
    new.passcred = target.passcred
    sock.peercred = target.peercred
    target.pending.append(new)
    target.wake()
    sock.wake()
    return 0


# ------------------------------------------------------------------ sending


def sys_send(k: Kernel, t: Thread, fd: int, data: bytes, flags: int) -> Any:
    return (yield from _send(k, t, fd, data, flags, None, None))


def sys_sendto(k: Kernel, t: Thread, fd: int, data: bytes, flags: int, addr: Any) -> Any:
    return (yield from _send(k, t, fd, data, flags, addr, None))


def sys_sendmsg(
    k: Kernel, t: Thread, fd: int, data: bytes, ancdata: Any, flags: int, addr: Any
) -> Any:
    return (yield from _send(k, t, fd, data, flags, addr, ancdata))


def _send(k: Kernel, t: Thread, fd: int, data: bytes, flags: int, addr: Any, ancdata: Any) -> Any:
    f, sock = _sock(t, fd)
    if flags & MSG_OOB:
        raise Error(EOPNOTSUPP)
    dest = None
    if addr is not None:
        if sock.type == SOCK_STREAM:
            raise Error(EISCONN if sock.connected else EOPNOTSUPP)
        if sock.type == SOCK_DGRAM:
            dest = net_of(k).lookup(walker(k, t), _addr(addr), sock.type)
    rights, cred = scm.prepare(t, ancdata)
    view = memoryview(data)

    def step(done: int) -> int:
        nonlocal rights
        n = sock.send(view[done:] if done else view, rights, cred, dest)
        rights = None  # they ride with the first segment
        return n

    try:
        return (
            yield from write_loop(
                k,
                t,
                f,
                step,
                len(data),
                dontwait=bool(flags & MSG_DONTWAIT),
                sigpipe=not flags & MSG_NOSIGNAL,
                cost=k.io_costs.get("pipe", 0),
            )
        )
    finally:
        if rights:
            drop(rights)


# ------------------------------------------------------------------ receiving


def sys_recv(k: Kernel, t: Thread, fd: int, count: int, flags: int) -> Any:
    data, rights, _cred, _addr, _flags = yield from _recv(k, t, fd, count, flags)
    if rights:
        drop(rights)
    return data


def sys_recvfrom(k: Kernel, t: Thread, fd: int, count: int, flags: int) -> Any:
    data, rights, _cred, addr, _flags = yield from _recv(k, t, fd, count, flags)
    if rights:
        drop(rights)
    return data, addr


def sys_recvmsg(k: Kernel, t: Thread, fd: int, count: int, flags: int) -> Any:
    _, sock = _sock(t, fd)
    data, rights, cred, addr, mflags = yield from _recv(k, t, fd, count, flags)
    anc, more = scm.deliver(t, rights, cred, sock.passcred, flags)
    address = addr if sock.type == SOCK_DGRAM else None
    return RecvMsg(data, anc, mflags | more, address)


def _recv(k: Kernel, t: Thread, fd: int, count: int, flags: int) -> Any:
    f, sock = _sock(t, fd)
    if flags & MSG_OOB:
        raise Error(EOPNOTSUPP)
    count = min(count, MAX_IO)
    peek = bool(flags & MSG_PEEK)
    nonblock = bool(f.flags & O_NONBLOCK or flags & MSG_DONTWAIT)
    waitall = bool(flags & MSG_WAITALL) and sock.is_stream and not peek and not nonblock
    parts: list[bytes] = []
    got = 0
    while True:
        try:
            data, rights, cred, addr, mflags = sock.recv(count - got, peek=peek)
        except WouldBlock as wb:
            if nonblock:
                raise Error(EAGAIN) from None
            try:
                yield wb.sleep
            except Error as err:
                if err.errno == EINTR and got:
                    break
                raise
            continue
        except Error:
            if got:
                break
            raise
        _charge(k)
        t.proc.rchar += len(data)
        if waitall and data and not rights and got + len(data) < count:
            parts.append(data)
            got += len(data)
            continue
        if parts:
            parts.append(data)
            return b"".join(parts), rights, cred, addr, mflags
        return data, rights, cred, addr, mflags
    return b"".join(parts), None, None, "", 0


# ------------------------------------------------------------------ the rest


def sys_shutdown(k: Kernel, t: Thread, fd: int, how: int) -> int:
    _, sock = _sock(t, fd)
    sock.shutdown(how)
    return 0


def sys_getsockname(k: Kernel, t: Thread, fd: int) -> str | bytes:
    _, sock = _sock(t, fd)
    return sock.name or ""


def sys_getpeername(k: Kernel, t: Thread, fd: int) -> str | bytes:
    _, sock = _sock(t, fd)
    peer = sock.peer
    if peer is None or (sock.is_connection and not sock.connected):
        raise Error(ENOTCONN)
    return peer.name or ""


def sys_getsockopt(k: Kernel, t: Thread, fd: int, level: int, optname: int) -> Any:
    _, sock = _sock(t, fd)
    if level != SOL_SOCKET:
        raise Error(EOPNOTSUPP)
    if optname == SO_TYPE:
        return sock.type
    if optname == SO_ERROR:
        err, sock.err = sock.err, 0
        return err
    if optname == SO_SNDBUF:
        return sock.sndbuf
    if optname == SO_RCVBUF:
        return sock.rcvbuf
    if optname == SO_PASSCRED:
        return int(sock.passcred)
    if optname == SO_PEERCRED:
        return sock.peercred or Ucred(0, 65534, 65534)  # (the overflow ids, as Linux)
    if optname == SO_ACCEPTCONN:
        return int(sock.listening)
    if optname == SO_DOMAIN:
        return AF_UNIX
    if optname == SO_PROTOCOL:
        return 0
    raise Error(ENOPROTOOPT)


def sys_setsockopt(k: Kernel, t: Thread, fd: int, level: int, optname: int, value: Any) -> int:
    _, sock = _sock(t, fd)
    if level != SOL_SOCKET:
        raise Error(EOPNOTSUPP)
    if optname not in (SO_SNDBUF, SO_RCVBUF, SO_PASSCRED):
        raise Error(ENOPROTOOPT)
    if type(value) is not int and type(value) is not bool:
        raise Error(EINVAL)
    if optname == SO_PASSCRED:
        sock.passcred = bool(value)
        return 0
    size = max(BUF_MIN, min(int(value), BUF_MAX // 2) * 2)
    if optname == SO_SNDBUF:
        sock.sndbuf = size
    else:
        sock.rcvbuf = size
    sock.wake()
    return 0
