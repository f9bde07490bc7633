"""``date [-u] [-d DATE | -r FILE] [-R | -I[FMT] | +FORMAT]``: print the date and time.

The machine's clock is CLOCK_REALTIME (the image's epoch plus virtual time since boot)
and its only time zone is UTC. ``+FORMAT`` takes GNU date's conversions, including the
``-``, ``_``, ``0``, ``^`` and ``#`` flags and field widths (``%-d``, ``%_5H``, ``%:z``).
"""

from __future__ import annotations

import datetime
import re

from kernel.abi import CLOCK_REALTIME, Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.fmt import boot_epoch_ns

USAGE = """Usage: date [OPTION]... [+FORMAT]
Display the current time in the given FORMAT.

  -d, --date=STRING          display time described by STRING, not 'now'
                             (@SECONDS, YYYY-MM-DD [HH:MM[:SS]], now, today,
                             yesterday, tomorrow, N days ago...)
  -I[FMT], --iso-8601[=FMT]  output date/time in ISO 8601 format.
                             FMT='date' for date only (the default),
                             'hours', 'minutes', 'seconds', or 'ns'
  -R, --rfc-email            output date and time in RFC 5322 format.
                             Example: Mon, 14 Aug 2006 02:34:56 +0000
  -r, --reference=FILE       display the last modification time of FILE
  -u, --utc, --universal     print Coordinated Universal Time (UTC)
      --help     display this help and exit

FORMAT controls the output, as in strftime(3): %a %A %b %B %c %C %d %D %e %F
%g %G %h %H %I %j %k %l %m %M %n %N %p %P %r %R %s %S %t %T %u %U %V %w %W %x
%X %y %Y %z %:z %::z %Z %%.  After %, a flag may follow: - (no padding),
_ (pad with spaces), 0 (pad with zeros), ^ (upper case), # (opposite case),
then a field width.

The default format is '%a %b %e %H:%M:%S %Z %Y'.
"""

DEFAULT_FORMAT = "%a %b %e %H:%M:%S %Z %Y"
ISO_FORMATS = {
    "date": "%Y-%m-%d",
    "hours": "%Y-%m-%dT%H%:z",
    "minutes": "%Y-%m-%dT%H:%M%:z",
    "seconds": "%Y-%m-%dT%H:%M:%S%:z",
    "ns": "%Y-%m-%dT%H:%M:%S,%N%:z",
}
RFC_EMAIL = "%a, %d %b %Y %H:%M:%S %z"
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
LONG = {
    "date": "d",
    "reference": "r",
    "utc": "u",
    "universal": "u",
    "rfc-email": "R",
    "rfc-2822": "R",
}
_SPEC = re.compile(r"%([-_0^#]*)(\d*)(:{0,3}[a-zA-Z%])")


class Moment:
    """A point in time: whole seconds since 1970 and nanoseconds, shown in UTC."""

    def __init__(self, ns: int) -> None:
        self.ns = ns
        self.secs, self.frac = divmod(ns, 1_000_000_000)
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
        self.dt = epoch + datetime.timedelta(seconds=self.secs)


def _number(value: int, width: int, pad: str) -> tuple[str, int, str]:
    return str(value), width, pad


