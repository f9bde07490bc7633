"""``nc -U [-lkuvzN] PATH``: netcat over UNIX-domain sockets, as OpenBSD's nc.

``nc -U PATH`` connects to the socket named PATH, ``nc -lU PATH`` binds it, listens and
serves one client (``-k``: one after another, for ever). What comes on standard input
goes to the socket and what comes from the socket goes to standard output, both at
once (poll); at the end of standard input the sending half is shut down (as OpenBSD's
``-N``), and nc ends when both directions have reached end of file. ``-u`` uses
datagrams: each read of standard input is one datagram; a client ends at the end of its
input, a server serves until it is killed.
"""

from __future__ import annotations

from kernel.abi import (
    AF_INET,
    AF_UNIX,
    EAGAIN,
    ECONNRESET,
    EINTR,
    EPIPE,
    MSG_DONTWAIT,
    MSG_NOSIGNAL,
    MSG_PEEK,
    POLLERR,
    POLLHUP,
    POLLIN,
    POLLOUT,
    SHUT_WR,
    SOCK_DGRAM,
    SOCK_STREAM,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """usage: nc [-klNuUvz] [-s sourcename] -U path
Connect to (or with -l, listen on) a UNIX-domain socket and copy standard input
to it and what it sends to standard output.

  -U       use a UNIX-domain socket (the only kind libk has)
  -l       listen: bind the path and serve a client
  -k       with -l, keep listening: serve one client after another
  -u       datagrams (SOCK_DGRAM) instead of a stream
  -s NAME  (client) bind this name first (a datagram client binds an abstract one)
  -N       shut down the sending half at the end of input (always done)
  -v       say what happens on standard error
  -z       just see whether something listens: connect and close at once
"""
CHUNK = 16384


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("nc", argv, "klNuUvzs:", USAGE, hint=USAGE.rstrip("\n"))
    if isinstance(opts, int):
        return opts
    if len(opts.operands) != 1:
        await kio.write_all(2, USAGE)
        return 1
    path = opts.operands[0]
    family = AF_UNIX if opts.has("U") else AF_INET
    kind = SOCK_DGRAM if opts.has("u") else SOCK_STREAM
    verbose = opts.has("v")
    try:
        s = await sys.socket(family, kind)
    except Error as err:
        await kio.warn("nc", f"socket: {err.message} (libk's nc needs -U PATH)")
        return 1
    if opts.has("l"):
        return await serve(s, path, kind, keep=opts.has("k"), verbose=verbose)
    return await client(s, path, kind, opts.value("s"), zero=opts.has("z"), verbose=verbose)


async def client(
    s: int, path: str, kind: int, source: str | None, *, zero: bool, verbose: bool
) -> int:
    """Connect and copy both ways; 1 if the connection fails."""
    try:
        if source is not None:
            await sys.bind(s, source)
        elif kind == SOCK_DGRAM:
            await sys.bind(s, "")  # a name of its own, so that replies can come back
        await sys.connect(s, path)
    except Error as err:
        await kio.warn("nc", f"{path}: {err.message}")
        await sys.close(s)
        return 1
    if verbose:
        await kio.write_all(2, f"Connection to {path} succeeded!\n")
    if not zero:
        await pump(s, kind == SOCK_STREAM, server=False)
    await sys.close(s)
    return 0


async def serve(s: int, path: str, kind: int, *, keep: bool, verbose: bool) -> int:
    """Bind, listen and serve clients; 1 if the name cannot be bound."""
    try:
        await sys.bind(s, path)
        if kind == SOCK_STREAM:
            await sys.listen(s, 5)
    except Error as err:
        await kio.warn("nc", err.message)
        return 1
    if verbose:
        await kio.write_all(2, f"Bound on {path}\n")
    if kind == SOCK_DGRAM:
        try:
            _, sender = await sys.recvfrom(s, 1, MSG_PEEK)
        except Error as err:
            await kio.warn("nc", f"recvfrom: {err.message}")
            return 1
        if sender:
            try:
                await sys.connect(s, sender)  # replies go to the first sender
            except Error:
                pass  # (it has gone already: nobody to reply to)
        await pump(s, False, server=True)
        await sys.close(s)
        return 0
    while True:
        try:
            conn, peer = await sys.accept(s)
        except Error as err:
            await kio.warn("nc", f"accept: {err.message}")
            return 1
        if verbose:
            await kio.write_all(2, f"Connection received on {peer or path}\n")
        await pump(conn, True, server=True)
        await sys.close(conn)
        if not keep:
            break
    await sys.close(s)
    return 0


async def pump(s: int, stream: bool, *, server: bool) -> None:
    """Copy standard input to ``s`` and ``s`` to standard output until both are done
    (see the module docstring)."""
    stdin_open = True
    net_in = True
    sending = True  # the socket's sending half is open
    out = b""
    while True:
        if not stdin_open and not out and sending:
            sending = False
            if stream:
                try:
                    await sys.shutdown(s, SHUT_WR)
                except Error:
                    pass
            elif not server:
                return  # a datagram client is done at the end of its input
        if not sending and not net_in:
            return
        fds: list[tuple[int, int]] = []
        if stdin_open and not out:
            fds.append((0, POLLIN))
        events = (POLLIN if net_in else 0) | (POLLOUT if out else 0)
        if events:
            fds.append((s, events))
        try:
            revents = await sys.poll(fds, -1)
        except Error as err:
            if err.errno == EINTR:
                continue
            raise
        ready = dict(zip((fd for fd, _ in fds), revents, strict=True))
        if ready.get(0, 0) & (POLLIN | POLLHUP | POLLERR):
            try:
                data = await sys.read(0, CHUNK)
            except Error:
                data = b""
            if data:
                out = data
            else:
                stdin_open = False
        sock_ev = ready.get(s, 0)
        if out and sock_ev & (POLLOUT | POLLERR | POLLHUP):
            out, sending = await _send(s, out)
            if not sending:
                stdin_open = False
        if net_in and sock_ev & (POLLIN | POLLHUP | POLLERR):
            net_in = await _receive(s, stream, server)


async def _send(s: int, out: bytes) -> tuple[bytes, bool]:
    """Send what we can of ``out``; what is left, and whether the socket still takes
    data."""
    try:
        n = await sys.send(s, out, MSG_DONTWAIT | MSG_NOSIGNAL)
    except Error as err:
        if err.errno == EPIPE:
            return b"", False
        if err.errno == EAGAIN:  # no room after all
            return out, True
        await kio.warn("nc", f"write: {err.message}")
        return b"", False
    return out[n:], True


async def _receive(s: int, stream: bool, server: bool) -> bool:
    """Copy what arrived to standard output; False once the socket is at its end."""
    try:
        data = await sys.recv(s, CHUNK, MSG_DONTWAIT)
    except Error as err:
        if err.errno == EAGAIN:
            return True
        if not stream and server:
            return True  # (a datagram peer went away: ECONNREFUSED)
        if err.errno != ECONNRESET:  # (the peer closed with data unread)
            await kio.warn("nc", f"read: {err.message}")
        return False
    if not data:
        return not stream and server  # a stream's end; a datagram server carries on
    try:
        await kio.write_all(1, data)
    except Error:
        return False
    return True
