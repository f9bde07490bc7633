"""Served subtrees (issue #12 part 4): the directory protocol's layouts (LOOKUP,
GETATTR, READDIR records, FUSE's) and the server library's answers to them, replies
read back from a pipe standing in for the channel."""

from __future__ import annotations

from typing import Any

import pytest
from ksim import run_body

from kernel.abi import DT_DIR, DT_REG, ENOENT, ENOTDIR, S_IFCHR, S_IFDIR, S_IFREG, Error
from kernel.abi import serve as proto
from userland.libk import sys
from userland.libk.serve import Server


def test_attr_entry_and_attr_out_round_trip() -> None:
    a = proto.Attr(7, S_IFREG | 0o640, 1234, 1, 1000, 100, 0, 5 * 10**9 + 3, 6, 7 * 10**9)
    assert proto.ATTR.size == 88  # fuse_attr
    assert proto.unpack_attr(proto.pack_attr(a)) == a
    assert proto.unpack_attr(proto.pack_attr(a)).blocks == 3
    nodeid, ev, av, b = proto.unpack_entry(proto.pack_entry(9, a, 250, 500))
    assert (nodeid, ev, av, b) == (9, 250, 500, a)
    assert proto.unpack_attr_out(proto.pack_attr_out(a, 42)) == (42, a)
    with pytest.raises(ValueError):
        proto.unpack_entry(proto.pack_entry(0, a))  # node id 0 is no node
    with pytest.raises(ValueError):
        proto.unpack_attr_out(b"\0" * 20)


def test_dirents_pad_to_eight_and_stop_at_size() -> None:
    ents = [(2, 1, DT_REG, "a"), (3, 2, DT_DIR, "longer-name"), (4, 3, DT_REG, "z")]
    data = proto.pack_dirents(ents, 4096)
    assert len(data) % 8 == 0 and proto.unpack_dirents(data) == ents
    first = proto.pack_dirents(ents, 30)  # one record is 32 bytes: the first still goes
    assert proto.unpack_dirents(first) == ents[:1]
    assert proto.unpack_dirents(proto.pack_dirents(ents, 80)) == ents[:2]
    for bad in (data[:-9], proto.DIRENT.pack(1, 1, 0, 0)):
        with pytest.raises(ValueError):
            proto.unpack_dirents(bad)


def test_names_and_no_reply_ops() -> None:
    for op in range(6, 12):
        assert op in proto.OP_NAMES
    assert max(proto.OP_NAMES) < 32  # (32 and up: the process tables' protocol)
    assert {proto.OP_RELEASE, proto.OP_RELEASEDIR, proto.OP_FORGET} == proto.NO_REPLY
    assert proto.name_payload("x") == b"x\0"


class Tree(Server):
    """A two-level tree from memory: / holds ``f`` (node 2) and ``d`` (node 3)."""

    NODES = {2: ("f", S_IFREG | 0o644, 5), 3: ("d", S_IFDIR | 0o755, 0)}

    async def lookup(self, req: proto.ServeRequest, name: str) -> tuple[int, proto.Attr]:
        if req.nodeid != proto.SERVE_ROOT_ID:
            raise Error(ENOTDIR if req.nodeid == 2 else ENOENT)
        for nodeid, (n, mode, size) in self.NODES.items():
            if n == name:
                return nodeid, proto.Attr(nodeid, mode, size)
        raise Error(ENOENT)

    async def readdir(self, req: proto.ServeRequest) -> list[tuple[int, int, int, str]]:
        ents = [(i, i - 1, DT_DIR if m & S_IFDIR else DT_REG, n) for i, (n, m, _) in
                self.NODES.items()]  # fmt: skip
        return [e for e in ents if e[1] > req.offset]


async def _ask(srv: Server, rfd: int, req: proto.ServeRequest) -> tuple[int, int, bytes]:
    await srv.handle(req)
    return proto.unpack_reply(await sys.read(rfd, 65536))


