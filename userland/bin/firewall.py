"""``firewall [-r RULES]... [-f FILE] PATH -- CMD [ARG]...``: stand between a command and
a device, a file or a directory tree, forwarding only what the rules allow.

The firewall serves PATH (``man 7 served``) in a mount namespace of its own, starts CMD
there — CMD sees the firewall's node at the real path and cannot tell — and goes back
to the namespace it came from, where PATH is still the real service. Each request CMD
makes (open, read, write, ioctl; in a directory also each name looked up and each
listing) is checked against the rules: an allowed one is done on the real PATH with the
answer passed back, a refused one fails with EACCES and is logged on standard error and
in the kernel log. The firewall exits with CMD's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from kernel.abi import (
    CLOCK_MONOTONIC,
    CLONE_NEWNS,
    EACCES,
    ENOENT,
    O_ACCMODE,
    O_APPEND,
    O_DIRECTORY,
    O_NONBLOCK,
    O_RDONLY,
    POLLIN,
    S_ISCHR,
    S_ISDIR,
    S_ISLNK,
    S_ISREG,
    WNOHANG,
    Error,
    Stat,
)
from kernel.abi import serve as proto
from userland.bin.which import resolve
from userland.libk import args, sys
from userland.libk import io as kio
from userland.libk.proc import exit_code
from userland.libk.serve import Server

USAGE = """Usage: firewall [OPTION]... PATH -- COMMAND [ARG]...
Run COMMAND with PATH (a device, a regular file or a directory) served through a
firewall that forwards only the requests its rules allow and logs the ones it refuses.

  -r RULES    rules, separated by ';' or newlines (may be repeated)
  -f FILE     read rules from FILE ('#' starts a comment)
  -q          do not log refusals on standard error (the kernel log still has them)
      --help  display this help and exit

A rule is 'allow|deny OPS [TEXT]': OPS is open, read, write, ioctl, lookup, list or
all, or several joined by ','; TEXT (the rest of the line) limits a write rule to data
containing it, and any other rule, in a directory, to paths below PATH matching it as a
pattern ('*' matches '/' too). The first rule that matches a request decides; a request
no rule matches is allowed. A name that lookup rules refuse is not listed either.
Examples: firewall -r 'deny write secret' /tmp/log -- sh -c 'echo hi >> /tmp/log'
          firewall -r 'deny lookup *.key' /srv -- ls -R /srv
"""

OPS = ("open", "read", "write", "ioctl", "lookup", "list")
POLL_MS = 50


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: allow or deny these operations (a write only if it holds ``text``)."""

    allow: bool
    ops: frozenset[str]
    text: bytes = b""

    def matches(self, op: str, data: bytes, path: str = "") -> bool:
        """Does this rule decide ``op`` (with ``data`` for a write, on ``path`` below a
        served directory, "" for the served node itself)?"""
        if op not in self.ops:
            return False
        if not self.text:
            return True
        if op == "write":
            return self.text in data
        return bool(path) and fnmatchcase(path, self.text.decode(errors="surrogateescape"))


def parse_rules(text: str) -> list[Rule]:
    """The rules of ``text``.

    Raises:
        ValueError: for a malformed rule (its text in the message).
    """
    rules = []
    for raw in text.replace(";", "\n").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        verb, _, rest = line.partition(" ")
        ops_text, _, match = rest.strip().partition(" ")
        ops = set()
        for op in ops_text.split(","):
            if op == "all":
                ops.update(OPS)
            elif op in OPS:
                ops.add(op)
            else:
                raise ValueError(f"unknown operation '{op}' in rule '{line}'")
        if verb not in ("allow", "deny") or not ops:
            raise ValueError(f"malformed rule '{line}'")
        rules.append(Rule(verb == "allow", frozenset(ops), match.strip().encode()))
    return rules


