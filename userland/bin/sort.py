"""``sort [-bcCdfghiMnrsu] [-k KEY]… [-t SEP] [-o FILE] [file…]``: sort lines.

GNU semantics in the C locale: bytes compare as unsigned; keys (``-k F[.C][OPTS][,F[.C]
[OPTS]]``) are compared in order, each with its own options or, if it has none, the
global ones; lines whose keys are all equal are compared whole, byte by byte, as a
last resort (unless ``-s`` or ``-u``). Without ``-t`` a field is the blanks before it
plus the non-blanks that follow.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from kernel.abi import O_CREAT, O_TRUNC, O_WRONLY, Error
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: sort [OPTION]... [FILE]...
Write sorted concatenation of all FILE(s) to standard output.

With no FILE, or when FILE is -, read standard input.

Ordering options:
  -b, --ignore-leading-blanks  ignore leading blanks
  -d, --dictionary-order      consider only blanks and alphanumeric characters
  -f, --ignore-case           fold lower case to upper case characters
  -g, --general-numeric-sort  compare according to general numerical value
  -i, --ignore-nonprinting    consider only printable characters
  -M, --month-sort            compare (unknown) < 'JAN' < ... < 'DEC'
  -h, --human-numeric-sort    compare human readable numbers (e.g., 2K 1G)
  -n, --numeric-sort          compare according to string numerical value
  -r, --reverse               reverse the result of comparisons

Other options:
  -c, --check               check for sorted input; do not sort
  -C, --check=quiet         like -c, but do not report first bad line
  -k, --key=KEYDEF          sort via a key; KEYDEF gives location and type
  -o, --output=FILE         write result to FILE instead of standard output
  -s, --stable              stabilize sort by disabling last-resort comparison
  -t, --field-separator=SEP  use SEP instead of non-blank to blank transition
  -u, --unique              output only the first of an equal run
      --help                display this help and exit

KEYDEF is F[.C][OPTS][,F[.C][OPTS]] for start and stop position, where F is a
field number and C a character position in the field; both are origin 1, and
the stop position defaults to the line's end.  OPTS is one or more
single-letter ordering options [bdfgiMhnr], which override global ordering
options for that key.  If no key is given, use the entire line as the key.
"""

LONG = {
    "ignore-leading-blanks": "b",
    "dictionary-order": "d",
    "ignore-case": "f",
    "general-numeric-sort": "g",
    "ignore-nonprinting": "i",
    "month-sort": "M",
    "human-numeric-sort": "h",
    "numeric-sort": "n",
    "reverse": "r",
    "check": "c",
    "key": "k",
    "output": "o",
    "stable": "s",
    "field-separator": "t",
    "unique": "u",
}

ORDERING = "bdfgiMhnr"
BLANKS = b" \t"
_NUM = re.compile(rb"[ \t]*(-?)(\d*)(?:\.(\d*))?")
_HUMAN = re.compile(rb"[ \t]*(-?)(\d*(?:\.\d*)?)([KMGTPEZYRQ]?)")
_FLOAT = re.compile(rb"[ \t]*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[ \t]*[-+]?(inf|nan)", re.I)
MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTHS = {m.encode(): i for i, m in enumerate(MONTH_NAMES, 1)}
_DICT_DROP = bytes(b for b in range(256) if not (chr(b).isalnum() and b < 128 or b in BLANKS))
_NONPRINT = bytes(b for b in range(256) if not 32 <= b < 127)
_UPPER = bytes.maketrans(bytes(range(97, 123)), bytes(range(65, 91)))


class KeyError_(Exception):
    """A bad key definition; the message is GNU's."""


@dataclass
class Key:
    """One -k key: start field/char, end field/char (0: end of line/field), options."""

    sfield: int
    schar: int
    efield: int
    echar: int
    opts: str
    sblank: bool = False
    eblank: bool = False


