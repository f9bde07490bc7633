"""Running an awk program: variables and arrays, the current record and its fields,
expressions and statements (a tree-walking evaluator), user functions, and the main
loop over ARGV's files and assignments. Builtin functions are in :mod:`.calls`."""

from __future__ import annotations

import math
import re
from typing import Any

from userland.libk.awk import values as v
from userland.libk.awk.awkio import Reader, Streams
from userland.libk.awk.builtins import AwkError, regex
from userland.libk.awk.parser import Node, Program

Value = Any


class Next(Exception):
    """``next``."""


class NextFile(Exception):
    """``nextfile``."""


class Exit(Exception):
    """``exit [status]``."""

    def __init__(self, status: int | None) -> None:
        self.status = status


class Return(Exception):
    """``return [value]``."""

    def __init__(self, value: Value) -> None:
        self.value = value


class Break(Exception):
    """``break``."""


class Continue(Exception):
    """``continue``."""


class Unbound:
    """A function parameter given an unset variable: it becomes an array (in the caller
    too) if the function uses it as one."""

    __slots__ = ("scope", "name")

    def __init__(self, scope: dict[str, Value], name: str) -> None:
        self.scope, self.name = scope, name


def split_fields(record: str, fs: str, paragraph: bool = False) -> list[str]:
    """A record's fields as FS says: ``" "`` runs of blanks, one other character itself,
    ``""`` every character, anything longer an ERE."""
    if fs == " ":
        return re.split(r"[ \t\n]+", record.strip(" \t\n")) if record.strip(" \t\n") else []
    if record == "":
        return []
    if fs == "":
        return list(record)
    if len(fs) == 1 and fs != "\\":
        if paragraph and fs != "\n":
            return re.split("[" + re.escape(fs) + "\n]", record)
        return record.split(fs)
    rx = regex(fs)
    if paragraph:
        rx = re.compile("(?:" + rx.pattern + ")|\n")
    return rx.split(record) if rx.groups == 0 else _split_groups(rx, record)


def _split_groups(rx: re.Pattern[str], record: str) -> list[str]:
    out, pos = [], 0
    for m in rx.finditer(record):
        if m.end() == m.start():
            continue
        out.append(record[pos : m.start()])
        pos = m.end()
    out.append(record[pos:])
    return out


