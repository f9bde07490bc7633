"""``id [-u|-g|-G] [-n] [-r] [USER]``: print user and group ids, as GNU id does."""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: id [OPTION]... [USER]
Print user and group information for USER, or (when USER is omitted)
for the current process.

  -g, --group   print only the effective group ID
  -G, --groups  print all group IDs
  -n, --name    print a name instead a number, for -u, -g, -G
  -r, --real    print the real ID instead of the effective ID, with -u, -g
  -u, --user    print only the effective user ID
      --help    display this help and exit

Without any OPTION, print some useful set of identified information.
"""


async def read_table(path: str) -> list[list[str]]:
    """The colon-separated records of /etc/passwd or /etc/group ([] if unreadable)."""
    try:
        text = (await kio.read_file(path)).decode(errors="replace")
    except Error:
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


class Names:
    """uid and gid names, and who belongs to which group, from /etc."""

    def __init__(self, passwd: list[list[str]], group: list[list[str]]) -> None:
        self.passwd = [p for p in passwd if len(p) >= 4 and p[2].isdigit() and p[3].isdigit()]
        self.group = [g for g in group if len(g) >= 3 and g[2].isdigit()]

    @classmethod
    async def load(cls) -> Names:
        """Read /etc/passwd and /etc/group."""
        return cls(await read_table("/etc/passwd"), await read_table("/etc/group"))

    def user(self, uid: int) -> str | None:
        """The name of a uid."""
        return next((p[0] for p in self.passwd if int(p[2]) == uid), None)

    def groupname(self, gid: int) -> str | None:
        """The name of a gid."""
        return next((g[0] for g in self.group if int(g[2]) == gid), None)

    def entry(self, name: str) -> list[str] | None:
        """The passwd record of a user name (or of a numeric uid)."""
        for p in self.passwd:
            if p[0] == name:
                return p
        if name.isdigit():
            return next((p for p in self.passwd if int(p[2]) == int(name)), None)
        return None

    def groups_of(self, name: str, gid: int) -> list[int]:
        """The primary group first, then every group listing the user as a member."""
        out = [gid]
        for g in self.group:
            members = g[3].split(",") if len(g) > 3 else []
            if name in members and int(g[2]) not in out:
                out.append(int(g[2]))
        return out


def labelled(num: int, name: str | None) -> str:
    """``0(root)``, or just ``1234`` for an id without a name."""
    return f"{num}({name})" if name is not None else str(num)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "id",
        argv,
        "gGnruz",
        USAGE,
        long={"group": "g", "groups": "G", "name": "n", "real": "r", "user": "u", "zero": "z"},
    )
    if isinstance(opts, int):
        return opts
    if len(opts.operands) > 1:
        return await text.usage_error("id", f"extra operand '{opts.operands[1]}'")
    choices = [c for c in "ugG" if opts.has(c)]
    if len(choices) > 1:
        await kio.warn("id", 'cannot print "only" of more than one choice')
        return 1
    if not choices and (opts.has("n") or opts.has("r")):
        await kio.warn("id", "cannot print only names or real IDs in default format")
        return 1
    names = await Names.load()
    if opts.operands:
        entry = names.entry(opts.operands[0])
        if entry is None:
            await kio.warn("id", f"'{opts.operands[0]}': no such user")
            return 1
        uid = euid = int(entry[2])
        gid = egid = int(entry[3])
        groups = names.groups_of(entry[0], gid)
    else:
        uid, euid = await sys.getuid(), await sys.geteuid()
        gid, egid = await sys.getgid(), await sys.getegid()
        groups = [egid] + [g for g in await sys.getgroups() if g != egid]
    real = opts.has("r")
    want_name = opts.has("n")
    sep = "\0" if opts.has("z") else " "
    end = "\0" if opts.has("z") else "\n"
    if choices:
        choice = choices[0]
        if choice == "u":
            ids, lookup = [uid if real else euid], names.user
        elif choice == "g":
            ids, lookup = [gid if real else egid], names.groupname
        else:
            ids, lookup = groups, names.groupname
        status = 0
        words = []
        for n in ids:
            name = lookup(n) if want_name else None
            if want_name and name is None:
                kind = "user" if choice == "u" else "group"
                await kio.warn("id", f"cannot find name for {kind} ID {n}")
                status = 1
            words.append(name if name is not None else str(n))
        await kio.write_all(1, sep.join(words) + end)
        return status
    parts = [f"uid={labelled(uid, names.user(uid))}", f"gid={labelled(gid, names.groupname(gid))}"]
    if euid != uid:
        parts.append(f"euid={labelled(euid, names.user(euid))}")
    if egid != gid:
        parts.append(f"egid={labelled(egid, names.groupname(egid))}")
    parts.append("groups=" + ",".join(labelled(g, names.groupname(g)) for g in groups))
    await kio.write_all(1, " ".join(parts) + "\n")
    return 0
