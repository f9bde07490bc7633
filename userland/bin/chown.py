"""``chown [-Rcfv] OWNER[:[GROUP]] FILE…``, ``chown :GROUP FILE…``: change owner and group.

Names are looked up in /etc/passwd and /etc/group; numbers are taken as ids.
``OWNER:`` (a colon and no group) also sets the group to the owner's login group.
"""

from __future__ import annotations

from kernel.abi import S_ISLNK, Error, Stat
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.walk import walk

USAGE = """Usage: chown [OPTION]... [OWNER][:[GROUP]] FILE...
Change the owner and/or group of each FILE to OWNER and/or GROUP.

  -c, --changes          like verbose but report only when a change is made
  -f, --silent, --quiet  suppress most error messages
  -v, --verbose          output a diagnostic for every file processed
  -R, --recursive        operate on files and directories recursively
      --help             display this help and exit

Owner is unchanged if missing.  Group is unchanged if missing, but changed
to login group if implied by a ':' following a symbolic OWNER.
OWNER and GROUP may be numeric as well as symbolic.

Examples:
  chown root /u        Change the owner of /u to "root".
  chown root:staff /u  Likewise, but also change its group to "staff".
  chown -hR root /u    Change the owner of /u and subfiles to "root".
"""

LONG = {"changes": "c", "silent": "f", "quiet": "f", "verbose": "v", "recursive": "R"}


async def passwd_table(path: str) -> list[list[str]]:
    try:
        text = (await kio.read_file(path)).decode(errors="replace")
    except Error:
        return []
    return [line.split(":") for line in text.splitlines() if line.count(":") >= 2]


class SpecError(ValueError):
    """An owner or group that does not exist; the message is chown's."""


async def parse_spec(spec: str) -> tuple[int, int, str, str]:
    """``user:group`` -> (uid or -1, gid or -1, user shown, group shown).

    Raises:
        SpecError: unknown user or group.
    """
    user, colon, group = spec.partition(":")
    if not colon and "." in spec and not spec.replace(".", "").isdigit():
        user, colon, group = spec.partition(".")  # the old user.group form
    users = await passwd_table("/etc/passwd")
    groups = await passwd_table("/etc/group")
    uid = gid = -1
    if user:
        hit = next((u for u in users if u[0] == user), None)
        if hit is not None:
            uid = int(hit[2])
            if colon and not group and len(hit) > 3 and hit[3].isdigit():
                gid = int(hit[3])
        elif user.isdigit():
            uid = int(user)
        else:
            raise SpecError(f"invalid user: '{spec}'")
    if group:
        ghit = next((g for g in groups if g[0] == group), None)
        if ghit is not None:
            gid = int(ghit[2])
        elif group.isdigit():
            gid = int(group)
        else:
            raise SpecError(f"invalid group: '{spec}'")
    elif colon and user and gid == -1:
        raise SpecError(f"invalid spec: '{spec}'")
    return uid, gid, user, group


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("chown", argv, "cfvRhHLP", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    ops = opts.operands
    if not ops:
        return await text.usage_error("chown", "missing operand")
    if len(ops) == 1:
        return await text.usage_error("chown", f"missing operand after '{ops[0]}'")
    try:
        uid, gid, _, _ = await parse_spec(ops[0])
    except SpecError as err:
        await kio.warn("chown", str(err))
        return 1
    quiet = opts.has("f")
    verbose, changes = opts.has("v"), opts.has("c")
    names = {u[2]: u[0] for u in await passwd_table("/etc/passwd")}
    gnames = {g[2]: g[0] for g in await passwd_table("/etc/group")}
    status = 0

    def owner_text(u: int, g: int) -> str:
        un = names.get(str(u), str(u))
        return un if gid == -1 else f"{un}:{gnames.get(str(g), str(g))}"

    async def change(path: str, st: Stat) -> None:
        nonlocal status
        new_u = st.st_uid if uid == -1 else uid
        new_g = st.st_gid if gid == -1 else gid
        try:
            await sys.chown(path, uid, gid)
        except Error as err:
            status = 1
            if not quiet:
                await kio.warn("chown", f"changing ownership of '{path}': {err.message}")
            return
        changed = (new_u, new_g) != (st.st_uid, st.st_gid)
        if verbose or (changes and changed):
            before, after = owner_text(st.st_uid, st.st_gid), owner_text(new_u, new_g)
            if changed:
                await kio.write_all(1, f"changed ownership of '{path}' from {before} to {after}\n")
            else:
                await kio.write_all(1, f"ownership of '{path}' retained as {after}\n")

    async def report(path: str, err: Error) -> None:
        nonlocal status
        status = 1
        if not quiet:
            await kio.warn("chown", f"cannot access '{path}': {err.message}")

    for path in ops[1:]:
        if not opts.has("R"):
            try:
                st = await sys.stat(path)
            except Error as err:
                await report(path, err)
                continue
            await change(path, st)
            continue
        async for entry in walk(path, follow_top=True, on_error=report):
            if not S_ISLNK(entry.stat.st_mode):
                await change(entry.path, entry.stat)
    return status
