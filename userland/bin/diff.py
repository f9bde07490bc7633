"""``diff [-u | -U N] [-q] FILE1 FILE2``: compare files line by line.

The edit script is a shortest one, found with Myers' O(ND) algorithm (preferring
deletions before insertions where both are shortest, as GNU diff does). Output is
GNU's normal format by default (``2c2``, ``< old``, ``---``, ``> new``) or unified
with ``-u``; the unified headers carry the files' modification times from the
machine's clock. Exit status: 0 same, 1 different, 2 trouble.
"""

from __future__ import annotations

from kernel.abi import S_ISDIR, Error
from userland.libk import fmt, sys, text
from userland.libk import io as kio

USAGE = """Usage: diff [OPTION]... FILES
Compare FILES line by line.

  -q, --brief                   report only when files differ
  -s, --report-identical-files  report when two files are the same
  -u, -U NUM, --unified[=NUM]   output NUM (default 3) lines of unified context
  -a, --text                    treat all files as text
      --help                    display this help and exit

FILES are 'FILE1 FILE2'.  If a FILE is '-', read standard input.
Exit status is 0 if inputs are the same, 1 if different, 2 if trouble.
"""

LONG = {"brief": "q", "report-identical-files": "s", "unified": "u", "text": "a"}

NO_NEWLINE = b"\\ No newline at end of file\n"


def shortest_edit(a: list[bytes], b: list[bytes]) -> list[tuple[int, int, int, int]]:
    """Change blocks ``(i1, i2, j1, j2)``: a[i1:i2] is replaced by b[j1:j2]."""
    n, m = len(a), len(b)
    # Strip the common prefix and suffix first: most diffs are small.
    lo = 0
    while lo < n and lo < m and a[lo] == b[lo]:
        lo += 1
    hi_a, hi_b = n, m
    while hi_a > lo and hi_b > lo and a[hi_a - 1] == b[hi_b - 1]:
        hi_a -= 1
        hi_b -= 1
    sa, sb = a[lo:hi_a], b[lo:hi_b]
    n, m = len(sa), len(sb)
    if n == 0 and m == 0:
        return []
    v = {1: 0}
    trace = []
    found = False
    for d in range(n + m + 1):
        trace.append(dict(v))
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[k - 1] < v[k + 1]):
                x = v[k + 1]
            else:
                x = v[k - 1] + 1
            y = x - k
            while x < n and y < m and sa[x] == sb[y]:
                x += 1
                y += 1
            v[k] = x
            if x >= n and y >= m:
                found = True
                break
        if found:
            break
    # Walk back through the trace, marking the lines the snakes keep.
    keep_a = [False] * n
    keep_b = [False] * m
    x, y = n, m
    for d in range(len(trace) - 1, 0, -1):
        vd = trace[d]
        k = x - y
        prev_k = k + 1 if k == -d or (k != d and vd[k - 1] < vd[k + 1]) else k - 1
        prev_x = vd[prev_k]
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x -= 1
            y -= 1
            keep_a[x] = keep_b[y] = True
        x, y = prev_x, prev_y
    while x > 0 and y > 0:
        x -= 1
        y -= 1
        keep_a[x] = keep_b[y] = True
    blocks = []
    i = j = 0
    while i < n or j < m:
        if i < n and j < m and keep_a[i] and keep_b[j]:
            i += 1
            j += 1
            continue
        i1, j1 = i, j
        while i < n and not keep_a[i]:
            i += 1
        while j < m and not keep_b[j]:
            j += 1
        blocks.append((i1 + lo, i + lo, j1 + lo, j + lo))
    return blocks


def _range(start: int, end: int) -> str:
    """Normal format's 1-based ``a,b`` (or ``a``) for lines [start, end)."""
    return f"{start + 1},{end}" if end - start > 1 else str(end if end > start else start)


def _line(prefix: bytes, line: bytes) -> bytes:
    return prefix + line if line.endswith(b"\n") else prefix + line + b"\n" + NO_NEWLINE


def normal(a: list[bytes], b: list[bytes], blocks: list[tuple[int, int, int, int]]) -> bytes:
    """GNU's default output format."""
    out = []
    for i1, i2, j1, j2 in blocks:
        op = "c" if i2 > i1 and j2 > j1 else "d" if i2 > i1 else "a"
        out.append(f"{_range(i1, i2)}{op}{_range(j1, j2)}\n".encode())
        out.extend(_line(b"< ", line) for line in a[i1:i2])
        if op == "c":
            out.append(b"---\n")
        out.extend(_line(b"> ", line) for line in b[j1:j2])
    return b"".join(out)


