"""``strace [-cfT] [-e trace=NAMES] [-o FILE] [-s N] COMMAND [ARG]…``: trace system calls.

strace spawns COMMAND with ``SpawnAttr(trace=…)`` (2 with ``-f``: its children too),
collects the calls with trace_read(2) and prints each as Linux's strace does:
``open("/etc/motd", O_RDONLY) = 3``, ``read(3, "Welcome to libk, a small Unix-li"...,
4096) = 245``, ``open("/nope", O_RDONLY) = -1 ENOENT (No such file or directory)``.
Arguments are formatted from their kinds in the system-call table (kernel.abi), with
flags, signals, fcntl commands and ioctl requests by name; strings are escaped and cut
at 32 bytes (``-s``). ``-c`` prints the summary table instead; the end of the command
is ``+++ exited with N +++`` (from wait4).
"""

from __future__ import annotations

import dataclasses

from kernel.abi import (
    ERRNO_MESSAGES,
    ERRNO_NAMES,
    O_CREAT,
    O_TRUNC,
    O_WRONLY,
    SIGNAL_NAMES,
    SYSCALL_BY_NAME,
    WIFSIGNALED,
    WTERMSIG,
    Error,
    SpawnAttr,
    TraceEvent,
)
from userland.bin.which import resolve, wait_for
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.memflags import flag_bits, mem_arg, mem_result
from userland.libk.proc import exit_code

USAGE = """Usage: strace [-cfqT] [-e trace=NAME,...] [-o FILE] [-s STRSIZE] PROG [ARGS]
Trace the system calls of PROG.

  -c          count time, calls and errors of each system call; print a summary
  -e trace=NAME,...
              trace only these calls (!NAME,... for all but these)
  -f          follow the processes PROG spawns; their lines start with [pid N]
  -o FILE     write the trace to FILE instead of standard error
  -q          do not print the +++ exited with N +++ line
  -s STRSIZE  print at most STRSIZE bytes of each string (default 32)
  -T          show the time spent in each call: <0.000012>
  --help      display this help and exit
"""

