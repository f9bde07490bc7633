"""``tr [-cdst] SET1 [SET2]``: translate, squeeze and delete bytes of standard input.

Sets know ranges (``a-z``), classes (``[:upper:]``…), equivalence classes (``[=c=]``),
repeats in SET2 (``[x*]``, ``[x*5]``) and backslash escapes (``\\n``, ``\\NNN``). SET2
is padded with its last byte to SET1's length; ``-c`` complements SET1 in byte order.
"""

from __future__ import annotations

import re

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: tr [OPTION]... STRING1 [STRING2]
Translate, squeeze, and/or delete characters from standard input,
writing to standard output.  STRING1 and STRING2 specify arrays of
characters ARRAY1 and ARRAY2 that control the action.

  -c, -C, --complement    use the complement of ARRAY1
  -d, --delete            delete characters in ARRAY1, do not translate
  -s, --squeeze-repeats   replace each sequence of a repeated character
                            that is listed in the last specified ARRAY,
                            with a single occurrence of that character
  -t, --truncate-set1     first truncate ARRAY1 to length of ARRAY2
      --help              display this help and exit

ARRAYs are specified as strings of characters.  Most represent themselves.
Interpreted sequences are:

  \\NNN            character with octal value NNN (1 to 3 octal digits)
  \\\\              backslash
  \\a  \\b  \\f  \\n  \\r  \\t  \\v   the usual escapes
  CHAR1-CHAR2     all characters from CHAR1 to CHAR2 in ascending order
  [CHAR*]         in ARRAY2, copies of CHAR until length of ARRAY1
  [CHAR*REPEAT]   REPEAT copies of CHAR, REPEAT octal if starting with 0
  [:alnum:] [:alpha:] [:blank:] [:cntrl:] [:digit:] [:graph:] [:lower:]
  [:print:] [:punct:] [:space:] [:upper:] [:xdigit:]
                  all characters of that class
  [=CHAR=]        all characters which are equivalent to CHAR
"""

LONG = {"complement": "c", "delete": "d", "squeeze-repeats": "s", "truncate-set1": "t"}
ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}


class SetError(Exception):
    """A malformed set; the message is GNU's."""


def _atoms(spec: str) -> list[tuple[str, object]]:
    """Split a set into ('byte', int), ('class', name), ('repeat', (byte, n|None))."""
    data = spec.encode("latin-1", "replace")
    out: list[tuple[str, object]] = []
    i = 0

    def one(j: int) -> tuple[int, int]:
        if data[j] == 92 and j + 1 < len(data):
            c = chr(data[j + 1])
            if c in "01234567":
                k = j + 1
                while k < len(data) and k < j + 4 and chr(data[k]) in "01234567":
                    k += 1
                return int(data[j + 1 : k], 8) & 0xFF, k
            return ESCAPES.get(c, data[j + 1]), j + 2
        return data[j], j + 1

    while i < len(data):
        if data[i] == 91:  # [
            m = re.match(rb"\[:(\w+):\]", data[i:])
            if m:
                name = m.group(1).decode()
                if name not in text.CLASSES:
                    raise SetError(f"invalid character class '{name}'")
                out.append(("class", name))
                i += m.end()
                continue
            m = re.match(rb"\[=(.)=\]", data[i:], re.S)
            if m:
                out.append(("byte", m.group(1)[0]))
                i += m.end()
                continue
            if i + 1 < len(data):
                b, j = one(i + 1)
                m = re.match(rb"\*(\d*)\]", data[j:])
                if m:
                    digits = m.group(1).decode()
                    count = int(digits, 8 if digits.startswith("0") else 10) if digits else None
                    out.append(("repeat", (b, count or None)))
                    i = j + m.end()
                    continue
        b, j = one(i)
        if j < len(data) - 1 and data[j] == 45:  # a-z
            hi, k = one(j + 1)
            if hi < b:
                raise SetError(
                    f"range-endpoints of '{chr(b)}-{chr(hi)}' are in reverse collating "
                    "sequence order"
                )
            out.extend(("byte", x) for x in range(b, hi + 1))
            i = k
            continue
        out.append(("byte", b))
        i = j
    return out