class Firewall(Server):
    """Forwards allowed requests to the real ``path``; refuses and logs the rest.

    In a served directory each node the firewall gives out is a path below ``path``
    (node 1: ``path`` itself), and its open files and listings are its own descriptors
    and snapshots on the real tree, by handle.
    """

    def __init__(self, path: str, rules: list[Rule], cmd: list[str], quiet: bool) -> None:
        super().__init__()
        self.path = path
        self.rules = rules
        self.cmd = cmd
        self.quiet = quiet
        self.child = 0
        self.status = 0
        self.home = -1  # our first mount namespace (/proc/self/ns/mnt), to go back to
        self.seekable = True
        self.paths: dict[int, str] = {proto.SERVE_ROOT_ID: ""}  # node id -> path below
        self.ids: dict[str, int] = {"": proto.SERVE_ROOT_ID}
        self.streams: set[int] = set()  # handles of files that are not seekable
        self.listings: dict[int, list[tuple[int, int, str]]] = {}
        self.next_fh = 1 << 32  # (listing handles: apart from the descriptors)

    def allowed(self, op: str, data: bytes = b"", path: str = "") -> bool:
        """The first matching rule's verdict (no rule: allowed)."""
        for rule in self.rules:
            if rule.matches(op, data, path):
                return rule.allow
        return True

    async def check(
        self, req: proto.ServeRequest, op: str, data: bytes = b"", path: str = ""
    ) -> None:
        """Refuse (EACCES) and log ``req`` unless the rules allow it."""
        if self.allowed(op, data, path):
            return
        what = f"{op} of {len(data)} bytes" if op == "write" else op
        line = f"denied {what} by pid {req.pid} (uid {req.uid}) on {self.real(path)}"
        if not self.quiet:
            await kio.warn("firewall", line)
        try:
            await sys.klog(f"firewall: {line}")
        except Error:
            pass
        raise Error(EACCES)

    def real(self, path: str) -> str:
        """The real file of ``path`` below PATH."""
        return f"{self.path.rstrip('/')}/{path}" if path else self.path

    def path_of(self, nodeid: int) -> str:
        """The path below PATH of a node the firewall gave out (ENOENT: none)."""
        try:
            return self.paths[nodeid]
        except KeyError:
            raise Error(ENOENT) from None

    async def serve_child(self, kind: int, mode: int) -> int:
        """Serve in a namespace of our own, run the command there, forward until it ends."""
        self.kind, self.mode = kind, mode
        self.uid, self.gid = await sys.geteuid(), await sys.getegid()
        self.started = await sys.clock_gettime(CLOCK_MONOTONIC)
        self.home = await sys.open("/proc/self/ns/mnt", O_RDONLY)
        try:
            await sys.unshare(CLONE_NEWNS)
            self.channel = await sys.serve(self.path, kind, mode)
            env = await sys.environ()
            path, status = await resolve("firewall", self.cmd[0], env.get("PATH"))
            if path is None:
                return status
            try:
                self.child = await sys.spawn(path, self.cmd, env)
            except Error as err:
                await kio.warn("firewall", f"failed to execute {self.cmd[0]}: {err.message}")
                return 126
            await sys.setns(self.home, CLONE_NEWNS)
            await self.forward()
            return exit_code(self.status)
        finally:
            await sys.close(self.home)
            if self.channel >= 0:
                await sys.close(self.channel)

    async def forward(self) -> None:
        """Answer requests until the command has ended."""
        while True:
            ready = await sys.poll([(self.channel, POLLIN)], POLL_MS)
            if ready[0] & POLLIN:
                await self.handle_one()
                continue
            pid, status = await sys.wait4(self.child, WNOHANG)
            if pid == self.child:
                self.status = status
                return

    async def handle_one(self) -> None:
        """Read and answer one request (there is one: poll said so)."""
        data = await sys.read(self.channel, proto.SERVE_REQ_MAX)
        await self.handle(proto.unpack_request(data))

    # -- files -------------------------------------------------------------------------
    async def open(self, req: proto.ServeRequest) -> int:
        path = self.path_of(req.nodeid)
        await self.check(req, "open", path=path)
        flags = req.flags & (O_ACCMODE | O_APPEND | O_NONBLOCK)
        fd = await sys.open(self.real(path), flags)
        if path and not S_ISREG((await sys.fstat(fd)).st_mode):
            self.streams.add(fd)
        return fd

    def _seekable(self, fh: int) -> bool:
        return self.seekable and fh not in self.streams

    async def read(self, req: proto.ServeRequest) -> bytes:
        await self.check(req, "read", path=self.path_of(req.nodeid))
        if self._seekable(req.fh):
            await sys.lseek(req.fh, req.offset, 0)
        return await sys.read(req.fh, req.size)

    async def write(self, req: proto.ServeRequest) -> int:
        await self.check(req, "write", req.payload, self.path_of(req.nodeid))
        if self._seekable(req.fh):
            await sys.lseek(req.fh, req.offset, 0)
        return await sys.write(req.fh, req.payload)

    async def ioctl(self, req: proto.ServeRequest) -> int | bytes:
        await self.check(req, "ioctl", path=self.path_of(req.nodeid))
        result = await sys.ioctl(req.fh, req.flags, req.payload or req.offset)
        return result if isinstance(result, int | bytes) else 0

    async def release(self, req: proto.ServeRequest) -> None:
        self.streams.discard(req.fh)
        try:
            await sys.close(req.fh)
        except Error:
            pass

    # -- a directory tree ----------------------------------------------------------------
    def attr_of(self, nodeid: int, st: Stat) -> proto.Attr:
        """The attributes of the real file ``st`` as node ``nodeid``."""
        return proto.Attr(
            nodeid, st.st_mode, st.st_size, st.st_nlink, st.st_uid, st.st_gid, st.st_rdev,
            st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns,
        )  # fmt: skip

    async def getattr(self, req: proto.ServeRequest) -> proto.Attr:
        return self.attr_of(req.nodeid, await sys.lstat(self.real(self.path_of(req.nodeid))))

    async def lookup(self, req: proto.ServeRequest, name: str) -> tuple[int, proto.Attr]:
        base = self.path_of(req.nodeid)
        path = f"{base}/{name}" if base else name
        await self.check(req, "lookup", path=path)
        st = await sys.lstat(self.real(path))
        if not (S_ISDIR(st.st_mode) or S_ISREG(st.st_mode) or S_ISCHR(st.st_mode)
                or S_ISLNK(st.st_mode)):  # fmt: skip
            raise Error(EACCES)  # (FIFOs and sockets are not forwarded: man 1 firewall)
        nodeid = self.ids.get(path)
        if nodeid is None:
            nodeid = self.ids[path] = len(self.paths) + 1
            self.paths[nodeid] = path
        return nodeid, self.attr_of(nodeid, st)

    async def readlink(self, req: proto.ServeRequest) -> str:
        return await sys.readlink(self.real(self.path_of(req.nodeid)))

    async def opendir(self, req: proto.ServeRequest) -> int:
        base = self.path_of(req.nodeid)
        await self.check(req, "list", path=base)
        fd = await sys.open(self.real(base), O_RDONLY | O_DIRECTORY)
        entries = []
        try:
            while batch := await sys.getdents(fd):
                for d in batch:
                    path = f"{base}/{d.d_name}" if base else d.d_name
                    if d.d_name not in (".", "..") and self.allowed("lookup", path=path):
                        entries.append((d.d_ino, d.d_type, d.d_name))
        finally:
            await sys.close(fd)
        fh = self.next_fh
        self.next_fh += 1
        self.listings[fh] = entries
        return fh

    async def readdir(self, req: proto.ServeRequest) -> list[tuple[int, int, int, str]]:
        entries = self.listings.get(req.fh, [])
        return [
            (ino, i + 1, dtype, name)
            for i, (ino, dtype, name) in enumerate(entries)
            if i >= req.offset
        ]

    async def releasedir(self, req: proto.ServeRequest) -> None:
        self.listings.pop(req.fh, None)


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "r:f:q", permute=False)
    except args.UsageError as err:
        await kio.warn("firewall", f"{err}\nTry 'firewall --help' for more information.")
        return 1
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    operands = list(opts.operands)
    if len(operands) >= 2 and operands[1] == "--":
        del operands[1]
    if len(operands) < 2:
        await kio.warn(
            "firewall", "missing PATH or COMMAND\nTry 'firewall --help' for more information."
        )
        return 1
    path, cmd = operands[0], operands[1:]
    text = "\n".join(opts.values("r"))
    for name in opts.values("f"):
        try:
            text += "\n" + (await kio.read_file(name)).decode(errors="replace")
        except Error as err:
            await kio.warn("firewall", f"{name}: {err.message}")
            return 1
    try:
        rules = parse_rules(text)
    except ValueError as err:
        await kio.warn("firewall", str(err))
        return 1
    if (await sys.geteuid()) != 0:
        await kio.warn("firewall", "must be run as root (it makes a mount namespace)")
        return 1
    try:
        st = await sys.stat(path)
    except Error as err:
        await kio.warn("firewall", f"cannot stat '{path}': {err.message}")
        return 1
    if S_ISCHR(st.st_mode):
        kind = proto.SERVE_CHR
    elif S_ISREG(st.st_mode):
        kind = proto.SERVE_FILE
    elif S_ISDIR(st.st_mode):
        kind = proto.SERVE_DIR
    else:
        await kio.warn("firewall", f"{path}: not a device, a regular file or a directory")
        return 1
    fw = Firewall(path, rules, cmd, opts.has("q"))
    fw.seekable = kind != proto.SERVE_CHR
    try:
        return await fw.serve_child(kind, st.st_mode & 0o7777)
    except Error as err:
        await kio.warn("firewall", f"cannot serve {path}: {err.message}")
        return 1
