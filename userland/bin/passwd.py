"""``passwd [-d|-S] [LOGIN]``: change a user's password in /etc/shadow.

/bin/passwd is installed setuid root: it reads and rewrites /etc/shadow (mode 0600)
itself and asks the kernel's ``crypt`` call to hash (userland cannot hash: it only makes
system calls). An ordinary user changes only their own password and must give the
current one first (unless they have none); root changes anyone's without it. The
prompt helpers here (:func:`ask`, :func:`verify`) are shared with su.
"""

from __future__ import annotations

from kernel.abi import CLOCK_REALTIME, ECHO, O_TRUNC, O_WRONLY, TCGETS, TCSETSW, Error
from userland.bin.id import Names
from userland.libk import io as kio
from userland.libk import sys, text

SHADOW = "/etc/shadow"
SETTING = "$libk-scrypt$ln=14,r=8,p=1$"
SALT_CHARS = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
FAIL_DELAY_NS = 2_000_000_000  # pam_faildelay's default: 2 seconds
USAGE = """Usage: passwd [options] [LOGIN]

Options:
  -d, --delete                  delete the password for the named account
  -h, --help                    display this help message and exit
  -S, --status                  report password status on the named account
"""
LONG = {"delete": "d", "help": "h", "status": "S"}


async def read_shadow() -> list[list[str]]:
    """/etc/shadow's entries, each split into its fields."""
    text = (await kio.read_file(SHADOW)).decode(errors="replace")
    return [line.split(":") for line in text.splitlines() if line]


async def write_shadow(rows: list[list[str]]) -> None:
    """Rewrite /etc/shadow (its mode and owner stay)."""
    fd = await sys.open(SHADOW, O_WRONLY | O_TRUNC)
    try:
        await kio.write_all(fd, "".join(":".join(r) + "\n" for r in rows))
    finally:
        await sys.close(fd)


async def ask(prompt: str) -> str | None:
    """Prompt on stderr and read a line from stdin with echo off; None at end of input.

    Echo is turned off without flushing (TCSETSW), so a line typed ahead still counts.
    """
    await kio.write_all(2, prompt)
    saved = None
    try:
        saved = await sys.ioctl(0, TCGETS)
        quiet = saved.copy()
        quiet.lflag &= ~ECHO
        await sys.ioctl(0, TCSETSW, quiet)
    except Error:
        saved = None  # not a terminal: read the line as it comes
    line = bytearray()
    try:
        while len(line) < 4096:
            byte = await sys.read(0, 1)
            if not byte or byte == b"\n":
                break
            line += byte
        else:
            byte = b"\n"
    finally:
        if saved is not None:
            await sys.ioctl(0, TCSETSW, saved)
            await kio.write_all(2, "\n")
    if not byte and not line:
        return None
    return line.decode(errors="replace")


async def verify(field: str, password: str) -> bool:
    """Whether ``password`` matches shadow field ``field`` ('' matches anything)."""
    if field == "":
        return True
    if field.startswith(("!", "*")) or not field.startswith("$"):
        return False
    try:
        return bool(await sys.crypt(password, field) == field)
    except Error:
        return False


async def new_hash(password: str) -> str:
    """A fresh scrypt hash of ``password`` with a salt from /dev/urandom."""
    fd = await sys.open("/dev/urandom")
    try:
        raw = await sys.read(fd, 22)
    finally:
        await sys.close(fd)
    salt = "".join(SALT_CHARS[b & 63] for b in raw)
    return str(await sys.crypt(password, SETTING + salt))


def iso_date(days: int) -> str:
    """Days since 1970-01-01 as ``YYYY-MM-DD`` (proleptic Gregorian, UTC)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    return f"{year:04d}-{month:02d}-{day:02d}"


def status(row: list[str]) -> str:
    """``passwd -S``'s line: name, P/NP/L, then the aging fields."""
    field = row[1] if len(row) > 1 else ""
    state = "NP" if field == "" else "L" if field.startswith(("!", "*")) else "P"
    rest = (row + [""] * 9)[2:7]
    last = iso_date(int(rest[0])) if rest[0].isdigit() else "never"
    return (
        f"{row[0]} {state} {last} {rest[1] or 0} {rest[2] or 99999} {rest[3] or 7} {rest[4] or -1}"
    )


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "passwd", argv, "dhS", USAGE, status=2, hint=USAGE.rstrip(), help_flags="h", long=LONG
    )
    if isinstance(opts, int):
        return opts
    if len(opts.operands) > 1:
        await kio.write_all(2, USAGE)
        return 2
    uid = await sys.getuid()
    names = await Names.load()
    if opts.operands:
        target = opts.operands[0]
        entry = names.entry(target)
        if entry is None:
            await kio.warn("passwd", f"user '{target}' does not exist")
            return 1
    else:
        entry = next((e for e in names.passwd if len(e) > 2 and e[2] == str(uid)), None)
        if entry is None:
            await kio.warn("passwd", "Cannot determine your user name.")
            return 1
        target = entry[0]
    if uid != 0 and entry[2] != str(uid):
        await kio.warn("passwd", f"You may not view or modify password information for {target}.")
        return 1
    try:
        rows = await read_shadow()
    except Error as err:
        await kio.warn("passwd", f"cannot open {SHADOW}: {err.message}")
        return 1
    row = next((r for r in rows if r and r[0] == target), None)
    if row is None:
        row = [target, "", "", "0", "99999", "7", "", "", ""]
        rows.append(row)
    row += [""] * (9 - len(row))
    if opts.has("S"):
        await kio.write_all(1, status(row) + "\n")
        return 0
    if opts.has("d"):
        if uid != 0:
            await kio.warn("passwd", "Permission denied.")
            return 1
        row[1] = ""
    else:
        await kio.write_all(1, f"Changing password for {target}.\n")
        if uid != 0 and row[1] != "":
            current = await ask("Current password: ")
            if current is None or not await verify(row[1], current):
                await sys.nanosleep(FAIL_DELAY_NS)
                await kio.warn("passwd", "Authentication token manipulation error")
                await kio.warn("passwd", "password unchanged")
                return 10
        first = await ask("New password: ")
        second = await ask("Retype new password: ") if first is not None else None
        if first is None or second is None or first != second:
            await kio.write_all(2, "Sorry, passwords do not match.\n")
            await kio.warn("passwd", "Authentication token manipulation error")
            await kio.warn("passwd", "password unchanged")
            return 10
        if not first:
            await kio.write_all(2, "No password has been supplied.\n")
            await kio.warn("passwd", "Authentication token manipulation error")
            await kio.warn("passwd", "password unchanged")
            return 10
        row[1] = await new_hash(first)
    row[2] = str(await sys.clock_gettime(CLOCK_REALTIME) // 86_400_000_000_000)
    await write_shadow(rows)
    if opts.has("d"):
        await kio.write_all(1, "passwd: password changed.\n")
    else:
        await kio.write_all(1, "passwd: password updated successfully\n")
    return 0
