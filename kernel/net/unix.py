"""An AF_UNIX socket: its state, its receive queue, sending, receiving, poll and close
(Linux's net/unix/af_unix.c).

A socket is an inode of the kernel's socket file system (``socket:[ino]`` in
/proc/<pid>/fd), opened by exactly one open file description, whose last close
releases it. What a sender sends lands in the *receiver's* queue as segments (bytes,
the sender's address, passed files, credentials):

- SOCK_STREAM: a byte stream; reads take bytes across segments but stop where passed
  files ride, so they come with the first byte sent along with them. Back-pressure: at
  most ``sndbuf`` bytes (Linux's default, 208 KiB) wait in the peer's queue; a sender
  sleeps until the peer reads.
- SOCK_SEQPACKET: a connection that keeps each send's boundaries; a short read drops
  the rest of the record (MSG_TRUNC).
- SOCK_DGRAM: datagrams, to a named socket or the connected one; at most
  ``MAX_DGRAM_QLEN`` wait in a receiver's queue.

A peer's close shuts both of our directions down (reads drain, then end of file;
sends get EPIPE); a close with unread data leaves the peer ECONNRESET. Files in flight
(SCM_RIGHTS) are closed when the queue holding them is purged, so nothing leaks.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EAGAIN,
    ECONNREFUSED,
    ECONNRESET,
    EINVAL,
    EMSGSIZE,
    ENOTCONN,
    EPERM,
    EPIPE,
    POLLERR,
    POLLHUP,
    POLLIN,
    POLLOUT,
    POLLRDHUP,
    S_IFSOCK,
    SOCK_DGRAM,
    SOCK_STREAM,
    Error,
    Ucred,
)
from kernel.fs.vfs import FileSystem, Inode, WouldBlock
from kernel.thread import Sleep, WaitQueue

if TYPE_CHECKING:
    from kernel.fs.file import File

#: Linux's net.core.wmem_default and rmem_default: 208 KiB.
DEFAULT_BUF = 212992
#: Linux's net.unix.max_dgram_qlen.
MAX_DGRAM_QLEN = 10
RCV_SHUTDOWN = 1
SEND_SHUTDOWN = 2
SHUTDOWN_MASK = 3
#: Small stream segments are merged with the last one up to this size.
COALESCE = 4096


class SockFS(FileSystem):
    """The anonymous file system that holds socket inodes (``socket:[ino]``)."""

    fstype = "sockfs"


class Segment:
    """What one send put in a receiver's queue."""

    __slots__ = ("data", "addr", "rights", "cred")

    def __init__(
        self, data: bytes, addr: str | bytes, rights: list[File] | None, cred: Ucred | None
    ) -> None:
        self.data = data
        self.addr = addr
        self.rights = rights
        self.cred = cred