def conversion(m: Moment, conv: str) -> tuple[str, int, str] | str:
    """One conversion's text: a plain string, or (digits, default width, default pad)."""
    dt = m.dt
    iso_year, iso_week, _ = dt.isocalendar()
    simple: dict[str, str | tuple[str, int, str]] = {
        "a": DAYS[dt.weekday()][:3],
        "A": DAYS[dt.weekday()],
        "b": MONTHS[dt.month - 1][:3],
        "h": MONTHS[dt.month - 1][:3],
        "B": MONTHS[dt.month - 1],
        "C": _number(dt.year // 100, 2, "0"),
        "d": _number(dt.day, 2, "0"),
        "e": _number(dt.day, 2, " "),
        "g": _number(iso_year % 100, 2, "0"),
        "G": _number(iso_year, 4, "0"),
        "H": _number(dt.hour, 2, "0"),
        "I": _number((dt.hour % 12) or 12, 2, "0"),
        "j": _number(dt.timetuple().tm_yday, 3, "0"),
        "k": _number(dt.hour, 2, " "),
        "l": _number((dt.hour % 12) or 12, 2, " "),
        "m": _number(dt.month, 2, "0"),
        "M": _number(dt.minute, 2, "0"),
        "n": "\n",
        "N": _number(m.frac, 9, "0"),
        "p": "AM" if dt.hour < 12 else "PM",
        "P": "am" if dt.hour < 12 else "pm",
        "s": _number(m.secs, 1, "0"),
        "S": _number(dt.second, 2, "0"),
        "t": "\t",
        "u": _number(dt.isoweekday(), 1, "0"),
        "U": _number((dt.timetuple().tm_yday + 6 - (dt.isoweekday() % 7)) // 7, 2, "0"),
        "V": _number(iso_week, 2, "0"),
        "w": _number(dt.isoweekday() % 7, 1, "0"),
        "W": _number((dt.timetuple().tm_yday + 6 - dt.weekday()) // 7, 2, "0"),
        "y": _number(dt.year % 100, 2, "0"),
        "Y": _number(dt.year, 4, "0"),
        "z": "+0000",
        ":z": "+00:00",
        "::z": "+00:00:00",
        ":::z": "+00",
        "Z": "UTC",
        "%": "%",
    }
    composite = {
        "c": "%a %b %e %H:%M:%S %Y",
        "D": "%m/%d/%y",
        "F": "%+4Y-%m-%d",
        "r": "%I:%M:%S %p",
        "R": "%H:%M",
        "T": "%H:%M:%S",
        "x": "%m/%d/%y",
        "X": "%H:%M:%S",
    }
    if conv in composite:
        return strftime(m, composite[conv].replace("%+4Y", "%Y"))
    if conv in simple:
        return simple[conv]
    return "%" + conv


def strftime(m: Moment, fmt: str) -> str:
    """Format ``m`` like GNU date's ``+FORMAT``."""

    def one(match: re.Match[str]) -> str:
        flags, width_text, conv = match.groups()
        value = conversion(m, conv)
        if isinstance(value, tuple):
            text, width, pad = value
            if width_text:
                width = int(width_text)
            if "-" in flags:
                return text
            if "_" in flags:
                pad = " "
            elif "0" in flags:
                pad = "0"
            return text.rjust(width, pad)
        if value.startswith("%") and value != "%":
            return match.group(0)
        if "^" in flags:
            value = value.upper()
        elif "#" in flags:
            # GNU: the "opposite case": names go upper, upper-case ones (AM, UTC) lower.
            value = value.lower() if value.isupper() else value.upper()
        if width_text:
            pad = "0" if "0" in flags else " "
            value = value.rjust(int(width_text), pad)
        return value

    return _SPEC.sub(one, fmt)


_ISO_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(?:Z|UTC|\+0000|\+00:00)?$"
)
_AGO = re.compile(r"^(-?\d+)\s+(second|sec|minute|min|hour|day|week)s?(\s+ago)?$")
_UNIT_SECONDS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "day": 86400}
_UNIT_SECONDS["week"] = 7 * 86400


def parse_date(text: str, now_ns: int) -> int | None:
    """The time a ``-d`` STRING describes, ns since 1970; None if it is not understood."""
    s = text.strip()
    low = s.lower()
    if s.startswith("@"):
        try:
            value = float(s[1:])
        except ValueError:
            return None
        return int(round(value * 1_000_000_000))
    if low in ("", "now"):
        return now_ns
    day = 86400 * 1_000_000_000
    midnight = now_ns - now_ns % day
    if low == "today":
        return now_ns
    if low == "yesterday":
        return now_ns - day
    if low == "tomorrow":
        return now_ns + day
    if low == "midnight":
        return midnight
    match = _AGO.match(low)
    if match:
        n = int(match.group(1)) * _UNIT_SECONDS[match.group(2)] * 1_000_000_000
        return now_ns - n if match.group(3) else now_ns + n
    match = _ISO_DATE.match(s)
    if match:
        y, mo, d, hh, mm, ss, frac = match.groups()
        try:
            dt = datetime.datetime(
                int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0),
                tzinfo=datetime.UTC,
            )  # fmt: skip
        except ValueError:
            return None
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
        secs = (dt - epoch) // datetime.timedelta(seconds=1)
        return secs * 1_000_000_000 + int((frac or "0").ljust(9, "0"))
    return None


async def main(argv: list[str]) -> int:
    """Entry point."""
    iso: str | None = None
    rest = argv[:1]
    for i, w in enumerate(argv[1:], 1):
        if w == "--":
            rest.extend(argv[i:])
            break
        if w in ("-I", "--iso-8601"):
            iso = "date"
        elif w.startswith("-I"):
            iso = w[2:]
        elif w.startswith("--iso-8601="):
            iso = w.partition("=")[2]
        else:
            rest.append(w)
    opts = await text.options("date", rest, "d:r:uR", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if iso is not None and iso not in ISO_FORMATS:
        await kio.warn(
            "date",
            f"invalid argument '{iso}' for '--iso-8601'\nValid arguments are:\n"
            + "".join(f"  - '{k}'\n" for k in ISO_FORMATS)
            + "Try 'date --help' for more information.",
        )
        return 1
    fmt = DEFAULT_FORMAT
    formats = [o for o in opts.operands if o.startswith("+")]
    others = [o for o in opts.operands if not o.startswith("+")]
    if others:
        return await text.usage_error("date", f"invalid date '{others[0]}'")
    if len(formats) > 1:
        return await text.usage_error("date", f"extra operand '{formats[1]}'")
    chosen = [x for x in (formats, iso is not None, opts.has("R")) if x]
    if len(chosen) > 1:
        await kio.warn("date", "multiple output formats specified")
        return 1
    if formats:
        fmt = formats[0][1:]
    elif iso is not None:
        fmt = ISO_FORMATS[iso]
    elif opts.has("R"):
        fmt = RFC_EMAIL
    now = await sys.clock_gettime(CLOCK_REALTIME)
    if opts.has("d") and opts.has("r"):
        await kio.warn("date", "the options to specify dates for printing are mutually exclusive")
        return 1
    when = now
    if opts.has("d"):
        shown = opts.value("d") or ""
        parsed = parse_date(shown, now)
        if parsed is None:
            await kio.warn("date", f"invalid date '{shown}'")
            return 1
        when = parsed
    elif opts.has("r"):
        path = opts.value("r") or ""
        try:
            st = await sys.stat(path)
        except Error as err:
            await kio.warn("date", f"{path}: {err.message}")
            return 1
        when = st.st_mtime_ns + await boot_epoch_ns()
    try:
        shown = strftime(Moment(when), fmt)
    except (OverflowError, ValueError):
        await kio.warn("date", f"time {when // 1_000_000_000} is out of range")
        return 1
    await kio.write_all(1, shown + "\n")
    return 0