def expand(spec: str, *, target_len: int | None = None) -> bytes:
    """The bytes of a set; ``[c*]`` fills up to ``target_len`` (SET2 only)."""
    atoms = _atoms(spec)
    fixed = sum(
        len(text.CLASSES[str(v)]) if k == "class" else (v[1] or 0) if k == "repeat" else 1
        for k, v in atoms
        if not (k == "repeat" and v[1] is None)  # type: ignore[index]
    )
    out = bytearray()
    for kind, value in atoms:
        if kind == "byte":
            out.append(value)  # type: ignore[arg-type]
        elif kind == "class":
            out += text.CLASSES[str(value)]
        else:
            b, n = value  # type: ignore[misc]
            if n is None:
                if target_len is None:
                    raise SetError("the [c*] repeat construct may not appear in string1")
                n = max(target_len - fixed, 0)
            out += bytes([b]) * n
    return bytes(out)


def squeezer(chars: bytes) -> re.Pattern:
    """A pattern that finds runs of one repeated byte from ``chars``."""
    cls = b"".join(re.escape(bytes([c])) for c in sorted(set(chars)))
    return re.compile(b"([" + cls + b"])\\1+")


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("tr", argv, "cCdst", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    comp = opts.has("c") or opts.has("C")
    delete, squeeze, truncate = opts.has("d"), opts.has("s"), opts.has("t")
    ops = opts.operands
    translating = not delete and len(ops) >= 2
    need = 2 if (delete and squeeze) or (not delete and not squeeze) else 1
    max_ops = 2 if not delete or squeeze else 1
    if not ops:
        return await text.usage_error("tr", "missing operand")
    if len(ops) < need:
        hint = (
            "Two strings must be given when translating."
            if not delete
            else "Two strings must be given when both deleting and squeezing repeats."
        )
        return await text.usage_error("tr", f"missing operand after '{ops[-1]}'\n{hint}")
    if len(ops) > max_ops:
        return await text.usage_error("tr", f"extra operand '{ops[max_ops]}'")
    try:
        set1 = expand(ops[0])
        if comp:
            set1 = bytes(b for b in range(256) if b not in set(set1))
        set2 = expand(ops[1], target_len=len(set1)) if len(ops) > 1 else b""
    except SetError as err:
        await kio.warn("tr", str(err))
        return 1
    table = None
    delete_bytes = b""
    squeeze_chars = b""
    if delete:
        delete_bytes = set1
        if squeeze:
            squeeze_chars = set2
    elif translating:
        if truncate:
            set1 = set1[: len(set2)]
        if not set2:
            await kio.warn("tr", "when not truncating set1, string2 must be non-empty")
            return 1
        set2 = set2 + set2[-1:] * (len(set1) - len(set2))
        mapping = bytearray(range(256))
        for a, b in zip(set1, set2, strict=False):
            mapping[a] = b
        table = bytes(mapping)
        if squeeze:
            squeeze_chars = set2
    elif squeeze:
        squeeze_chars = set1
    squeeze_re = squeezer(squeeze_chars) if squeeze_chars else None
    squeeze_set = set(squeeze_chars)
    last = -1
    try:
        async for chunk in text.chunks(0):
            data = chunk.translate(table, delete_bytes)
            if squeeze_re is not None and data:
                data = squeeze_re.sub(rb"\1", data)
                if data[0] == last and last in squeeze_set:
                    data = data.lstrip(bytes([last]))
                if data:
                    last = data[-1]
            await kio.write_all(1, data)
            await sys.checkpoint()
    except Error as err:
        await kio.warn("tr", f"write error: {err.message}")
        return 1
    return 0