def parse_key(spec: str, global_opts: str) -> Key:
    """Parse ``F[.C][OPTS][,F[.C][OPTS]]``.

    Raises:
        KeyError_: GNU's message.
    """
    m = re.fullmatch(r"(\d*)(?:\.(\d*))?([a-zA-Z]*)(?:,(\d*)(?:\.(\d*))?([a-zA-Z]*))?", spec)
    if not m or not m.group(1):
        bad = re.match(r"\d*", spec)
        if bad and not bad.group(0):
            raise KeyError_(f"invalid number at field start: invalid count at start of '{spec}'")
        raise KeyError_(f"stray character in field spec: invalid field specification '{spec}'")
    sf, sc, sopts, ef, ec, eopts = m.groups()
    if int(sf) == 0:
        raise KeyError_(f"field number is zero: invalid field specification '{spec}'")
    if sc is not None and (not sc or int(sc) == 0):
        raise KeyError_(f"character offset is zero: invalid field specification '{spec}'")
    if ef is not None and (not ef or int(ef) == 0):
        raise KeyError_(f"field number is zero: invalid field specification '{spec}'")
    for o in sopts + (eopts or ""):
        if o not in ORDERING:
            raise KeyError_(f"stray character in field spec: invalid field specification '{spec}'")
    own = "".join(dict.fromkeys(sopts + (eopts or "")))
    key = Key(int(sf), int(sc or 1), int(ef or 0), int(ec or 0), own or global_opts)
    key.sblank = "b" in sopts or (not own and "b" in global_opts)
    key.eblank = "b" in (eopts or "") or (not own and "b" in global_opts)
    return key


def _field_starts(line: bytes, sep: bytes | None) -> list[int]:
    """Where each field begins (and, as a last entry, where the line ends)."""
    if sep is not None:
        starts = [0]
        pos = line.find(sep)
        while pos >= 0:
            starts.append(pos + 1)
            pos = line.find(sep, pos + 1)
        return starts
    starts = [0]
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in BLANKS:
            i += 1
        while i < n and line[i] not in BLANKS:
            i += 1
        if i >= n:
            return starts
        starts.append(i)


def extract(line: bytes, key: Key, sep: bytes | None) -> bytes:
    """The bytes of ``line`` that ``key`` covers."""
    starts = _field_starts(line, sep)
    n = len(line)

    def field_end(f: int) -> int:
        if f < len(starts):
            return starts[f] - (len(sep) if sep is not None else 0)
        return n

    if key.sfield > len(starts):
        return b""
    begin = starts[key.sfield - 1]
    if key.sblank:
        while begin < n and line[begin] in BLANKS:
            begin += 1
    begin = min(begin + key.schar - 1, n)
    if key.efield == 0:
        end = n
    elif key.echar == 0:
        end = field_end(key.efield)
    else:
        if key.efield > len(starts):
            end = n
        else:
            e = starts[key.efield - 1]
            if key.eblank:
                while e < n and line[e] in BLANKS:
                    e += 1
            end = min(e + key.echar, field_end(key.efield))
    return line[begin:end] if end > begin else b""


def transform(field: bytes, opts: str) -> object:
    """A comparable value of a key's bytes under its ordering options."""
    if "n" in opts:
        m = _NUM.match(field)
        assert m is not None
        digits = (m.group(2) or b"0") + b"." + (m.group(3) or b"0")
        value = Decimal(digits.decode())
        return -value if m.group(1) else value
    if "h" in opts:
        m = _HUMAN.match(field)
        assert m is not None
        value = Decimal((m.group(2) or b"0").decode().rstrip(".") or "0")
        mag = " KMGTPEZYRQ".index(m.group(3).decode() or " ") if value else 0
        sign = -1 if m.group(1) and value else 1
        return (sign, sign * mag, sign * value)
    if "g" in opts:
        m = _FLOAT.match(field)
        if not m:
            return (0, 0.0)
        value = float(m.group(0))
        return (1, 0.0) if value != value else (2, value)
    if "M" in opts:
        return MONTHS.get(field.lstrip(BLANKS)[:3].upper(), 0)
    if "d" in opts:
        field = field.translate(None, _DICT_DROP)
    if "i" in opts:
        field = field.translate(None, _NONPRINT)
    if "f" in opts:
        field = field.translate(_UPPER)
    return field