def test_the_library_answers_lookup_getattr_readdir() -> None:
    async def body(seen: dict[str, Any]) -> None:
        rfd, wfd = await sys.pipe()
        srv = Tree()
        srv.channel, srv.kind, srv.mode = wfd, proto.SERVE_DIR, 0o755
        srv.uid, srv.gid = 1000, 100
        look = proto.ServeRequest(proto.OP_LOOKUP, 1, payload=proto.name_payload("d"))
        seen["d"] = await _ask(srv, rfd, look)
        look.unique, look.payload = 2, proto.name_payload("nope")
        seen["nope"] = await _ask(srv, rfd, look)
        look.unique, look.nodeid = 3, 2
        seen["notdir"] = await _ask(srv, rfd, look)
        seen["root"] = await _ask(srv, rfd, proto.ServeRequest(proto.OP_GETATTR, 4))
        seen["other"] = await _ask(srv, rfd, proto.ServeRequest(proto.OP_GETATTR, 5, 3))
        rd = proto.ServeRequest(proto.OP_READDIR, 6, size=4096)
        seen["all"] = await _ask(srv, rfd, rd)
        rd.unique, rd.offset = 7, 1
        seen["rest"] = await _ask(srv, rfd, rd)
        rd.unique, rd.offset = 8, 2
        seen["end"] = await _ask(srv, rfd, rd)
        await srv.handle(proto.ServeRequest(proto.OP_FORGET, 9, 3, offset=1))
        await srv.handle(proto.ServeRequest(proto.OP_RELEASEDIR, 10))
        await sys.close(wfd)
        seen["silent"] = await sys.read(rfd, 100)  # no replies to FORGET, RELEASEDIR

    seen = run_body(body)
    unique, err, payload = seen["d"]
    nodeid, _, _, attr = proto.unpack_entry(payload)
    assert (unique, err, nodeid, attr.mode, attr.ino) == (1, 0, 3, S_IFDIR | 0o755, 3)
    assert seen["nope"][:2] == (2, -ENOENT) and seen["notdir"][:2] == (3, -ENOTDIR)
    valid, root = proto.unpack_attr_out(seen["root"][2])
    assert valid == 1000 and (root.mode, root.nlink) == (S_IFDIR | 0o755, 2)
    assert (root.uid, root.gid, root.ino) == (1000, 100, proto.SERVE_ROOT_ID)
    assert seen["other"][1] == -ENOENT  # the default getattr knows only the root
    assert [e[3] for e in proto.unpack_dirents(seen["all"][2])] == ["f", "d"]
    assert [e[3] for e in proto.unpack_dirents(seen["rest"][2])] == ["d"]
    assert seen["end"][1:] == (0, b"") and seen["silent"] == b""


def test_getattr_default_describes_a_served_device() -> None:
    srv = Server()
    srv.kind, srv.mode, srv.uid = proto.SERVE_CHR, 0o620, 5
    a = srv.root_attr()
    assert (a.mode, a.nlink, a.uid) == (S_IFCHR | 0o620, 1, 5)


def test_a_call_that_must_wait_for_an_answer_starts_over() -> None:
    from kernel.abi import EINTR
    from kernel.fs.vfs import Restart
    from kernel.kernel import Blocked
    from kernel.syscall import restart

    answers: list[int] = []

    def half() -> Any:  # a blocking call's kernel half: one sleep, then its result
        got = yield "own-sleep"
        return got * 2

    def entry(t: Any, a: tuple[Any, ...]) -> Any:
        if len(answers) < 2:  # the LOOKUP's answer is not cached yet
            try:
                raise Restart(f"lookup-{len(answers)}")
            except Restart as r:  # (as make_entry's entries do)
                raise restart(entry, t, a, r) from None
        gen = half()
        raise Blocked(gen, gen.send(None))

    with pytest.raises(Blocked) as blk:
        entry(None, ())
    gen, sleep = blk.value.gen, blk.value.sleep
    assert sleep == "lookup-0"
    answers.append(1)
    assert gen.send(None) == "lookup-1"  # started over; still not cached
    answers.append(2)
    assert gen.send(None) == "own-sleep"  # started over, and now blocks on its own
    with pytest.raises(StopIteration) as done:
        gen.send(21)
    assert done.value.value == 42
    # a signal while waiting ends the call
    answers.clear()
    with pytest.raises(Blocked) as blk:
        entry(None, ())
    with pytest.raises(Error) as err:
        blk.value.gen.throw(Error(EINTR))
    assert err.value.errno == EINTR