class Interpreter:
    """One run of a program."""

    def __init__(self, prog: Program, streams: Streams, one_line: bool) -> None:
        from userland.libk.awk.calls import Calls

        self.prog = prog
        self.streams = streams
        self.one_line = one_line
        self.globals: dict[str, Value] = {
            "FS": " ", "OFS": " ", "ORS": "\n", "RS": "\n", "NR": 0.0, "NF": 0.0,
            "FNR": 0.0, "SUBSEP": "\x1c", "CONVFMT": "%.6g", "OFMT": "%.6g", "RSTART": 0.0,
            "RLENGTH": -1.0, "FILENAME": "", "ENVIRON": {}, "ARGV": {}, "ARGC": 0.0,
        }  # fmt: skip
        self.frame: dict[str, Value] | None = None
        self.fields: list[str] = [""]
        self.calls = Calls(self)
        self.ranges: list[bool] = [False] * len(prog.rules)
        self.main: Reader | None = None
        self.arg_index = 1
        self.used_file = False
        self.depth = 0

    # --- variables -----------------------------------------------------------------

    def scope(self, name: str) -> dict[str, Value]:
        if self.frame is not None and name in self.frame:
            return self.frame
        return self.globals

    def get(self, name: str) -> Value:
        scope = self.scope(name)
        value = scope.get(name)
        if isinstance(value, Unbound):
            return None
        if isinstance(value, dict):
            raise AwkError(f"attempt to use array `{name}' in a scalar context")
        return value

    def set(self, name: str, value: Value) -> None:
        scope = self.scope(name)
        if isinstance(scope.get(name), dict):
            raise AwkError(f"attempt to use array `{name}' in a scalar context")
        scope[name] = value
        if name == "NF":
            self.set_nf(int(v.to_num(value)))

    def array(self, name: str) -> dict[str, Value]:
        scope = self.scope(name)
        value = scope.get(name)
        if isinstance(value, dict):
            return value
        if isinstance(value, Unbound):
            arr: dict[str, Value] = {}
            value.scope[value.name] = arr
            scope[name] = arr
            return arr
        if value is None:
            arr = {}
            scope[name] = arr
            return arr
        raise AwkError(f"attempt to use scalar `{name}' as an array")

    def subscript(self, values: list[Value]) -> str:
        conv = self.globals["CONVFMT"]
        if len(values) == 1:
            return v.to_str(values[0], conv)
        return str(self.globals["SUBSEP"]).join(v.to_str(x, conv) for x in values)

    # --- the record ----------------------------------------------------------------

    def set_record(self, text: str) -> None:
        """``$0 = text``: split into fields by FS."""
        parts = split_fields(text, v.to_str(self.globals["FS"]), self.globals["RS"] == "")
        self.fields = [v.strnum(text), *[v.strnum(p) for p in parts]]
        self.globals["NF"] = float(len(parts))

    def get_field(self, i: int) -> Value:
        if i < 0:
            raise AwkError(f"attempt to access field {i}")
        return self.fields[i] if i < len(self.fields) else ""

    def set_field(self, i: int, value: Value) -> None:
        if i == 0:
            self.set_record(v.to_str(value, self.globals["CONVFMT"]))
            return
        if i < 0:
            raise AwkError(f"attempt to access field {i}")
        while len(self.fields) <= i:
            self.fields.append("")
        conv = self.globals["CONVFMT"]
        self.fields[i] = value if isinstance(value, str) else v.to_str(value, conv)
        self.globals["NF"] = float(max(len(self.fields) - 1, 0))
        self.rebuild()

    def set_nf(self, n: int) -> None:
        if n < 0:
            raise AwkError("NF set to negative value")
        self.fields = self.fields[: n + 1] + [""] * (n + 1 - len(self.fields))
        self.globals["NF"] = float(n)
        self.rebuild()

    def rebuild(self) -> None:
        ofs = v.to_str(self.globals["OFS"], self.globals["CONVFMT"])
        self.fields[0] = ofs.join(v.to_str(f) for f in self.fields[1:])

    # --- statements ----------------------------------------------------------------

    async def execute(self, node: Node) -> None:
        kind = node[0]
        if kind == "block":
            for stmt in node[1]:
                await self.execute(stmt)
        elif kind == "expr":
            await self.eval(node[1])
        elif kind in ("print", "printf"):
            await self.calls.print_(node)
        elif kind == "if":
            if v.to_bool(await self.eval(node[1])):
                await self.execute(node[2])
            elif node[3] is not None:
                await self.execute(node[3])
        elif kind == "while":
            while v.to_bool(await self.eval(node[1])):
                try:
                    await self.execute(node[2])
                except Break:
                    break
                except Continue:
                    continue
        elif kind == "do":
            while True:
                try:
                    await self.execute(node[1])
                except Break:
                    break
                except Continue:
                    pass
                if not v.to_bool(await self.eval(node[2])):
                    break
        elif kind == "for":
            await self.for_loop(node)
        elif kind == "forin":
            arr = self.array(node[2])
            for key in list(arr):
                if key not in arr:
                    continue
                self.set(node[1], v.strnum(key))
                try:
                    await self.execute(node[3])
                except Break:
                    break
                except Continue:
                    continue
        elif kind == "next":
            raise Next
        elif kind == "nextfile":
            raise NextFile
        elif kind == "exit":
            status = None if node[1] is None else int(v.to_num(await self.eval(node[1])))
            raise Exit(status)
        elif kind == "return":
            raise Return(None if node[1] is None else await self.eval(node[1]))
        elif kind == "break":
            raise Break
        elif kind == "continue":
            raise Continue
        elif kind == "delete":
            arr = self.array(node[1])
            if node[2] is None:
                arr.clear()
            else:
                arr.pop(self.subscript([await self.eval(e) for e in node[2]]), None)
        else:
            raise AwkError(f"unknown statement {kind}")

    async def for_loop(self, node: Node) -> None:
        _, init, cond, incr, body = node
        if init is not None:
            await self.execute(init)
        while cond is None or v.to_bool(await self.eval(cond)):
            try:
                await self.execute(body)
            except Break:
                break
            except Continue:
                pass
            if incr is not None:
                await self.execute(incr)

    # --- expressions ---------------------------------------------------------------

    async def eval(self, node: Node) -> Value:  # noqa: C901 - one dispatch on kind
        kind = node[0]
        if kind == "num" or kind == "str":
            return node[1]
        if kind == "var":
            return self.get(node[1])
        if kind == "field":
            return self.get_field(int(v.to_num(await self.eval(node[1]))))
        if kind == "index":
            key = self.subscript([await self.eval(e) for e in node[2]])
            arr = self.array(node[1])
            if key not in arr:
                arr[key] = None
            return arr[key]
        if kind == "group":
            return await self.eval(node[1])
        if kind == "concat":
            conv = self.globals["CONVFMT"]
            return v.to_str(await self.eval(node[1]), conv) + v.to_str(
                await self.eval(node[2]), conv
            )
        if kind == "bin":
            return self.arith(node[1], await self.eval(node[2]), await self.eval(node[3]))
        if kind == "cmp":
            a = await self.eval(node[2])
            b = await self.eval(node[3])
            return 1.0 if v.compare(a, b, node[1], self.globals["CONVFMT"]) else 0.0
        if kind == "assign":
            return await self.assign(node)
        if kind == "regex":
            return 1.0 if regex(node[1]).search(v.to_str(self.fields[0])) else 0.0
        if kind == "match":
            subject = v.to_str(await self.eval(node[2]), self.globals["CONVFMT"])
            rx = await self.regex_of(node[3])
            return 1.0 if (rx.search(subject) is not None) != node[1] else 0.0
        if kind == "and":
            ok = v.to_bool(await self.eval(node[1])) and v.to_bool(await self.eval(node[2]))
            return 1.0 if ok else 0.0
        if kind == "or":
            ok = v.to_bool(await self.eval(node[1])) or v.to_bool(await self.eval(node[2]))
            return 1.0 if ok else 0.0
        if kind == "not":
            return 0.0 if v.to_bool(await self.eval(node[1])) else 1.0
        if kind == "neg":
            return -v.to_num(await self.eval(node[1]))
        if kind == "pos":
            return v.to_num(await self.eval(node[1]))
        if kind == "cond":
            branch = node[2] if v.to_bool(await self.eval(node[1])) else node[3]
            return await self.eval(branch)
        if kind == "in":
            key = self.subscript([await self.eval(e) for e in node[1]])
            return 1.0 if key in self.array(node[2]) else 0.0
        if kind in ("preinc", "postinc"):
            old = v.to_num(await self.eval(node[1]))
            await self.store(node[1], old + node[2])
            return old + node[2] if kind == "preinc" else old
        if kind == "call":
            return await self.call(node[1], node[2])
        if kind == "builtin":
            return await self.calls.builtin(node[1], node[2])
        if kind == "getline":
            return await self.calls.getline(node)
        if kind == "grouplist":
            raise AwkError("syntax error")
        raise AwkError(f"unknown expression {kind}")

    async def regex_of(self, node: Node) -> re.Pattern[str]:
        """A regex operand: a literal ``/re/`` or any expression's string value."""
        if node[0] == "regex":
            return regex(node[1])
        return regex(v.to_str(await self.eval(node), self.globals["CONVFMT"]))

    def arith(self, op: str, a: Value, b: Value) -> float:
        x, y = v.to_num(a), v.to_num(b)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            if y == 0:
                raise AwkError("division by zero attempted")
            return x / y
        if op == "%":
            if y == 0:
                raise AwkError("division by zero attempted in `%'")
            return math.fmod(x, y)
        try:
            return math.pow(x, y)
        except (OverflowError, ValueError):
            return math.inf if x > 0 else math.nan

    async def assign(self, node: Node) -> Value:
        _, op, target, expr = node
        value = await self.eval(expr)
        if op != "=":
            old = await self.eval(target)
            value = self.arith(op[0], old, value)
        elif isinstance(value, v.StrNum):
            pass
        await self.store(target, value)
        return value

    async def store(self, target: Node, value: Value) -> None:
        """Assign to a variable, field or array element."""
        kind = target[0]
        if kind == "var":
            self.set(target[1], value)
        elif kind == "field":
            self.set_field(int(v.to_num(await self.eval(target[1]))), value)
        elif kind == "index":
            key = self.subscript([await self.eval(e) for e in target[2]])
            self.array(target[1])[key] = value
        elif kind == "group":
            await self.store(target[1], value)
        else:
            raise AwkError("assignment to a value that is not a variable")

    async def call(self, name: str, args: list[Node]) -> Value:
        fn = self.prog.functions.get(name)
        if fn is None:
            raise AwkError(f"function `{name}' not defined")
        params, body = fn
        if len(args) > len(params):
            raise AwkError(f"function `{name}' called with more arguments than declared")
        frame: dict[str, Value] = {}
        for p, a in zip(params, args, strict=False):
            if a[0] == "var":
                scope = self.scope(a[1])
                current = scope.get(a[1])
                if isinstance(current, dict):
                    frame[p] = current
                    continue
                if current is None:
                    frame[p] = Unbound(scope, a[1])
                    continue
                if isinstance(current, Unbound):
                    frame[p] = current
                    continue
            frame[p] = await self.eval(a)
        for p in params[len(args) :]:
            frame[p] = None
        self.depth += 1
        if self.depth > 1000:
            raise AwkError("function call nesting too deep")
        saved, self.frame = self.frame, frame
        try:
            await self.execute(body)
        except Return as r:
            return r.value
        finally:
            self.frame = saved
            self.depth -= 1
        return None