class UnixSocket(Inode):
    """One AF_UNIX socket (see the module docstring)."""

    __slots__ = (
        "net",
        "type",
        "name",
        "name_inode",
        "peer",
        "connected",
        "listening",
        "backlog",
        "pending",
        "embryo",
        "recvq",
        "rq_bytes",
        "rq_off",
        "shut",
        "err",
        "passcred",
        "sndbuf",
        "rcvbuf",
        "peercred",
        "closed",
        "wait",
        "peer_wait",
        "_sleep",
    )

    io_cost = "pipe"

    def __init__(self, net: Any, type_: int, uid: int = 0, gid: int = 0) -> None:
        super().__init__(net.fs, S_IFSOCK | 0o777, uid, gid)
        self.net = net
        self.type = type_
        self.name: str | bytes | None = None  # its address once bound
        self.name_inode: Any = None  # the file-system name it bound, if any
        self.peer: UnixSocket | None = None
        self.connected = False  # (a stream or seqpacket socket)
        self.listening = False
        self.backlog = 0
        self.pending: deque[UnixSocket] = deque()  # connected, not yet accepted
        self.embryo = False  # queued on a listener, not accepted yet
        self.recvq: deque[Segment] = deque()
        self.rq_bytes = 0
        self.rq_off = 0  # bytes already read from the first segment (streams)
        self.shut = 0
        self.err = 0  # SO_ERROR
        self.passcred = False
        self.sndbuf = DEFAULT_BUF
        self.rcvbuf = DEFAULT_BUF
        self.peercred: Ucred | None = None
        self.closed = False
        self.wait = WaitQueue("unix_wait")  # data, connections, state changes
        self.peer_wait = WaitQueue("unix_peer_wait")  # room in our receive queue
        self._sleep = Sleep((self.wait,), None, "unix_stream_data_wait")
        net.sockets[self.ino] = self

    # -- file operations ----------------------------------------------------------
    @property
    def seekable(self) -> bool:
        return False

    @property
    def is_stream(self) -> bool:
        """SOCK_STREAM (a byte stream, no boundaries)."""
        return self.type == SOCK_STREAM

    @property
    def is_connection(self) -> bool:
        """SOCK_STREAM or SOCK_SEQPACKET: connected with connect/accept."""
        return self.type != SOCK_DGRAM

    def read(self, t: Any, f: File, count: int) -> bytes:
        data, rights, _cred, _addr, _flags = self.recv(count, peek=False)
        if rights:
            drop(rights)  # read(2) has nowhere to put passed files: they are closed
        return data

    def write(self, t: Any, f: File, data: bytes) -> int:
        return self.send(data, None, None, None)

    def release(self, f: File) -> None:
        self.close()

    def poll(self, f: File) -> tuple[int, tuple[Any, ...]]:
        ev = 0
        if self.err:
            ev |= POLLERR
        if self.listening:
            return (ev | POLLIN if self.pending else ev), (self.wait,)
        if self.shut == SHUTDOWN_MASK:
            ev |= POLLHUP
        if self.shut & RCV_SHUTDOWN:
            ev |= POLLRDHUP | POLLIN
        if self.recvq:
            ev |= POLLIN
        if self.is_connection and not self.connected:
            ev |= POLLHUP
        peer = self.peer
        queues: tuple[Any, ...] = (self.wait, self.peer_wait)
        if peer is not None:
            queues = (self.wait, self.peer_wait, peer.peer_wait)
            if self.writable_to(peer):
                ev |= POLLOUT
        elif not self.is_connection or not self.connected:
            ev |= POLLOUT
        return ev, queues

    def writable_to(self, peer: UnixSocket) -> bool:
        """Would a send to ``peer`` find room (Linux's unix_writable: at most a quarter
        of the send buffer in flight; a datagram receiver's queue not full)?"""
        if peer.closed or self.shut & SEND_SHUTDOWN:
            return True  # (the send would fail at once: not blocked)
        if self.is_connection:
            return peer.rq_bytes * 4 <= self.sndbuf
        return len(peer.recvq) < MAX_DGRAM_QLEN

    # -- state ----------------------------------------------------------------------
    def wake(self) -> None:
        """Tell everyone waiting on this socket that something changed."""
        k = self.fs.kernel
        if self.wait:
            k.wake_all(self.wait)
        if self.peer_wait:
            k.wake_all(self.peer_wait)

    def st_code(self) -> int:
        """The socket's state as /proc/net/unix's St column says it (SS_*)."""
        if self.embryo:
            return 2  # SS_CONNECTING: queued, no socket file yet
        if (self.connected or (self.peer is not None and not self.is_connection)) and not (
            self.closed
        ):
            return 3  # SS_CONNECTED
        return 1  # SS_UNCONNECTED

    def sleep(self, wchan: str, *queues: WaitQueue) -> Sleep:
        """Where a blocked call on this socket sleeps."""
        if not queues and wchan == "unix_stream_data_wait":
            return self._sleep
        return Sleep(queues or (self.wait,), None, wchan)

    # -- sending ----------------------------------------------------------------------
    def send(
        self,
        data: bytes,
        rights: list[File] | None,
        cred: Ucred | None,
        dest: UnixSocket | None,
    ) -> int:
        """Queue ``data`` at the peer (or ``dest``, a datagram's); how many bytes went
        (a stream may take part of it).

        Raises:
            WouldBlock: no room yet; Error: EPIPE, ENOTCONN, ECONNREFUSED, EMSGSIZE, EPERM.
        """
        if self.is_connection:
            return self._send_connected(data, rights, cred)
        return self._send_dgram(data, rights, cred, dest)

    def _send_connected(self, data: bytes, rights: list[File] | None, cred: Ucred | None) -> int:
        peer = self.peer
        if not self.connected or peer is None:
            raise Error(ENOTCONN)
        if self.shut & SEND_SHUTDOWN or peer.closed or peer.shut & RCV_SHUTDOWN:
            raise Error(EPIPE)
        n = len(data)
        room = self.sndbuf - peer.rq_bytes
        if self.is_stream:
            if room <= 0:
                raise WouldBlock(self.sleep("sock_alloc_send_pskb", peer.peer_wait, self.wait))
            if n > room:
                n = room
                data = data[:room]
        else:
            if n > self.sndbuf:
                raise Error(EMSGSIZE)
            if n > room and peer.recvq:
                raise WouldBlock(self.sleep("sock_alloc_send_pskb", peer.peer_wait, self.wait))
        q = peer.recvq
        if self.is_stream and q and not rights:
            tail = q[-1]
            if not tail.rights and tail.cred == cred and len(tail.data) + n <= COALESCE:
                tail.data += data
                peer.rq_bytes += n
                peer.wake()
                return n
        q.append(Segment(bytes(data), self.name or "", rights, cred))
        peer.rq_bytes += n
        peer.wake()
        return n

    def _send_dgram(
        self,
        data: bytes,
        rights: list[File] | None,
        cred: Ucred | None,
        dest: UnixSocket | None,
    ) -> int:
        if self.shut & SEND_SHUTDOWN:
            raise Error(EPIPE)
        other = dest if dest is not None else self.peer
        if other is None:
            raise Error(ENOTCONN)
        if other.closed:
            if other is self.peer:
                self.peer = None  # Linux disconnects from a dead peer
            raise Error(ECONNREFUSED)
        if other.peer is not None and other.peer is not self and not other.peer.closed:
            raise Error(EPERM)  # it only hears from the socket it connected to
        n = len(data)
        if n > self.sndbuf:
            raise Error(EMSGSIZE)
        if other.shut & RCV_SHUTDOWN:
            raise Error(EPIPE)
        if len(other.recvq) >= MAX_DGRAM_QLEN or other.rq_bytes + n > other.rcvbuf:
            raise WouldBlock(Sleep((other.peer_wait, self.wait), None, "unix_wait_for_peer"))
        other.recvq.append(Segment(bytes(data), self.name or "", rights, cred))
        other.rq_bytes += n
        other.wake()
        return n

    # -- receiving ----------------------------------------------------------------------
    def recv(
        self, count: int, *, peek: bool
    ) -> tuple[bytes, list[File] | None, Ucred | None, str | bytes, int]:
        """Take (or with ``peek`` look at) what is queued: data, passed files,
        credentials, the sender's address and flags (MSG_TRUNC, MSG_EOR). The caller
        owns the passed files it gets (and closes what it cannot install).

        Raises:
            WouldBlock: nothing yet; Error: EINVAL (listening, or an unconnected
                stream), ECONNRESET (a peer closed with our data unread).
        """
        if self.listening:
            raise Error(EINVAL)
        if self.is_connection and not self.connected and not self.recvq:
            if self.shut & RCV_SHUTDOWN:
                return b"", None, None, "", 0
            raise Error(EINVAL if self.is_stream else ENOTCONN)
        q = self.recvq
        if not q:
            if self.err:
                err, self.err = self.err, 0
                raise Error(err)
            if self.shut & RCV_SHUTDOWN:
                return b"", None, None, "", 0
            if self.is_stream:
                raise WouldBlock(self._sleep)
            raise WouldBlock(self.sleep("__skb_wait_for_more_packets"))
        if not self.is_stream:
            return self._recv_record(count, peek)
        return self._recv_stream(count, peek)

    def _recv_record(
        self, count: int, peek: bool
    ) -> tuple[bytes, list[File] | None, Ucred | None, str | bytes, int]:
        from kernel.abi import MSG_EOR, MSG_TRUNC

        seg = self.recvq[0]
        data = seg.data
        flags = MSG_EOR if self.type != SOCK_DGRAM else 0
        if len(data) > count:
            data = data[:count]
            flags |= MSG_TRUNC
        if peek:
            return bytes(data), None, seg.cred, seg.addr, flags
        self.recvq.popleft()
        self.rq_bytes -= len(seg.data)
        self._room()
        return bytes(data), seg.rights, seg.cred, seg.addr, flags

    def _recv_stream(
        self, count: int, peek: bool
    ) -> tuple[bytes, list[File] | None, Ucred | None, str | bytes, int]:
        q = self.recvq
        out: list[bytes] = []
        got = 0
        off = self.rq_off
        rights: list[File] | None = None
        cred = q[0].cred
        addr = q[0].addr
        i = 0
        while got < count and i < len(q):
            seg = q[i]
            if i and (seg.rights or (self.passcred and seg.cred != cred)):
                break  # passed files ride with the first byte sent with them
            if seg.rights and off == 0:
                rights = seg.rights if not peek else None
                if not peek:
                    seg.rights = None
            take = min(count - got, len(seg.data) - off)
            out.append(seg.data[off : off + take])
            got += take
            if off + take < len(seg.data):
                off += take
                break
            off = 0
            i += 1
        if not peek:
            for _ in range(i):
                q.popleft()
            self.rq_off = off
            self.rq_bytes -= got
            self._room()
        data = out[0] if len(out) == 1 else b"".join(out)
        return bytes(data), rights, cred, addr, 0

    def _room(self) -> None:
        """Our queue shrank: wake the senders waiting for room."""
        if self.peer_wait:
            self.fs.kernel.wake_all(self.peer_wait)
        peer = self.peer
        if peer is not None and peer.wait:
            self.fs.kernel.wake_all(peer.wait)

    # -- shutdown and close -----------------------------------------------------------
    def shutdown(self, how: int) -> None:
        """shutdown(2): SHUT_RD (0), SHUT_WR (1), SHUT_RDWR (2).

        Raises:
            Error: EINVAL for another ``how`` (an unconnected socket is shut down
                too, as on Linux).
        """
        if how not in (0, 1, 2):
            raise Error(EINVAL)
        mode = how + 1  # RCV_SHUTDOWN, SEND_SHUTDOWN, both
        self.shut |= mode
        self.wake()
        peer = self.peer
        if peer is not None and self.is_connection:
            mirrored = (RCV_SHUTDOWN if mode & SEND_SHUTDOWN else 0) | (
                SEND_SHUTDOWN if mode & RCV_SHUTDOWN else 0
            )
            peer.shut |= mirrored
            peer.wake()

    def close(self) -> None:
        """The last descriptor closed (or an unaccepted connection is dropped): unbind,
        tell the peer, and close the files in flight in our queue."""
        if self.closed:
            return
        self.closed = True
        self.shut = SHUTDOWN_MASK
        self.net.sockets.pop(self.ino, None)
        self.net.unbind(self)
        while self.pending:
            self.pending.popleft().close()
        peer = self.peer
        if peer is not None and self.is_connection and not peer.closed:
            peer.shut = SHUTDOWN_MASK
            if self.recvq or self.embryo:
                peer.err = ECONNRESET
            peer.wake()
        elif peer is None or not self.is_connection:
            for other in list(self.net.sockets.values()):
                if other.peer is self and not other.is_connection:
                    other.wake()  # (their sends now fail: ECONNREFUSED)
        self.listening = False
        self.purge()
        self.wake()

    def purge(self) -> None:
        """Drop the queue; close the files that were in flight in it."""
        q, self.recvq = self.recvq, deque()
        self.rq_bytes = 0
        self.rq_off = 0
        for seg in q:
            if seg.rights:
                drop(seg.rights)


def drop(files: list[File]) -> None:
    """Close files that were in flight (their references were taken when sent)."""
    for f in files:
        f.put()


def would_block(exc: WouldBlock, nonblock: bool) -> Any:
    """The sleep of a blocked call, or EAGAIN for one that may not block."""
    if nonblock:
        raise Error(EAGAIN) from None
    return exc.sleep