OPEN_MODES = {0: "O_RDONLY", 1: "O_WRONLY", 2: "O_RDWR"}
OPEN_FLAGS = [
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o2000000, "O_CLOEXEC"),
]
FCNTL_CMDS = {0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL"}
IOCTL_REQUESTS = {
    0x5401: "TCGETS",
    0x5402: "TCSETS",
    0x5403: "TCSETSW",
    0x5404: "TCSETSF",
    0x540E: "TIOCSCTTY",
    0x540F: "TIOCGPGRP",
    0x5410: "TIOCSPGRP",
    0x5413: "TIOCGWINSZ",
    0x5414: "TIOCSWINSZ",
    0x5422: "TIOCNOTTY",
}
DISPOSITIONS = {0: "SIG_DFL", 1: "SIG_IGN", 2: "SIG_CATCH"}
WAIT_OPTIONS = [(1, "WNOHANG"), (2, "WUNTRACED"), (8, "WCONTINUED")]
FILE_TYPES = {
    0o040000: "S_IFDIR",
    0o100000: "S_IFREG",
    0o120000: "S_IFLNK",
    0o020000: "S_IFCHR",
    0o060000: "S_IFBLK",
    0o010000: "S_IFIFO",
    0o140000: "S_IFSOCK",
}
ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\v": "\\v", "\f": "\\f", '"': '\\"'}
ESCAPES["\\"] = "\\\\"


def quote(data: bytes | str | None, limit: int | None) -> str:
    """``"text\\n"``, escaped like strace, cut at ``limit`` bytes with ``...`` after."""
    if data is None:
        return "NULL"
    raw = data.encode(errors="replace") if isinstance(data, str) else bytes(data)
    cut = limit is not None and len(raw) > limit
    if cut:
        raw = raw[:limit]
    out = []
    for b in raw:
        c = chr(b)
        if c in ESCAPES:
            out.append(ESCAPES[c])
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append(f"\\{b:o}")
    return '"' + "".join(out) + '"' + ("..." if cut else "")


bits = flag_bits


def open_flags(flags: int) -> str:
    """``O_WRONLY|O_CREAT|O_TRUNC``."""
    return bits(flags & ~3, OPEN_FLAGS, OPEN_MODES.get(flags & 3, str(flags & 3)))


def signal_name(sig: object) -> str:
    """``SIGTERM`` (or the number, or 0)."""
    return SIGNAL_NAMES.get(sig, str(sig)) if isinstance(sig, int) else repr(sig)


def wait_status(status: int) -> str:
    """``[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`` as strace shows a wait status."""
    if status & 0x7F == 0:
        return f"[{{WIFEXITED(s) && WEXITSTATUS(s) == {status >> 8 & 0xFF}}}]"
    if status & 0xFF == 0x7F:
        return f"[{{WIFSTOPPED(s) && WSTOPSIG(s) == {signal_name(status >> 8 & 0xFF)}}}]"
    if status == 0xFFFF:
        return "[{WIFCONTINUED(s)}]"
    core = " && WCOREDUMP(s)" if status & 0x80 else ""
    return f"[{{WIFSIGNALED(s) && WTERMSIG(s) == {signal_name(status & 0x7F)}{core}}}]"


def struct(obj: object, limit: int) -> str:
    """A structure argument or result: ``{st_mode=S_IFREG|0644, st_size=245, ...}``."""
    if obj is None:
        return "NULL"
    name = type(obj).__name__
    if name == "Stat":
        mode = obj.st_mode  # type: ignore[attr-defined]
        kind = FILE_TYPES.get(mode & 0o170000, "0")
        return f"{{st_mode={kind}|{mode & 0o7777:04o}, st_size={obj.st_size}, ...}}"  # type: ignore[attr-defined]
    if dataclasses.is_dataclass(obj):
        fields = []
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if isinstance(obj, SpawnAttr) and value == f.default:
                continue
            fields.append(f"{f.name}={value_text(value, limit)}")
        return "{" + ", ".join(fields) + "}"
    if callable(obj):
        return getattr(obj, "__name__", "func")
    return f"<{name}>"  # an object with no fields to show (the MMU view)


def value_text(value: object, limit: int) -> str:
    """Any value: numbers as they are, strings quoted, lists in brackets."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str | bytes | bytearray):
        return quote(value, limit)
    if isinstance(value, list | tuple):
        if len(value) > 8:
            return f"[/* {len(value)} entries */]"
        return "[" + ", ".join(value_text(v, limit) for v in value) + "]"
    if isinstance(value, dict):
        return f"/* {len(value)} vars */"
    return struct(value, limit)


class Formatter:
    """Turns one event into strace's line."""

    def __init__(self, limit: int, timing: bool) -> None:
        self.limit = limit
        self.timing = timing

    def arg(self, name: str, kind: str, value: object, call: str, all_args: dict) -> str:
        """One argument, by its kind and, for flags and numbers, its name and call."""
        if kind == "path":
            return quote(value, None) if isinstance(value, str | bytes) else value_text(value, 0)
        if kind in ("str", "bytes"):
            return quote(value, self.limit) if value is not None else "NULL"
        if kind == "strs":
            items = list(value) if isinstance(value, list | tuple) else []
            return "[" + ", ".join(quote(v, self.limit) for v in items) + "]"
        if kind == "env":
            return "NULL" if value is None else f"/* {len(value)} vars */"  # type: ignore[arg-type]
        if kind == "actions":
            return "NULL" if value is None else f"[/* {len(value)} actions */]"  # type: ignore[arg-type]
        if not isinstance(value, int) or isinstance(value, bool):
            return struct(value, self.limit)
        named = mem_arg(call, name, value)
        if named is not None:
            return named
        if call == "open" and name == "flags":
            return open_flags(value)
        if name == "mode":
            return f"0{value:o}"
        if name == "sig":
            return signal_name(value)
        if call == "sigaction" and name == "action":
            return DISPOSITIONS.get(value, str(value))
        if call == "fcntl" and name == "cmd":
            return FCNTL_CMDS.get(value, str(value))
        if call == "fcntl" and name == "arg" and all_args.get("cmd") in (3, 4):
            return open_flags(value)
        if call == "ioctl" and name == "request":
            return IOCTL_REQUESTS.get(value, hex(value))
        if call == "wait4" and name == "options":
            return bits(value, WAIT_OPTIONS)
        return str(value)

    def line(self, ev: TraceEvent) -> str:
        """``name(args) = result``, with the error or the time spent when asked."""
        spec = SYSCALL_BY_NAME.get(ev.name)
        specs = spec.args if spec is not None else ()
        values = list(ev.args)
        for a in specs[len(values) :]:
            values.append(None if a.default is ... else a.default)
        named = {a.name: v for a, v in zip(specs, values, strict=False)}
        parts = []
        for i, v in enumerate(values):
            a = specs[i] if i < len(specs) else None
            flags = named.get("flags")
            if (
                ev.name == "open"
                and a is not None
                and a.name == "mode"
                and not (isinstance(flags, int) and flags & O_CREAT)
            ):
                continue
            text = self.arg(a.name, a.kind, v, ev.name, named) if a else value_text(v, self.limit)
            parts.append(text)
        result = ev.result
        if ev.name == "read" and len(parts) >= 2:
            data = result if isinstance(result, bytes | bytearray) and not ev.errno else None
            parts.insert(1, quote(data, self.limit) if data is not None else "...")
            result = len(result) if data is not None else result
        elif ev.name == "write" and len(parts) == 2:
            data = named.get("data")
            count = result if isinstance(result, int) and not ev.errno else None
            if count is None and isinstance(data, bytes | bytearray):
                count = len(data)
            parts.append(str(count))
        elif ev.name == "ioctl" and len(parts) == 3 and dataclasses.is_dataclass(result):
            parts[2] = struct(result, self.limit)
            result = 0
        elif ev.name == "wait4" and not ev.errno and isinstance(result, tuple):
            parts.insert(1, wait_status(result[1]))
            result = result[0]
        elif ev.name == "pipe" and not ev.errno and isinstance(result, tuple):
            parts.insert(0, value_text(list(result), self.limit))
            result = 0
        elif ev.name in ("stat", "lstat", "fstat", "statfs") and not ev.errno:
            parts.append(struct(result, self.limit))
            result = 0
        elif ev.name == "getdents" and not ev.errno and isinstance(result, list):
            parts.append(f"/* {len(result)} entries */")
            result = len(result)
        if ev.errno:
            name = ERRNO_NAMES.get(ev.errno, str(ev.errno))
            msg = ERRNO_MESSAGES.get(ev.errno, "Unknown error")
            tail = f"-1 {name} ({msg})"
        else:
            tail = mem_result(ev.name, result) or (
                value_text(result, self.limit) if result is not None else "0"
            )
        text = f"{ev.name}({', '.join(parts)}) = {tail}"
        if self.timing:
            text += f" <{(ev.end_ns - ev.start_ns) / 1e9:.6f}>"
        return text


def summary(events: dict[str, list[int]]) -> str:
    """``strace -c``'s table: share of time, seconds, usecs/call, calls, errors."""
    dash = "------ ----------- ----------- --------- --------- ----------------"
    lines = ["% time     seconds  usecs/call     calls    errors syscall", dash]
    total_ns = sum(v[0] for v in events.values())
    rows = sorted(events.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    for name, (ns, calls, errors) in rows:
        share = 100.0 * ns / total_ns if total_ns else 0.0
        err = f"{errors:9d}" if errors else " " * 9
        lines.append(
            f"{share:6.2f} {ns / 1e9:11.6f} {ns // 1000 // calls:11d} {calls:9d} {err} {name}"
        )
    lines.append(dash)
    calls = sum(v[1] for v in events.values())
    errors = sum(v[2] for v in events.values())
    err = f"{errors:9d}" if errors else " " * 9
    avg = total_ns // 1000 // calls if calls else 0
    lines.append(f"100.00 {total_ns / 1e9:11.6f} {avg:11d} {calls:9d} {err} total")
    return "\n".join(lines) + "\n"


def parse_filter(values: list[str]) -> tuple[set[str] | None, bool]:
    """``-e trace=open,read`` -> (names, negated); None: every call.

    Raises:
        ValueError: an unknown system call name.
    """
    names: set[str] | None = None
    negate = False
    for v in values:
        key, eq, rest = v.partition("=")
        if not eq:
            key, rest = "trace", v
        if key != "trace":
            raise ValueError(f"invalid -e option '{key}'")
        negate = rest.startswith("!")
        wanted = {n for n in rest.lstrip("!").split(",") if n}
        for n in wanted:
            if n not in SYSCALL_BY_NAME and n != "all":
                raise ValueError(f"invalid system call '{n}'")
        names = None if "all" in wanted else wanted
    return names, negate


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("strace", argv, "cfqTe:o:s:", USAGE, permute=False)
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("strace", "must have PROG [ARGS]")
    try:
        limit = int(opts.value("s", "32") or 32)
        names, negate = parse_filter(opts.values("e"))
    except ValueError as err:
        problem = str(err) if "invalid" in str(err) else f"invalid -s argument: '{opts.value('s')}'"
        await kio.warn("strace", problem)
        return 1
    out_fd = 2
    if opts.has("o"):
        try:
            out_fd = await sys.open(opts.value("o") or "", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        except Error as err:
            await kio.warn("strace", f"Can't fopen '{opts.value('o')}': {err.message}")
            return 1
    command = opts.operands
    path, status = await resolve("strace", command[0], (await sys.environ()).get("PATH"))
    if path is None:
        return status
    follow = opts.has("f")
    try:
        child = await sys.spawn(
            path, command, None, None, None, SpawnAttr(trace=2 if follow else 1)
        )
    except Error as err:
        await kio.warn("strace", f"exec: {err.message}")
        return 126
    fmt = Formatter(limit, opts.has("T"))
    counting = opts.has("c")
    counts: dict[str, list[int]] = {}
    out = kio.Output(out_fd)
    while True:
        events = await sys.trace_read(256)
        if not events:
            break
        for ev in events:
            if names is not None and (ev.name in names) == negate:
                continue
            if counting:
                entry = counts.setdefault(ev.name, [0, 0, 0])
                entry[0] += ev.end_ns - ev.start_ns
                entry[1] += 1
                entry[2] += 1 if ev.errno else 0
                continue
            prefix = f"[pid {ev.pid:>5}] " if ev.pid != child else ""
            await out.line(prefix + fmt.line(ev))
        await out.flush()
    wstatus = await wait_for(child)
    if counting:
        await kio.write_all(out_fd if opts.has("o") else 2, summary(counts))
    elif not opts.has("q"):
        if WIFSIGNALED(wstatus):
            await out.line(f"+++ killed by {signal_name(WTERMSIG(wstatus))} +++")
        else:
            await out.line(f"+++ exited with {exit_code(wstatus)} +++")
    await out.flush()
    return exit_code(wstatus)
