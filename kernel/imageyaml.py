"""Machine images: composing YAML and reading typed values out of its nodes.

This module owns the YAML side of the loader. :func:`compose` turns text into a tree of
nodes that keep their line and column, never constructing an object (nesting deeper than
MAX_DEPTH is refused first, because libyaml's composer recurses). :class:`NodeReader`
checks each node's shape and reads it as a scalar, a size or duration with units, an
absolute path, a mapping of known keys or a list. Every failure is an :class:`ImageError`
at the node's ``file:line:col``; what the keys mean is :mod:`kernel.imageschema`'s business.
"""

from __future__ import annotations

import difflib
import re
from fractions import Fraction
from typing import NoReturn

import yaml

from kernel.imagetypes import (
    MAX_DEPTH,
    GiB,
    ImageError,
    KiB,
    MiB,
    TiB,
    format_duration,
    format_size,
)

_SCALARS = yaml.constructor.SafeConstructor()  # builds ints, floats, bools, bytes from nodes

_TAG = "tag:yaml.org,2002:"
_SCALAR_KINDS = frozenset({"str", "int", "float", "bool", "null", "timestamp", "binary"})
GOT = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "null": "nothing",
    "timestamp": "a date",
    "binary": "binary data",
    "map": "a mapping",
    "seq": "a list",
}
_NOUN = {"int": "an integer", "float": "a number", "bool": "a boolean", "binary": "base64 data"}
# Unit names are matched case-insensitively; K, M, G and T are binary like KiB, MiB, ...
_SIZE_UNITS = {"": 1, "b": 1, "k": KiB, "kib": KiB, "m": MiB, "mib": MiB, "g": GiB, "gib": GiB}
_SIZE_UNITS |= {"t": TiB, "tib": TiB}
_TIME_UNITS = {"": 1, "ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9}
_QUANTITY = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([^\d\s.]*)\s*")


def compose(text: str, path: str, loader: type) -> yaml.Node | None:
    """Compose ``text`` into a node tree, turning every YAML failure into an ImageError.

    Args:
        text: The YAML source.
        path: The name to report in errors.
        loader: The PyYAML loader class (libyaml's ``CSafeLoader`` or ``SafeLoader``).

    Returns:
        The root node, or None if ``text`` holds no document.

    Raises:
        ImageError: The text is not valid YAML, or is nested more than MAX_DEPTH deep.
    """
    try:
        if sum(map(text.count, "[{-?:")) > MAX_DEPTH:
            _check_depth(text, path, loader)
        return yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = e.problem or e.context or "invalid YAML"
        if e.context and e.problem:
            message = f"{e.context}, {e.problem}"
        raise ImageError(path, line, col, message) from None
    except yaml.reader.ReaderError as e:
        pos = e.position
        if loader is not yaml.SafeLoader:  # libyaml reports a byte offset
            pos = len(text.encode("utf-8", "surrogatepass")[:pos].decode("utf-8", "ignore"))
        line, col = _line_col(text, pos)
        raise ImageError(path, line, col, f"unacceptable character {e.character!r}") from None
    except UnicodeEncodeError as e:
        line, col = _line_col(text, e.start)
        raise ImageError(path, line, col, "text is not valid Unicode (lone surrogate)") from None
    except (yaml.YAMLError, RecursionError, ValueError) as e:
        raise ImageError(path, 1, 1, f"invalid YAML: {e}") from None


def _check_depth(text: str, path: str, loader: type) -> None:
    """Refuse nesting deeper than MAX_DEPTH, scanning events (which does not recurse)."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                message = f"nested too deeply (more than {MAX_DEPTH} levels)"
                raise ImageError(path, mark.line + 1, mark.column + 1, message)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _line_col(text: str, pos: int) -> tuple[int, int]:
    pos = max(0, min(pos, len(text)))
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


def one_of(options: tuple[str, ...] | list[str]) -> str:
    """Quote ``options`` for a message: ``'a'``, ``'a' or 'b'``, ``'a', 'b' or 'c'``."""
    quoted = [f"'{o}'" for o in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def suggest(word: str, options: list[str] | tuple[str, ...], noun: str) -> str:
    """A hint to append to an error: the closest option, else ``; {noun}: <all options>``."""
    close = difflib.get_close_matches(word, options, n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; {noun}: {', '.join(options)}" if options else ""


_Fields = dict[str, tuple[yaml.Node, yaml.Node]]


class NodeReader:
    """Reads typed values out of composed nodes, failing at the first mistake.

    The schema (:class:`kernel.imageschema.SchemaParser`) builds on these primitives.

    Args:
        path: The file name that errors are reported against.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def error(self, node: yaml.Node, message: str) -> ImageError:
        """The mistake ``message`` at ``node``'s place in the file."""
        mark = node.start_mark
        return ImageError(self.path, mark.line + 1, mark.column + 1, message)

    def fail(self, node: yaml.Node, message: str) -> NoReturn:
        raise self.error(node, message)

    def kind(self, node: yaml.Node, ctx: str) -> str:
        """The node's type ("str", "int", ..., "map", "seq"); any other tag is an error."""
        tag = node.tag or ""
        if tag.startswith(_TAG):
            kind = tag[len(_TAG) :]
            if isinstance(node, yaml.ScalarNode):
                if kind in _SCALAR_KINDS:
                    return kind
            elif kind == ("map" if isinstance(node, yaml.MappingNode) else "seq"):
                return kind
        shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
        self.fail(node, f"{ctx}: unsupported tag '{shown}' (only plain YAML values are allowed)")

    def expect(self, node: yaml.Node, ctx: str, *kinds: str, want: str = "") -> str:
        kind = self.kind(node, ctx)
        if kind not in kinds:
            want = want or " or ".join(GOT[k] for k in kinds)
            hint = ""
            if kinds == ("str",) and isinstance(node, yaml.ScalarNode) and kind != "null":
                hint = f" (put it in quotes if you mean the text '{node.value}')"
            self.fail(node, f"{ctx}: expected {want}, got {GOT[kind]}{hint}")
        return kind

    def construct(self, node: yaml.Node, ctx: str, kind: str) -> object:
        build = {
            "int": _SCALARS.construct_yaml_int,
            "float": _SCALARS.construct_yaml_float,
            "bool": _SCALARS.construct_yaml_bool,
            "binary": _SCALARS.construct_yaml_binary,
        }[kind]
        try:
            return build(node)
        except (ValueError, KeyError, TypeError, yaml.YAMLError):
            self.fail(node, f"{ctx}: '{node.value}' is not {_NOUN[kind]}")

    def string(self, node: yaml.Node, ctx: str, pattern: re.Pattern[str] | None = None) -> str:
        self.expect(node, ctx, "str")
        value: str = node.value
        if "\0" in value:
            self.fail(node, f"{ctx}: must not contain a NUL character")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(
                node, f"{ctx}: '{value}' is not a valid name (it must match {pattern.pattern})"
            )
        return value

    def integer(self, node: yaml.Node, ctx: str, lo: int, hi: int) -> int:
        self.expect(node, ctx, "int")
        value = self.construct(node, ctx, "int")
        assert isinstance(value, int)
        if not lo <= value <= hi:
            self.fail(node, f"{ctx}: must be between {lo} and {hi}, got {value}")
        return value

    def boolean(self, node: yaml.Node, ctx: str) -> bool:
        self.expect(node, ctx, "bool", want="true or false")
        return bool(self.construct(node, ctx, "bool"))

    def choice(self, node: yaml.Node, ctx: str, options: tuple[str, ...]) -> str:
        value = self.string(node, ctx)
        if value not in options:
            allowed = one_of(options) if len(options) == 1 else f"one of {one_of(options)}"
            self.fail(node, f"{ctx}: must be {allowed}, got '{value}'")
        return value

    def quantity(self, node: yaml.Node, ctx: str, what: str) -> int:
        """An integer, or a string like "64MiB" (a size) or "10ms" (a duration)."""
        example, units = ("64MiB", _SIZE_UNITS) if what == "size" else ("10ms", _TIME_UNITS)
        want = f"a {what} like '{example}' or an integer"
        if self.expect(node, ctx, "int", "str", want=want) == "int":
            value = self.construct(node, ctx, "int")
            assert isinstance(value, int)
            return value
        text: str = node.value
        m = _QUANTITY.fullmatch(text)
        if not m:
            self.fail(
                node, f"{ctx}: bad {what} '{text}': expected a number and a unit, like '{example}'"
            )
        number, unit = m.groups()
        if unit.lower() not in units:
            if what == "size" and unit[-1:] in "Bb" and unit[:-1].lower() in units:
                hint = f"did you mean '{number}{unit[:-1].upper()}iB'?"
            elif what == "size":
                hint = "use B, KiB, MiB, GiB or TiB (K, M, G and T mean the same)"
            else:
                hint = "use ns, us, ms or s"
            self.fail(node, f"{ctx}: bad {what} '{text}': unknown unit '{unit}'; {hint}")
        value = Fraction(number) * units[unit.lower()]
        if value.denominator != 1:
            noun = "bytes" if what == "size" else "nanoseconds"
            self.fail(node, f"{ctx}: '{text}' is not a whole number of {noun}")
        return int(value)

    def size(self, node: yaml.Node, ctx: str, lo: int, hi: int) -> int:
        value = self.quantity(node, ctx, "size")
        if not lo <= value <= hi:
            self.fail(
                node,
                f"{ctx}: must be between {format_size(lo)} and {format_size(hi)}, "
                f"got {format_size(value)}",
            )
        return value

    def duration(self, node: yaml.Node, ctx: str, lo: int, hi: int) -> int:
        value = self.quantity(node, ctx, "duration")
        if not lo <= value <= hi:
            self.fail(
                node,
                f"{ctx}: must be between {format_duration(lo)} and {format_duration(hi)}, "
                f"got {format_duration(value)}",
            )
        return value

    def abs_path(self, node: yaml.Node, ctx: str, text: str | None = None) -> str:
        """An absolute path, normalised: no '.', no '//', no trailing slash; '..' refused."""
        if text is None:
            text = self.string(node, ctx)
        if not text.startswith("/"):
            self.fail(node, f"{ctx}: '{text}' is not an absolute path (it must start with '/')")
        parts = [p for p in text.split("/") if p not in ("", ".")]
        if ".." in parts:
            self.fail(node, f"{ctx}: '{text}' must not contain '..'")
        if "\0" in text or len(text) > 4096 or any(len(p) > 255 for p in parts):
            self.fail(node, f"{ctx}: '{text}' is not a valid path")
        return "/" + "/".join(parts)

    def key(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            got = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
            self.fail(node, f"keys in {where} must be plain words, got {got}")
        if node.tag == _TAG + "merge":
            self.fail(node, f"merge keys ('<<') are not supported in {where}")
        self.kind(node, where)
        return str(node.value)

    def fields(self, node: yaml.Node, where: str, allowed: tuple[str, ...]) -> _Fields:
        """The keys of a mapping, each checked for duplicates and against ``allowed``.

        A key whose value is null is left out, so ``key:`` with nothing means the default.
        """
        prefix = "" if where == "machine" else f"{where}."
        self.expect(node, where, "map")
        seen: _Fields = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node, where)
            if key in lines:
                self.fail(key_node, f"duplicate key '{key}' (first defined at line {lines[key]})")
            if key not in allowed:
                hint = suggest(key, allowed, "expected one of")
                self.fail(key_node, f"unknown key '{key}' in {where}{hint}")
            lines[key] = key_node.start_mark.line + 1
            if self.kind(value_node, prefix + key) != "null":
                seen[key] = (key_node, value_node)
        return seen

    def items(self, node: yaml.Node | None, ctx: str) -> list[yaml.Node]:
        """The items of a list (none if ``node`` is None)."""
        if node is None:
            return []
        self.expect(node, ctx, "seq")
        return list(node.value)

    def words(self, node: yaml.Node, ctx: str) -> list[tuple[str, yaml.Node]]:
        """A list of strings, or one comma-separated string."""
        if self.expect(node, ctx, "seq", "str", want="a list or a comma-separated string") == "str":
            return [(w.strip(), node) for w in node.value.split(",") if w.strip()]
        return [(self.string(n, f"{ctx}[{i}]").strip(), n) for i, n in enumerate(node.value)]