def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("sort", argv, "bcCdfghiMnrsuk:o:t:zS:T:", USAGE, status=2, long=LONG)
    if isinstance(opts, int):
        return opts
    global_opts = "".join(dict.fromkeys(f for f, _ in opts.seen if f in ORDERING))
    kinds = [k for k in "ghMn" if k in global_opts]
    if len(kinds) > 1:
        await kio.warn("sort", f"options '-{''.join(sorted(kinds))}' are incompatible")
        return 2
    sep_s = opts.value("t")
    if sep_s is not None and len(sep_s.encode()) != 1:
        if sep_s == "\\0":
            sep_s = "\0"
        else:
            await kio.warn("sort", f"multi-character tab '{sep_s}'" if sep_s else "empty tab")
            return 2
    sep = sep_s.encode() if sep_s is not None else None
    try:
        keys = [parse_key(v, global_opts) for v in opts.values("k")]
    except KeyError_ as err:
        await kio.warn("sort", str(err))
        return 2
    reverse = "r" in global_opts
    unique = opts.has("u")
    last_resort = not (opts.has("s") or unique)
    whole = not keys
    if whole:
        keys = [Key(1, 1, 0, 0, global_opts, sblank="b" in global_opts)]
    lines: list[bytes] = []
    names = opts.operands or ["-"]
    checking = opts.has("c") or opts.has("C")
    if checking and len(names) > 1:
        return await text.usage_error("sort", f"extra operand '{names[1]}' not allowed with -c", 2)
    for name in names:
        data = await text.read_input("sort", name) if name == "-" else None
        if name != "-":
            fd = None
            try:
                fd = await sys.open(name, 0)
                data = await kio.read_all(fd)
            except Error as err:
                await kio.warn("sort", f"cannot read: {name}: {err.message}")
                return 2
            finally:
                if fd is not None:
                    await sys.close(fd)
        if data is None:
            return 2
        lines.extend(text.split_lines(data))
        await sys.checkpoint()

    plain = whole and not global_opts.replace("r", "")
    if plain:
        values: list[tuple[object, ...]] | None = None
    else:
        values = [tuple(transform(extract(ln, k, sep), k.opts) for k in keys) for ln in lines]
        await sys.checkpoint()

    def compare(i: int, j: int) -> int:
        a, b = lines[i], lines[j]
        if values is not None:
            for k, va, vb in zip(keys, values[i], values[j], strict=True):
                c = _cmp(va, vb)
                if c:
                    return -c if "r" in k.opts else c
            if not last_resort:
                return 0
        c = _cmp(a, b)
        return -c if reverse else c

    if checking:
        for i in range(1, len(lines)):
            c = compare(i - 1, i)
            if c > 0 or (unique and c == 0):
                if opts.has("c"):
                    await kio.warn(
                        "sort", f"{names[0]}:{i + 1}: disorder: {lines[i].decode('latin-1')}"
                    )
                return 1
        return 0

    if plain:
        order = sorted(range(len(lines)), key=lines.__getitem__, reverse=reverse)
    else:
        order = sorted(range(len(lines)), key=functools.cmp_to_key(compare))
    await sys.checkpoint()
    out_lines = []
    prev = -1
    for i in order:
        if unique and prev >= 0 and compare(prev, i) == 0:
            continue
        out_lines.append(lines[i])
        prev = i
    data = b"".join(ln + b"\n" for ln in out_lines)
    out_fd = 1
    output = opts.value("o")
    try:
        if output is not None and output != "-":
            try:
                out_fd = await sys.open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
            except Error as err:
                await kio.warn("sort", f"open failed: {output}: {err.message}")
                return 2
        await kio.write_all(out_fd, data)
    except Error as err:
        await kio.warn("sort", f"write failed: {output or 'standard output'}: {err.message}")
        return 2
    finally:
        if out_fd != 1:
            await sys.close(out_fd)
    return 0
