"""``firewall [-r RULES]... [-f FILE] PATH -- CMD [ARG]...``: stand between a command and
a device or file, forwarding only what the rules allow.

The firewall serves PATH (``man 7 served``) in a mount namespace of its own, starts CMD
there — CMD sees the firewall's node at the real path and cannot tell — and goes back
to the namespace it came from, where PATH is still the real service. Each request CMD
makes (open, read, write, ioctl) is checked against the rules: an allowed one is done
on the real PATH with the answer passed back, a refused one fails with EACCES and is
logged on standard error and in the kernel log. The firewall exits with CMD's status.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.abi import (
    CLONE_NEWNS,
    EACCES,
    O_ACCMODE,
    O_APPEND,
    O_NONBLOCK,
    O_RDONLY,
    POLLIN,
    S_ISCHR,
    S_ISREG,
    WNOHANG,
    Error,
)
from kernel.abi import serve as proto
from userland.bin.which import resolve
from userland.libk import args, sys
from userland.libk import io as kio
from userland.libk.proc import exit_code
from userland.libk.serve import Server

USAGE = """Usage: firewall [OPTION]... PATH -- COMMAND [ARG]...
Run COMMAND with PATH (a device or a regular file) served through a firewall that
forwards only the requests its rules allow and logs the ones it refuses.

  -r RULES    rules, separated by ';' or newlines (may be repeated)
  -f FILE     read rules from FILE ('#' starts a comment)
  -q          do not log refusals on standard error (the kernel log still has them)
      --help  display this help and exit

A rule is 'allow|deny OPS [TEXT]': OPS is open, read, write, ioctl or all, or several
joined by ','; TEXT (the rest of the line) limits a write rule to data containing it.
The first rule that matches a request decides; a request no rule matches is allowed.
Example: firewall -r 'deny write secret; allow all' /tmp/log -- sh -c 'echo hi >> /tmp/log'
"""

OPS = ("open", "read", "write", "ioctl")
POLL_MS = 50


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: allow or deny these operations (a write only if it holds ``text``)."""

    allow: bool
    ops: frozenset[str]
    text: bytes = b""

    def matches(self, op: str, data: bytes) -> bool:
        """Does this rule decide ``op`` (with ``data``, for a write)?"""
        if op not in self.ops:
            return False
        return not self.text or (op == "write" and self.text in data)


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
    """Forwards allowed requests to the real ``path``; refuses and logs the rest."""

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

    def allowed(self, op: str, data: bytes = b"") -> bool:
        """The first matching rule's verdict (no rule: allowed)."""
        for rule in self.rules:
            if rule.matches(op, data):
                return rule.allow
        return True

    async def check(self, req: proto.ServeRequest, op: str, data: bytes = b"") -> None:
        """Refuse (EACCES) and log ``req`` unless the rules allow it."""
        if self.allowed(op, data):
            return
        what = f"{op} of {len(data)} bytes" if op == "write" else op
        line = f"denied {what} by pid {req.pid} (uid {req.uid}) on {self.path}"
        if not self.quiet:
            await kio.warn("firewall", line)
        try:
            await sys.klog(f"firewall: {line}")
        except Error:
            pass
        raise Error(EACCES)

    async def serve_child(self, kind: int, mode: int) -> int:
        """Serve in a namespace of our own, run the command there, forward until it ends."""
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

    async def open(self, req: proto.ServeRequest) -> int:
        await self.check(req, "open")
        flags = req.flags & (O_ACCMODE | O_APPEND | O_NONBLOCK)
        return await sys.open(self.path, flags)

    async def read(self, req: proto.ServeRequest) -> bytes:
        await self.check(req, "read")
        if self.seekable:
            await sys.lseek(req.fh, req.offset, 0)
        return await sys.read(req.fh, req.size)

    async def write(self, req: proto.ServeRequest) -> int:
        await self.check(req, "write", req.payload)
        if self.seekable:
            await sys.lseek(req.fh, req.offset, 0)
        return await sys.write(req.fh, req.payload)

    async def ioctl(self, req: proto.ServeRequest) -> int | bytes:
        await self.check(req, "ioctl")
        result = await sys.ioctl(req.fh, req.flags, req.payload or req.offset)
        return result if isinstance(result, int | bytes) else 0

    async def release(self, req: proto.ServeRequest) -> None:
        try:
            await sys.close(req.fh)
        except Error:
            pass


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
    else:
        await kio.warn("firewall", f"{path}: not a device or a regular file")
        return 1
    fw = Firewall(path, rules, cmd, opts.has("q"))
    fw.seekable = kind == proto.SERVE_FILE
    try:
        return await fw.serve_child(kind, st.st_mode & 0o7777)
    except Error as err:
        await kio.warn("firewall", f"cannot serve {path}: {err.message}")
        return 1
