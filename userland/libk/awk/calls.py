"""awk's builtin functions, ``print``/``printf`` with their redirections, the forms of
``getline``, and reading the main input (ARGV's files and assignments in turn)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kernel.abi import CLOCK_REALTIME, O_RDONLY, Error
from userland.libk import sys
from userland.libk.awk import values as v
from userland.libk.awk.awkio import Reader
from userland.libk.awk.builtins import AwkError, sprintf, substitute, substr
from userland.libk.awk.parser import Node

if TYPE_CHECKING:
    from userland.libk.awk.interp import Interpreter

_ARITY = {
    "length": (0, 1), "substr": (2, 3), "index": (2, 2), "split": (2, 3), "sub": (2, 3),
    "gsub": (2, 3), "match": (2, 2), "sprintf": (1, 999), "tolower": (1, 1),
    "toupper": (1, 1), "sin": (1, 1), "cos": (1, 1), "atan2": (2, 2), "exp": (1, 1),
    "log": (1, 1), "sqrt": (1, 1), "int": (1, 1), "rand": (0, 0), "srand": (0, 1),
    "system": (1, 1), "close": (1, 1), "fflush": (0, 1),
}  # fmt: skip


class Calls:
    """The builtins and I/O of one interpreter."""

    def __init__(self, it: Interpreter) -> None:
        self.it = it
        self.seed = 0.0
        self.state = 0

    # --- print ---------------------------------------------------------------------

    async def print_(self, node: Node) -> None:
        it = self.it
        kind, args, redirect, target = node
        g = it.globals
        if kind == "print":
            if not args:
                data = v.to_str(it.fields[0])
            else:
                ofmt = g["OFMT"]
                parts = []
                for a in args:
                    value = await it.eval(a)
                    parts.append(value if isinstance(value, str) else v.to_str(value, ofmt))
                data = v.to_str(g["OFS"]).join(parts)
            data += v.to_str(g["ORS"])
        else:
            values = [await it.eval(a) for a in args]
            data = sprintf(v.to_str(values[0], g["CONVFMT"]), values[1:], g["CONVFMT"])
        out = it.streams.stdout
        if redirect is not None:
            name = v.to_str(await it.eval(target), g["CONVFMT"])
            try:
                out = await it.streams.output(redirect, name)
            except Error as err:
                if redirect == "|":
                    raise AwkError(f"can't open pipe `{name}' ({err.message})") from None
                raise AwkError(f"can't redirect to `{name}' ({err.message})") from None
        await out.write(data.encode("latin-1", "replace"))

    # --- getline and the main input -------------------------------------------------

    async def next_main(self) -> str | None:
        """The next record of the main input (ARGV's operands, or standard input)."""
        it = self.it
        g = it.globals
        while True:
            if it.main is not None:
                rec = await it.main.record(v.to_str(g["RS"]))
                if rec is not None:
                    g["NR"] = v.to_num(g["NR"]) + 1
                    g["FNR"] = v.to_num(g["FNR"]) + 1
                    return rec
                if it.main.fd > 0:
                    await sys.close(it.main.fd)
                it.main = None
            if not await self.open_next():
                return None

    async def open_next(self) -> bool:
        it = self.it
        g = it.globals
        argv = g["ARGV"]
        while it.arg_index < int(v.to_num(g["ARGC"])):
            arg = v.to_str(argv.get(str(it.arg_index)))
            it.arg_index += 1
            if arg == "":
                continue
            eq = arg.find("=")
            if eq > 0 and arg[:eq].replace("_", "a").isalnum() and not arg[0].isdigit():
                it.set(arg[:eq], v.strnum(process_escapes(arg[eq + 1 :])))
                continue
            it.used_file = True
            if arg == "-" or arg == "/dev/stdin":
                fd = 0
            else:
                try:
                    fd = await sys.open(arg, O_RDONLY)
                    st = await sys.fstat(fd)
                    if st.st_mode & 0o170000 == 0o040000:
                        await sys.close(fd)
                        await it.warn(
                            f"warning: command line argument `{arg}' is a directory: skipped"
                        )
                        continue
                except Error as err:
                    message = f"cannot open file `{arg}' for reading: {err.message}"
                    raise AwkError(message, plain=True) from None
            it.main = Reader(fd)
            g["FILENAME"] = arg
            g["FNR"] = 0.0
            return True
        if not it.used_file:
            it.used_file = True
            it.main = Reader(0)
            g["FNR"] = 0.0
            return True
        return False

    async def getline(self, node: Node) -> float:
        it = self.it
        g = it.globals
        _, kind, target, source = node
        if kind == "simple":
            rec = await self.next_main()
            if rec is None:
                return 0.0
        else:
            name = v.to_str(await it.eval(source), g["CONVFMT"])
            try:
                reader = await it.streams.open_reader("|" if kind == "cmd" else "<", name)
            except Error:
                return -1.0
            rec = await reader.record(v.to_str(g["RS"]))
            if rec is None:
                return 0.0
            if kind == "cmd":
                g["NR"] = v.to_num(g["NR"]) + 1
        if target is None:
            it.set_record(rec)
        else:
            await it.store(target, v.strnum(rec))
        return 1.0

    # --- builtins ------------------------------------------------------------------

    async def builtin(self, name: str, args: list[Node]) -> Any:  # noqa: C901
        it = self.it
        low, high = _ARITY[name]
        if not low <= len(args) <= high:
            raise AwkError(f"{name}: called with {len(args)} arguments")
        conv = it.globals["CONVFMT"]

        async def s(i: int) -> str:
            return v.to_str(await it.eval(args[i]), conv)

        async def n(i: int) -> float:
            return v.to_num(await it.eval(args[i]))

        if name == "length":
            if not args:
                return float(len(v.to_str(it.fields[0])))
            a = args[0]
            if a[0] == "var":
                value = it.scope(a[1]).get(a[1])
                if isinstance(value, dict):
                    return float(len(value))
            return float(len(await s(0)))
        if name == "substr":
            return substr(await s(0), await n(1), await n(2) if len(args) == 3 else None)
        if name == "index":
            return float((await s(0)).find(await s(1)) + 1)
        if name == "split":
            return await self.split(args)
        if name in ("sub", "gsub"):
            rx = await it.regex_of(args[0])
            repl = await s(1)
            target = args[2] if len(args) == 3 else ("field", ("num", 0.0))
            if target[0] not in ("var", "field", "index", "group"):
                raise AwkError(f"{name} third parameter is not a changeable object")
            new, count = substitute(rx, repl, v.to_str(await it.eval(target), conv), name == "gsub")
            if count:
                await it.store(target, new)
            return float(count)
        if name == "match":
            subject = await s(0)
            m = (await it.regex_of(args[1])).search(subject)
            start, length = (m.start() + 1, m.end() - m.start()) if m else (0, -1)
            it.globals["RSTART"], it.globals["RLENGTH"] = float(start), float(length)
            return float(start)
        if name == "sprintf":
            values = [await it.eval(a) for a in args]
            return sprintf(v.to_str(values[0], conv), values[1:], conv)
        if name == "tolower":
            return (await s(0)).lower()
        if name == "toupper":
            return (await s(0)).upper()
        if name == "int":
            x = await n(0)
            return float(math.trunc(x)) if math.isfinite(x) else x
        if name in ("sin", "cos", "exp", "log", "sqrt"):
            x = await n(0)
            try:
                return getattr(math, name)(x)
            except (ValueError, OverflowError):
                if name == "exp":
                    return math.inf
                if name == "log" and x == 0:
                    return -math.inf
                return -math.nan  # C's log and sqrt of a negative number
        if name == "atan2":
            return math.atan2(await n(0), await n(1))
        if name == "rand":
            self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
            return self.state / 0x80000000
        if name == "srand":
            previous = self.seed
            self.seed = (
                await n(0)
                if args
                else float(int(_seconds(await sys.clock_gettime(CLOCK_REALTIME))))
            )
            self.state = int(self.seed) & 0x7FFFFFFF
            return previous
        if name == "system":
            return await it.streams.system(await s(0))
        if name == "close":
            return await it.streams.close(await s(0))
        if name == "fflush":
            await it.streams.flush_all()
            return 0.0
        raise AwkError(f"function `{name}' not defined")

    async def split(self, args: list[Node]) -> float:
        from userland.libk.awk.interp import split_fields

        it = self.it
        conv = it.globals["CONVFMT"]
        text = v.to_str(await it.eval(args[0]), conv)
        if args[1][0] != "var":
            raise AwkError("split: second argument is not an array")
        if len(args) == 3:
            sep = args[2]
            fs = sep[1] if sep[0] == "regex" else v.to_str(await it.eval(sep), conv)
            if sep[0] == "regex" and len(fs) == 1 and fs != " ":
                fs = "[" + fs + "]" if fs not in "\\^" else "\\" + fs
        else:
            fs = v.to_str(it.globals["FS"])
        parts = split_fields(text, fs)
        arr = it.array(args[1][1])
        arr.clear()
        for i, p in enumerate(parts, 1):
            arr[str(i)] = v.strnum(p)
        return float(len(parts))


def _seconds(now: object) -> float:
    if isinstance(now, (int, float)):
        return float(now)
    if isinstance(now, tuple):
        return float(now[0])
    return float(getattr(now, "tv_sec", 0))


def process_escapes(text: str) -> str:
    """Escape sequences in ``-v`` and command-line assignments, as in string literals."""
    from userland.libk.awk.lexer import ESCAPES

    if "\\" not in text:
        return text
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            e = text[i + 1]
            out.append(ESCAPES.get(e, "\\" + e))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)
