"""``xargs [-0rt] [-n N] [-I STR] [-d DELIM] [command [arg…]]``: build and run command
lines from standard input.

Input items are separated by blanks and newlines, with ``'…'``, ``"…"`` and backslash
quoting (``-0``: by NUL bytes, ``-d``: by one byte, no quoting). Each command is started
with ``spawn`` (found through ``$PATH``; ``/bin/echo`` by default) and waited for.
Exit status as GNU: 123 some command failed, 124 one exited 255, 125 one was killed,
126 cannot run, 127 not found, 1 other errors.
"""

from __future__ import annotations

from kernel.abi import EACCES, ENOENT, ENOEXEC, WIFSIGNALED, WTERMSIG, Error
from userland.libk import io as kio
from userland.libk import proc as kproc
from userland.libk import sys, text

USAGE = """Usage: xargs [OPTION]... COMMAND [INITIAL-ARGS]...
Run COMMAND with arguments INITIAL-ARGS and more arguments read from input.

  -0, --null                   items are separated by a null, not whitespace;
                                 disables quote and backslash processing
  -d, --delimiter=CHARACTER    items in input stream are separated by CHARACTER,
                                 not by whitespace
  -I R                         same as --replace=R
  -i, --replace[=R]            replace R in INITIAL-ARGS with names read
                                 from standard input, split at newlines;
                                 if R is unspecified, assume {}
  -L, --max-lines=MAX-LINES    use at most MAX-LINES non-blank input lines per
                                 command line
  -n, --max-args=MAX-ARGS      use at most MAX-ARGS arguments per command line
  -r, --no-run-if-empty        if there are no arguments, then do not run COMMAND
  -t, --verbose                print commands before executing them
      --help                   display this help and exit
"""

LONG = {
    "null": "0",
    "delimiter": "d",
    "max-lines": "L",
    "max-args": "n",
    "no-run-if-empty": "r",
    "verbose": "t",
}


class QuoteError(Exception):
    """An unmatched quote in the input; the message is GNU's."""


def split_items(data: bytes) -> list[str]:
    """Blank-separated items with shell-like quoting, as xargs reads them."""
    items: list[str] = []
    cur: list[str] = []
    have = False
    s = data.decode(errors="surrogateescape")
    i = 0
    while i < len(s):
        c = s[i]
        i += 1
        if c in " \t\n":
            if have:
                items.append("".join(cur))
                cur, have = [], False
        elif c in "'\"":
            end = s.find(c, i)
            nl = s.find("\n", i)
            if end < 0 or (0 <= nl < end):
                kind = "single" if c == "'" else "double"
                raise QuoteError(
                    f"unmatched {kind} quote; by default quotes are special to xargs "
                    "unless you use the -0 option"
                )
            cur.append(s[i:end])
            have = True
            i = end + 1
        elif c == "\\" and i < len(s):
            cur.append(s[i])
            have = True
            i += 1
        else:
            cur.append(c)
            have = True
    if have:
        items.append("".join(cur))
    return items


async def find_command(name: str) -> str | None:
    """The path of a command, looked up in $PATH unless it has a slash."""
    if "/" in name:
        return name
    env = await sys.environ()
    for d in (env.get("PATH") or "/bin:/usr/bin").split(":"):
        path = f"{d or '.'}/{name}"
        try:
            await sys.stat(path)
            return path
        except Error:
            continue
    return None


async def run(cmd: list[str], trace: bool) -> int:
    """Run one command line and wait; return xargs's verdict (0 ok, or an exit code)."""
    if trace:
        await kio.write_all(2, " ".join(cmd) + "\n")
    path = await find_command(cmd[0])
    if path is None:
        await kio.warn("xargs", f"{cmd[0]}: No such file or directory")
        return 127
    try:
        pid = await sys.spawn(path, cmd, None, None, None, None)
    except Error as err:
        await kio.warn("xargs", f"{cmd[0]}: {err.message}")
        return 127 if err.errno == ENOENT else 126 if err.errno in (EACCES, ENOEXEC) else 1
    while True:
        got, status = await sys.wait4(pid, 0)
        if got == pid:
            break
    if WIFSIGNALED(status):
        await kio.warn("xargs", f"{cmd[0]}: terminated by signal {WTERMSIG(status)}")
        return 125
    code = kproc.exit_code(status)
    if code == 255:
        await kio.warn("xargs", f"{cmd[0]}: exited with status 255; aborting")
        return 124
    return 123 if code else 0


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("xargs", argv, "0d:I:iL:n:rtx", USAGE, long=LONG, permute=False)
    if isinstance(opts, int):
        return opts
    command = opts.operands or ["echo"]
    replace = opts.value("I") or ("{}" if opts.has("i") else None)
    max_args = None
    for flag in "nL":
        value = opts.value(flag)
        if value is not None:
            if not value.isdigit():
                return await text.usage_error(
                    "xargs", f'invalid number "{value}" for -{flag} option'
                )
            if int(value) < 1:
                return await text.usage_error(
                    "xargs", f"value {value} for -{flag} option should be >= 1"
                )
            max_args = int(value)
    data = await kio.read_all(0)
    if opts.has("0") or opts.has("d"):
        d = opts.value("d") or ""
        escapes = {"\\n": b"\n", "\\t": b"\t", "\\0": b"\0"}
        sep = b"\0" if opts.has("0") else escapes.get(d, d.encode()[:1] or b"\n")
        items = [x.decode(errors="surrogateescape") for x in data.split(sep)]
        if items and items[-1] == "":
            items.pop()
    elif replace is not None or opts.has("L"):
        items = []
        for line in text.split_lines(data):
            stripped = line.lstrip(b" \t")
            if replace is not None:
                items.append(stripped.decode(errors="surrogateescape"))
            elif stripped.strip():
                try:
                    items.extend(split_items(stripped))
                except QuoteError as err:
                    await kio.warn("xargs", str(err))
                    return 1
    else:
        try:
            items = split_items(data)
        except QuoteError as err:
            await kio.warn("xargs", str(err))
            return 1
    trace = opts.has("t")
    worst = 0
    if replace is not None:
        for item in items:
            verdict = await run([a.replace(replace, item) for a in command], trace)
            if verdict in (124, 125, 126, 127):
                return verdict
            worst = worst or verdict
        return worst
    if not items:
        if opts.has("r"):
            return 0
        return await run(command, trace)
    step = max_args or len(items)
    for start in range(0, len(items), step):
        verdict = await run(command + items[start : start + step], trace)
        if verdict in (124, 125, 126, 127):
            return verdict
        worst = worst or verdict
    return worst
