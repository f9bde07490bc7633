"""``touch [-acm] [-d DATE | -t STAMP | -r FILE] FILE…``: change file timestamps.

A missing file is created empty (unless ``-c``). File times are virtual nanoseconds
since boot, so a date given with ``-d``/``-t`` is turned into that scale; a date before
the machine booted cannot be stored and is refused by the kernel (EINVAL).
"""

from __future__ import annotations

import datetime
import re

from kernel.abi import ENOENT, O_CREAT, O_WRONLY, UTIME_NOW, UTIME_OMIT, Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.fmt import boot_epoch_ns

USAGE = """Usage: touch [OPTION]... FILE...
Update the access and modification times of each FILE to the current time.

A FILE argument that does not exist is created empty, unless -c is supplied.

  -a                     change only the access time
  -c, --no-create        do not create any files
  -d, --date=STRING      parse STRING and use it instead of current time
  -m                     change only the modification time
  -r, --reference=FILE   use this file's times instead of current time
  -t STAMP               use [[CC]YY]MMDDhhmm[.ss] instead of current time
      --help             display this help and exit

DATE may be '@SECONDS', 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM[:SS[.frac]]' (UTC),
'now', 'yesterday' or 'tomorrow'.
"""

LONG = {"no-create": "c", "date": "d", "reference": "r"}

_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"(?:\s*(?:Z|UTC|\+0000|\+00:00))?"
)


def parse_date(text: str, now_ns: int) -> int:
    """A ``-d`` date as ns since 1970 (UTC).

    Raises:
        ValueError: not a date this touch understands.
    """
    s = text.strip()
    day = 86_400 * 10**9
    if s in ("", "now"):
        return now_ns
    if s == "yesterday":
        return now_ns - day
    if s == "tomorrow":
        return now_ns + day
    if s.startswith("@"):
        secs, _, frac = s[1:].partition(".")
        if not secs.lstrip("-").isdigit() or (frac and not frac.isdigit()):
            raise ValueError(text)
        return int(secs) * 10**9 + int((frac + "000000000")[:9] or 0)
    m = _DATE.fullmatch(s)
    if not m:
        raise ValueError(text)
    y, mo, d, hh, mm, ss, frac = m.groups()
    when = datetime.datetime(
        int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=datetime.UTC
    )
    return int(when.timestamp()) * 10**9 + int(((frac or "") + "000000000")[:9])


def parse_stamp(text: str, now_ns: int) -> int:
    """A ``-t [[CC]YY]MMDDhhmm[.ss]`` stamp as ns since 1970 (UTC).

    Raises:
        ValueError: malformed.
    """
    body, dot, secs = text.partition(".")
    if (
        not body.isdigit()
        or len(body) not in (8, 10, 12)
        or (dot and not re.fullmatch(r"\d\d", secs))
    ):
        raise ValueError(text)
    year = datetime.datetime.fromtimestamp(now_ns // 10**9, tz=datetime.UTC).year
    if len(body) == 12:
        year, body = int(body[:4]), body[4:]
    elif len(body) == 10:
        yy = int(body[:2])
        year, body = (1900 + yy if yy >= 69 else 2000 + yy), body[2:]
    mo, d, hh, mm = (int(body[i : i + 2]) for i in range(0, 8, 2))
    when = datetime.datetime(year, mo, d, hh, mm, int(secs or 0), tzinfo=datetime.UTC)
    return int(when.timestamp()) * 10**9


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("touch", argv, "acd:fmr:t:", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("touch", "missing file operand")
    atime = mtime = UTIME_NOW
    epoch = await boot_epoch_ns()
    now = await sys.clock_gettime(0)
    ref = opts.value("r")
    try:
        if ref is not None:
            try:
                st = await sys.stat(ref)
            except Error as err:
                await kio.warn("touch", f"failed to get attributes of '{ref}': {err.message}")
                return 1
            atime, mtime = st.st_atime_ns, st.st_mtime_ns
        elif opts.value("d") is not None:
            atime = mtime = parse_date(opts.value("d") or "", now) - epoch
        elif opts.value("t") is not None:
            atime = mtime = parse_stamp(opts.value("t") or "", now) - epoch
    except ValueError:
        flag = "d" if opts.value("d") is not None else "t"
        await kio.warn("touch", f"invalid date format '{opts.value(flag)}'")
        return 1
    only_a, only_m = opts.has("a"), opts.has("m")
    if only_a and not only_m:
        mtime = UTIME_OMIT
    if only_m and not only_a:
        atime = UTIME_OMIT
    status = 0
    for path in opts.operands:
        try:
            await sys.utimens(path, atime, mtime)
            continue
        except Error as err:
            if err.errno != ENOENT or opts.has("c"):
                if err.errno != ENOENT:
                    await kio.warn("touch", f"setting times of '{path}': {err.message}")
                    status = 1
                continue
        try:
            fd = await sys.open(path, O_WRONLY | O_CREAT, 0o666)
            await sys.close(fd)
            if (atime, mtime) != (UTIME_NOW, UTIME_NOW):
                await sys.utimens(path, atime, mtime)
        except Error as err:
            await kio.warn("touch", f"cannot touch '{path}': {err.message}")
            status = 1
    return status
