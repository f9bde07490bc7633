"""``test EXPRESSION`` and ``[ EXPRESSION ]``: evaluate a conditional expression.

/bin/[ is a link to this program; called by that name it requires the closing ``]``.
The evaluator is shared with the shell's builtin (``userland.libk.testexpr``); errors
are printed the way GNU coreutils' test prints them. Exit status 0 (true), 1 (false)
or 2 (an error).
"""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import testexpr

USAGE = """Usage: test EXPRESSION
  or:  test
  or:  [ EXPRESSION ]
  or:  [ ]
Exit with the status determined by EXPRESSION.

  ( EXPRESSION )               EXPRESSION is true
  ! EXPRESSION                 EXPRESSION is false
  EXPRESSION1 -a EXPRESSION2   both EXPRESSION1 and EXPRESSION2 are true
  EXPRESSION1 -o EXPRESSION2   either EXPRESSION1 or EXPRESSION2 is true

  -n STRING            the length of STRING is nonzero
  STRING               equivalent to -n STRING
  -z STRING            the length of STRING is zero
  STRING1 = STRING2    the strings are equal
  STRING1 != STRING2   the strings are not equal
  STRING1 < STRING2    STRING1 sorts before STRING2
  STRING1 > STRING2    STRING1 sorts after STRING2

  INTEGER1 -eq INTEGER2   equal (also -ne -lt -le -gt -ge)

  FILE1 -ef FILE2   FILE1 and FILE2 are the same file (device and inode)
  FILE1 -nt FILE2   FILE1 is newer (modification date) than FILE2
  FILE1 -ot FILE2   FILE1 is older than FILE2

  -b FILE   block special        -c FILE   character special
  -d FILE   a directory          -e FILE   exists
  -f FILE   a regular file       -g FILE   set-group-ID
  -G FILE   owned by the effective group ID
  -h FILE   a symbolic link (same as -L)
  -k FILE   sticky bit set       -O FILE   owned by the effective user ID
  -p FILE   a named pipe         -r FILE   readable
  -s FILE   size greater than zero
  -S FILE   a socket             -t FD     FD is opened on a terminal
  -u FILE   set-user-ID          -w FILE   writable
  -x FILE   executable (or searchable)
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    if argv[1:] == ["--help"] or (argv[1:] == ["--help", "]"] and argv[0].endswith("[")):
        await kio.write_all(1, USAGE)
        return 0
    status, err = await testexpr.run(argv)
    if err is not None:
        prog = "[" if argv and argv[0].rsplit("/", 1)[-1] == "[" else "test"
        await kio.warn(prog, err.gnu(prog)[len(prog) + 2 :])
    return status
