"""Served subtrees (issue #12 part 4): a directory a process serves, used from the shell
(ls -l, cat, stat, find, cd, readlink) and from programs: the kernel's caches and their
validity, FORGET, EROFS, and the client's safety (server death during a lookup, a
silent server, a signal, a malformed answer)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ksim import MS, SECOND, errno_of, run_body
from test_served import spawn_server

from kernel.abi import (
    DT_DIR,
    DT_LNK,
    DT_REG,
    EINTR,
    EIO,
    ENOENT,
    ENOTDIR,
    EROFS,
    O_DIRECTORY,
    O_RDONLY,
    S_IFDIR,
    S_IFLNK,
    S_IFMT,
    S_IFREG,
    SIG_CATCH,
    SIGUSR1,
    Error,
)
from kernel.abi import serve as proto
from userland.libk import sys
from userland.libk.serve import Server

DIR = proto.SERVE_DIR
TREE = {
    "docs": None,
    "docs/a.txt": b"alpha\n",
    "docs/b.txt": b"bravo bravo\n",
    "docs/deep": None,
    "docs/deep/c": b"charlie\n",
    "readme": b"read me\n",
    "link": "docs/a.txt",
}


class MemTree(Server):
    """A tree from a dict: path -> bytes (a file), None (a directory), str (a link).
    Node ids are the paths' positions + 2; records every request it sees."""

    def __init__(self, seen: dict[str, Any], tree: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.seen = seen
        self.tree = dict(TREE if tree is None else tree)
        self.paths = [""] + list(self.tree)  # node 1 is the root
        seen.setdefault("reqs", [])

    def path_of(self, nodeid: int) -> str:
        if not 1 <= nodeid <= len(self.paths):
            raise Error(ENOENT)
        return self.paths[nodeid - 1]

    def attr(self, nodeid: int) -> proto.Attr:
        path = self.path_of(nodeid)
        if path == "":
            return self.root_attr()
        v = self.tree[path]
        if v is None:
            return proto.Attr(nodeid, S_IFDIR | 0o755, 4096, 2, 1000, 100, 0, *[self.started] * 3)
        if isinstance(v, str):
            return proto.Attr(nodeid, S_IFLNK | 0o777, len(v), 1, 1000, 100)
        return proto.Attr(nodeid, S_IFREG | 0o644, len(v), 1, 1000, 100)

    async def handle(self, req: proto.ServeRequest) -> None:
        self.seen["reqs"].append(req)
        await super().handle(req)

    async def lookup(self, req: proto.ServeRequest, name: str) -> tuple[int, proto.Attr]:
        base = self.path_of(req.nodeid)
        if base and self.tree[base] is not None:
            raise Error(ENOTDIR)
        path = f"{base}/{name}" if base else name
        if path not in self.tree:
            raise Error(ENOENT)
        nodeid = self.paths.index(path) + 1
        return nodeid, self.attr(nodeid)

    async def getattr(self, req: proto.ServeRequest) -> proto.Attr:
        return self.attr(req.nodeid)

    async def readdir(self, req: proto.ServeRequest) -> list[tuple[int, int, int, str]]:
        base = self.path_of(req.nodeid)
        out = []
        for i, path in enumerate(self.paths[1:], start=2):
            head, _, name = path.rpartition("/")
            if head == base:
                v = self.tree[path]
                dtype = DT_DIR if v is None else DT_LNK if isinstance(v, str) else DT_REG
                out.append((i, i, dtype, name))
        return [e for e in out if e[1] > req.offset]

    async def read(self, req: proto.ServeRequest) -> bytes:
        return self.tree[self.path_of(req.nodeid)][req.offset : req.offset + req.size]

    async def readlink(self, req: proto.ServeRequest) -> str:
        return self.tree[self.path_of(req.nodeid)]


def _ops(seen: dict[str, Any], op: int) -> list[proto.ServeRequest]:
    return [r for r in seen["reqs"] if r.opcode == op]


async def _sh(script: str) -> tuple[int, bytes]:
    """Run ``sh -c script``; its status and what it wrote (stdout and stderr)."""
    return await _run(["sh", "-c", script])


async def _run(argv: list[str]) -> tuple[int, bytes]:
    """Run /bin/``argv[0]``; its status and what it wrote (stdout and stderr)."""
    from kernel.abi import O_CREAT, O_TRUNC, O_WRONLY

    out = await sys.open("/tmp/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    acts = [("dup2", out, 1), ("dup2", out, 2)]
    pid = await sys.spawn("/bin/" + argv[0], argv, None, None, acts)
    await sys.close(out)
    _, status = await sys.wait4(pid)
    fd = await sys.open("/tmp/out", O_RDONLY)
    data = await sys.read(fd, 1 << 16)
    await sys.close(fd)
    return status >> 8, data


def test_a_served_tree_from_the_shell() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await spawn_server(seen, "/srv", DIR, MemTree(seen))
        seen["ls"] = await _sh("ls -l /srv /srv/docs")
        seen["cat"] = await _sh("cat /srv/docs/a.txt /srv/link /srv/docs/deep/c")
        seen["stat"] = await _sh("stat -c '%F %s %a %U' /srv/docs/b.txt /srv/docs /srv/link")
        seen["find"] = await _sh("find /srv | sort")
        seen["cd"] = await _sh("cd /srv/docs/deep && pwd && cat c && cd .. && ls")
        seen["link"] = await _sh("readlink /srv/link")
        seen["rofs"] = await _sh(
            "mkdir /srv/x; rm /srv/readme; echo hi > /srv/new; chmod 600 /srv/readme;"
            " mv /srv/readme /srv/r2; ln -s a /srv/l2"
        )
        seen["nope"] = await _sh("cat /srv/nope; ls /srv/readme/x")

    seen = run_body(body)
    status, ls = seen["ls"]
    text = ls.decode()
    assert status == 0, text
    assert "drwxr-xr-x" in text and "lrwxrwxrwx" in text and "link -> docs/a.txt" in text
    assert "-rw-r--r--" in text and " readme" in text and " a.txt" in text and " deep" in text
    assert seen["cat"] == (0, b"alpha\nalpha\ncharlie\n")
    assert seen["stat"][1].decode().splitlines() == [
        "regular file 12 644 alice",
        "directory 4096 755 alice",
        "symbolic link 10 777 alice",
    ]
    assert seen["find"][1].decode().split() == [
        "/srv", "/srv/docs", "/srv/docs/a.txt", "/srv/docs/b.txt", "/srv/docs/deep",
        "/srv/docs/deep/c", "/srv/link", "/srv/readme",
    ]  # fmt: skip
    assert seen["cd"] == (0, b"/srv/docs/deep\ncharlie\na.txt\nb.txt\ndeep\n")
    assert seen["link"] == (0, b"docs/a.txt\n")
    status, rofs = seen["rofs"]
    assert status != 0 and rofs.decode().count("Read-only file system") == 6, rofs
    status, nope = seen["nope"]
    assert b"cat: /srv/nope: No such file or directory" in nope
    assert b"ls: cannot access '/srv/readme/x': Not a directory" in nope


def test_names_and_attributes_are_cached_as_long_as_the_server_says() -> None:
    async def body(seen: dict[str, Any]) -> None:
        tree = MemTree(seen)
        tree.entry_valid_ms = 500
        tree.attr_valid_ms = 200
        await spawn_server(seen, "/srv", DIR, tree)
        for _ in range(3):
            await sys.stat("/srv/docs/a.txt")
        seen["early"] = (len(_ops(seen, proto.OP_LOOKUP)), len(_ops(seen, proto.OP_GETATTR)))
        await sys.nanosleep(300 * MS)  # attributes expired, names not
        await sys.stat("/srv/docs/a.txt")
        seen["mid"] = (len(_ops(seen, proto.OP_LOOKUP)), len(_ops(seen, proto.OP_GETATTR)))
        await sys.nanosleep(600 * MS)  # both expired: the walk asks again
        await sys.stat("/srv/docs/a.txt")
        seen["late"] = (len(_ops(seen, proto.OP_LOOKUP)), len(_ops(seen, proto.OP_GETATTR)))
        tree.entry_valid_ms = tree.attr_valid_ms = 0  # (answers from now on: never kept)
        await sys.nanosleep(600 * MS)
        await sys.stat("/srv/readme")
        await sys.stat("/srv/readme")
        seen["zero"] = len([r for r in _ops(seen, proto.OP_LOOKUP) if r.payload == b"readme\0"])
        seen["me"] = await sys.getpid()

    seen = run_body(body)
    assert seen["early"] == (2, 0)  # docs, a.txt; the LOOKUP's attributes serve stat
    assert seen["mid"] == (2, 1)
    assert seen["late"] == (4, 1)  # (fresh attributes came with the LOOKUPs)
    assert seen["zero"] == 2
    look = _ops(seen, proto.OP_LOOKUP)[0]
    assert (look.nodeid, look.pid, look.uid, look.payload) == (1, seen["me"], 0, b"docs\0")


def test_getdents_reads_the_servers_offsets_and_rewinds() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await spawn_server(seen, "/srv", DIR, MemTree(seen))
        fd = await sys.open("/srv/docs", O_RDONLY | O_DIRECTORY)
        first = await sys.getdents(fd)
        seen["first"] = [(d.d_name, d.d_type) for d in first]
        seen["end"] = await sys.getdents(fd)
        await sys.lseek(fd, 0, 0)
        seen["again"] = [d.d_name for d in await sys.getdents(fd)]
        seen["fdinfo"] = await _sh(f"cat /proc/{await sys.getpid()}/fdinfo/{fd}")
        await sys.close(fd)
        seen["notdir"] = await errno_of(sys.open("/srv/readme", O_RDONLY | O_DIRECTORY))

    seen = run_body(body)
    assert seen["first"] == [
        (".", DT_DIR), ("..", DT_DIR), ("a.txt", DT_REG), ("b.txt", DT_REG), ("deep", DT_DIR)
    ]  # fmt: skip
    assert seen["end"] == [] and seen["again"] == [".", "..", "a.txt", "b.txt", "deep"]
    assert b"served_by:" in seen["fdinfo"][1] and b" /srv" in seen["fdinfo"][1]
    assert b"mnt_id:\t0\n" not in seen["fdinfo"][1]  # (the served mount's id)
    assert seen["notdir"] == ENOTDIR
    ops = [r.opcode for r in seen["reqs"]]
    assert proto.OP_OPENDIR in ops and proto.OP_RELEASEDIR in ops
    rd = _ops(seen, proto.OP_READDIR)
    assert [r.offset for r in rd] == [0, 5, 0]  # (the last entry's next offset, then 0)
    assert rd[0].fh == 0 and rd[0].nodeid != 1


def test_a_replaced_name_forgets_the_old_node() -> None:
    async def body(seen: dict[str, Any]) -> None:
        tree = MemTree(seen)
        tree.entry_valid_ms = 0
        await spawn_server(seen, "/srv", DIR, tree)
        await sys.stat("/srv/readme")
        old = tree.paths.index("readme") + 1
        tree.paths[old - 1] = "(gone)"
        tree.paths.append("readme")  # readme is now another node
        await sys.stat("/srv/readme")
        await sys.nanosleep(MS)  # (let the server read the FORGET)
        seen["old"] = old

    seen = run_body(body)
    forgets = _ops(seen, proto.OP_FORGET)
    assert [(f.nodeid, f.offset) for f in forgets] == [(seen["old"], 1)]


class Renaming(MemTree):
    """A MemTree that can give ``docs`` a new node id (``rename``) and that honours
    FORGET: a node id it was told to forget is ENOENT from then on."""

    def __init__(self, seen: dict[str, Any]) -> None:
        super().__init__(seen)
        self.entry_valid_ms = 0  # (every walk asks again: a new id is seen at once)
        self.forgotten: set[int] = set()
        self.new_docs = 0

    def rename(self) -> None:
        self.paths.append("docs")
        self.new_docs = len(self.paths)

    def path_of(self, nodeid: int) -> str:
        if nodeid in self.forgotten:
            raise Error(ENOENT)
        return super().path_of(nodeid)

    async def lookup(self, req: proto.ServeRequest, name: str) -> tuple[int, proto.Attr]:
        if self.new_docs and req.nodeid == 1 and name == "docs":
            return self.new_docs, self.attr(self.new_docs)
        return await super().lookup(req, name)

    async def forget(self, req: proto.ServeRequest) -> None:
        self.forgotten.add(req.nodeid)


def test_a_working_directory_holds_its_node_and_its_parents() -> None:
    async def body(seen: dict[str, Any]) -> None:
        tree = Renaming(seen)
        await spawn_server(seen, "/srv", DIR, tree)
        deep = tree.paths.index("docs/deep") + 1
        await sys.chdir("/srv/docs/deep")
        tree.rename()
        await sys.stat("/srv/docs")  # the name now leads to another node
        await sys.nanosleep(MS)
        seen["held"] = [r.nodeid for r in _ops(seen, proto.OP_FORGET)]
        seen["here"] = (await sys.stat("c")).st_size
        seen["up"] = (await sys.stat("../a.txt")).st_size  # asked with the old docs' id
        seen["child"] = await _run(["cat", "c", "../b.txt"])  # (a child inherits it)
        await sys.nanosleep(MS)
        seen["child_gone"] = [r.nodeid for r in _ops(seen, proto.OP_FORGET)]
        await sys.chdir("/")
        await sys.nanosleep(MS)
        seen["let_go"] = sorted(r.nodeid for r in _ops(seen, proto.OP_FORGET))
        seen["ids"] = [tree.paths.index(p) + 1 for p in ("docs", "docs/a.txt", "docs/b.txt")]
        seen["ids"] += [deep, tree.paths.index("docs/deep/c") + 1]

    seen = run_body(body)
    assert seen["held"] == []  # nothing forgotten while a process is in there
    assert seen["here"] == len(b"charlie\n") and seen["up"] == len(b"alpha\n")
    assert seen["child"] == (0, b"charlie\nbravo bravo\n")
    assert seen["child_gone"] == []  # (the parent is still in there)
    assert seen["let_go"] == sorted(seen["ids"])  # then the old docs and all below it go


class Silent(MemTree):
    """Reads requests and answers none (or dies at the first LOOKUP: ``die``)."""

    def __init__(self, seen: dict[str, Any], die: bool = False) -> None:
        super().__init__(seen)
        self.die = die

    async def handle(self, req: proto.ServeRequest) -> None:
        self.seen["reqs"].append(req)
        if req.opcode == proto.OP_LOOKUP:
            if self.die:
                await sys.exit(3)
            return
        await Server.handle(self, req)


def test_server_death_during_a_lookup_fails_the_walk_with_eio() -> None:
    async def body(seen: dict[str, Any]) -> None:
        pid = await spawn_server(seen, "/srv", DIR, Silent(seen, die=True))
        seen["stat"] = await errno_of(sys.stat("/srv/docs"))
        seen["wait"] = await sys.wait4(pid)
        seen["after"] = await errno_of(sys.stat("/srv/docs"))
        seen["ls"] = await _sh("ls /srv; echo $?")

    seen = run_body(body)
    assert seen["stat"] == EIO and seen["wait"][1] >> 8 == 3
    assert seen["after"] == ENOENT  # the mount went with its server (and its placeholder)
    assert seen["ls"][1].endswith(b"2\n")


def test_a_silent_server_times_out_and_a_signal_interrupts() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await spawn_server(seen, "/srv", DIR, Silent(seen))
        await sys.sigaction(SIGUSR1, SIG_CATCH)
        t0 = await sys.clock_gettime(1)
        seen["timeout"] = await errno_of(sys.stat("/srv/docs"))
        seen["waited"] = (await sys.clock_gettime(1)) - t0
        me = await sys.getpid()
        await sys.spawn("/bin/sh", ["sh", "-c", f"sleep 0.2; kill -USR1 {me}"])
        t0 = await sys.clock_gettime(1)
        seen["eintr"] = await errno_of(sys.stat("/srv/readme"))
        seen["interrupted"] = (await sys.clock_gettime(1)) - t0

    seen = run_body(body)
    assert seen["timeout"] == EIO and seen["waited"] >= proto.SERVE_TIMEOUT_MS * MS
    assert seen["eintr"] == EINTR and seen["interrupted"] < SECOND


class Garbled(MemTree):
    """Answers LOOKUP with a record too short to be an entry."""

    async def handle(self, req: proto.ServeRequest) -> None:
        self.seen["reqs"].append(req)
        if req.opcode == proto.OP_LOOKUP:
            try:
                await sys.write(self.channel, proto.pack_reply(req.unique, 0, b"short"))
            except Error as err:
                self.seen["write"] = err.errno
            return
        await Server.handle(self, req)


def test_a_malformed_answer_is_eio_for_the_caller_and_einval_for_the_server() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await spawn_server(seen, "/srv", DIR, Garbled(seen))
        seen["stat"] = await errno_of(sys.stat("/srv/docs"))
        seen["dmesg"] = (await _sh("dmesg | grep 'answered a lookup'"))[1]

    seen = run_body(body)
    assert seen["stat"] == EIO and seen["write"] == 22
    assert b"answered a lookup" in seen["dmesg"]


def test_serve_dir_rules() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.mkdir("/tmp/d", 0o755)
        fd = await sys.open("/tmp/file", 0o101, 0o644)
        await sys.close(fd)
        seen["notdir"] = await errno_of(sys.serve("/tmp/file", DIR, 0o755))
        seen["isdir"] = await errno_of(sys.serve("/tmp/d", proto.SERVE_FILE, 0o644))
        ch = await sys.serve("/tmp/d", DIR, 0o750)
        await sys.serve_timeout(ch, 100)
        seen["own"] = await errno_of(sys.stat("/tmp/d"))  # (we serve it: no answer, EIO)
        await sys.close(ch)
        seen["after"] = (await sys.stat("/tmp/d")).st_mode & S_IFMT

    seen = run_body(body)
    assert seen["notdir"] == ENOTDIR and seen["isdir"] == 21
    assert seen["own"] == EIO and seen["after"] == S_IFDIR


def test_a_served_tree_refuses_changes_with_erofs() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await spawn_server(seen, "/srv", DIR, MemTree(seen))
        seen["errs"] = [
            await errno_of(sys.mkdir("/srv/x", 0o755)),
            await errno_of(sys.unlink("/srv/readme")),
            await errno_of(sys.rename("/srv/readme", "/srv/r")),
            await errno_of(sys.chmod("/srv/readme", 0o600)),
            await errno_of(sys.symlink("a", "/srv/l")),
        ]

    assert run_body(body)["errs"] == [EROFS] * 5


_NAME = st.sampled_from(["a", "b", "c.txt", "dir", "x y"])


@st.composite
def _trees(draw: Any, depth: int = 0, prefix: str = "") -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name in draw(st.lists(_NAME, max_size=4, unique=True)):
        path = prefix + name
        kind = draw(st.sampled_from(["file", "dir"] if depth < 2 else ["file"]))
        if kind == "dir":
            tree[path] = None
            tree.update(draw(_trees(depth + 1, path + "/")))
        else:
            tree[path] = draw(st.binary(max_size=40))
    return tree


async def _walk(path: str, rel: str, out: dict[str, Any]) -> None:
    """Everything below ``path`` as MemTree's dict: getdents, lstat, read."""
    fd = await sys.open(path, O_RDONLY | O_DIRECTORY)
    names = []
    while batch := await sys.getdents(fd):
        names += [d.d_name for d in batch if d.d_name not in (".", "..")]
    await sys.close(fd)
    for name in names:
        full, key = f"{path}/{name}", f"{rel}{name}"
        st_ = await sys.lstat(full)
        if st_.st_mode & S_IFMT == S_IFDIR:
            out[key] = None
            await _walk(full, key + "/", out)
        else:
            f = await sys.open(full, O_RDONLY)
            out[key] = await sys.read(f, 1 << 16)
            await sys.close(f)
            assert st_.st_size == len(out[key])


@settings(derandomize=True, max_examples=12, deadline=None)
@given(tree=_trees(), valid=st.sampled_from([0, 1000]))
def test_a_served_tree_reads_back_as_the_servers_tree(tree: dict[str, Any], valid: int) -> None:
    """Whatever the tree and however long answers are kept, walking the served tree
    (names, types, sizes, contents) gives back exactly the server's tree."""

    async def body(seen: dict[str, Any]) -> None:
        srv = MemTree(seen, tree)
        srv.entry_valid_ms = srv.attr_valid_ms = valid
        await spawn_server(seen, "/srv", DIR, srv)
        got: dict[str, Any] = {}
        await _walk("/srv", "", got)
        await _walk("/srv", "", got)  # (a second time: from the caches, if kept)
        seen["got"] = got

    assert run_body(body)["got"] == tree


def test_under_served_tables_a_walk_into_a_served_tree_waits_too() -> None:
    """jobserve's children open and spawn through served tables (their calls have slept
    for the table's server before they walk): the walk's LOOKUPs are waited for there."""

    async def body(seen: dict[str, Any]) -> None:
        await spawn_server(seen, "/srv", DIR, MemTree(seen))
        seen["out"] = await _sh(
            "jobserve -j 1 'cat /srv/docs/a.txt; cat < /srv/docs/b.txt; cat /srv/link'"
        )

    assert run_body(body)["out"] == (0, b"[1] alpha\n[1] bravo bravo\n[1] alpha\n")


def test_a_deep_walk_with_nothing_cached_asks_once_per_name() -> None:
    """Answers with zero validity: the restarted call takes each answer it waited for
    again as it walks past (one LOOKUP a name, not one more per restart)."""
    tree: dict[str, Any] = {"a": None, "a/b": None, "a/b/c": None, "a/b/c/d": None}
    tree["a/b/c/d/f"] = b"x"

    async def body(seen: dict[str, Any]) -> None:
        srv = MemTree(seen, tree)
        srv.entry_valid_ms = srv.attr_valid_ms = 0
        await spawn_server(seen, "/srv", DIR, srv)
        await sys.stat("/srv/a/b/c/d/f")
        await sys.stat("/srv/a/b/c/d/f")

    assert len(_ops(run_body(body), proto.OP_LOOKUP)) == 10  # 5 names, twice