def _uni_range(start: int, count: int) -> str:
    if count == 1:
        return str(start + 1)
    return f"{start + 1 if count else start},{count}"


def unified(
    a: list[bytes], b: list[bytes], blocks: list[tuple[int, int, int, int]], context: int
) -> bytes:
    """Unified hunks (without the two header lines)."""
    out = []
    groups: list[list[tuple[int, int, int, int]]] = []
    for blk in blocks:
        if groups and blk[0] - groups[-1][-1][1] <= 2 * context:
            groups[-1].append(blk)
        else:
            groups.append([blk])
    for group in groups:
        i_start = max(group[0][0] - context, 0)
        j_start = max(group[0][2] - context, 0)
        i_end = min(group[-1][1] + context, len(a))
        j_end = min(group[-1][3] + context, len(b))
        out.append(
            f"@@ -{_uni_range(i_start, i_end - i_start)} "
            f"+{_uni_range(j_start, j_end - j_start)} @@\n".encode()
        )
        i = i_start
        for i1, i2, j1, j2 in group:
            out.extend(_line(b" ", line) for line in a[i:i1])
            out.extend(_line(b"-", line) for line in a[i1:i2])
            out.extend(_line(b"+", line) for line in b[j1:j2])
            i = i2
        out.extend(_line(b" ", line) for line in a[i:i_end])
    return b"".join(out)


async def header_date(fd: int) -> str:
    """A file's modification time as GNU diff -u shows it."""
    st = await sys.fstat(fd)
    ns = await fmt.boot_epoch_ns() + st.st_mtime_ns
    when = fmt.wall_time(ns - ns % 1_000_000_000)
    frac = ns % 1_000_000_000
    return f"{when:%Y-%m-%d %H:%M:%S}.{frac:09d} +0000"


async def main(argv: list[str]) -> int:
    """Entry point."""
    argv = [("-U3" if a in ("--unified",) else a) for a in argv]
    opts = await text.options("diff", argv, "qsuU:ai", USAGE, status=2, long=LONG)
    if isinstance(opts, int):
        return opts
    if len(opts.operands) < 2:
        where = f"after '{opts.operands[-1]}'" if opts.operands else "after 'diff'"
        await kio.warn(
            "diff", f"missing operand {where}\ndiff: Try 'diff --help' for more information."
        )
        return 2
    if len(opts.operands) > 2:
        await kio.warn(
            "diff",
            f"extra operand '{opts.operands[2]}'\ndiff: Try 'diff --help' for more information.",
        )
        return 2
    context = None
    for flag, value in opts.seen:
        if flag == "u":
            context = 3
        elif flag == "U":
            if not (value or "").isdigit():
                return await text.usage_error("diff", f"invalid context length '{value}'", 2)
            context = int(value or "3")
    names = opts.operands
    datas: list[bytes] = []
    dates: list[str] = []
    for name in names:
        fd = 0 if name == "-" else None
        try:
            if fd is None:
                fd = await sys.open(name, 0)
                if S_ISDIR((await sys.fstat(fd)).st_mode):
                    await sys.close(fd)
                    await kio.warn("diff", f"{name}: Is a directory")
                    return 2
            datas.append(await kio.read_all(fd))
            dates.append(await header_date(fd))
        except Error as err:
            await kio.warn("diff", f"{name}: {err.message}")
            return 2
        finally:
            if fd:
                await sys.close(fd)
    if datas[0] == datas[1]:
        if opts.has("s"):
            await kio.write_all(1, f"Files {names[0]} and {names[1]} are identical\n")
        return 0
    binary = not opts.has("a") and any(b"\0" in d[:65536] for d in datas)
    if opts.has("q") or binary:
        what = "Binary files" if binary and not opts.has("q") else "Files"
        await kio.write_all(1, f"{what} {names[0]} and {names[1]} differ\n")
        return 1
    a, b = (d.splitlines(keepends=True) for d in datas)
    blocks = shortest_edit(a, b)
    if context is None:
        out = normal(a, b, blocks)
    else:
        out = f"--- {names[0]}\t{dates[0]}\n+++ {names[1]}\t{dates[1]}\n".encode() + unified(
            a, b, blocks, context
        )
    try:
        await kio.write_all(1, out)
    except Error as err:
        await kio.warn("diff", f"write error: {err.message}")
        return 2
    return 1
