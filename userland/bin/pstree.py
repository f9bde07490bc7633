"""``pstree [-acnpTu] [PID | USER]``: the processes as a tree, drawn like psmisc's.

Children hang off their parent with ``-+-`` (several) or ``---`` (one), continue with
``|-`` and end with `` `-``; identical sibling subtrees fold into ``2*[sleep]``;
threads appear as ``{name}`` children (``3*[{worker}]`` when folded). ``-p`` shows
pids and, as in psmisc, turns folding off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.abi import TIOCGWINSZ, Error
from userland.libk import args, sys, text
from userland.libk import io as kio
from userland.libk.procinfo import (
    list_tids,
    read_all_stats,
    read_cmdline,
    read_owner,
    read_stat,
)
from userland.libk.users import user_names

USAGE = """Usage: pstree [-acnpTu] [-l] [ PID | USER ]
Display a tree of processes.

  -a, --arguments     show command line arguments
  -A, --ascii         use ASCII line drawing characters (the default)
  -c, --compact-not   don't compact identical subtrees
  -l, --long          don't truncate long lines
  -n, --numeric-sort  sort output by PID
  -p, --show-pids     show PIDs; implies -c
  -T, --hide-threads  hide threads, show only processes
  -u, --uid-changes   show uid transitions
      --help          display this help and exit

  PID    start at this PID; default is 1 (init)
  USER   show only trees rooted at processes of this user
"""
LONG = {
    "arguments": "a",
    "ascii": "A",
    "compact-not": "c",
    "long": "l",
    "numeric-sort": "n",
    "show-pids": "p",
    "hide-threads": "T",
    "uid-changes": "u",
}


@dataclass(slots=True)
class Node:
    """A process or thread in the tree."""

    pid: int
    name: str
    uid: int = 0
    args: list[str] = field(default_factory=list)
    thread: bool = False
    children: list[Node] = field(default_factory=list)


class Drawer:
    """Turns nodes into lines, with one run's options."""

    def __init__(self, opts: args.Options, users: dict[int, str]) -> None:
        self.pids = opts.has("p")
        self.args = opts.has("a")
        self.compact = not (opts.has("c") or self.pids or self.args)
        self.numeric = opts.has("n")
        self.uid_changes = opts.has("u")
        self.users = users

    def label(self, node: Node, parent_uid: int | None) -> str:
        """``name``, ``name(pid)``, ``{thread}``, ``name(uid)``; with -a ``name,pid args``."""
        name = f"{{{node.name}}}" if node.thread else node.name
        uid_note = ""
        if self.uid_changes and parent_uid is not None and node.uid != parent_uid:
            uid_note = self.users.get(node.uid, str(node.uid))
        if self.args:
            text = name + (f",{node.pid}" if self.pids else "")
            if uid_note:
                text += f",{uid_note}"
            if not node.thread and node.args[1:]:
                text += " " + " ".join(node.args[1:])
            return text
        extra = [str(node.pid)] if self.pids else []
        if uid_note:
            extra.append(uid_note)
        return f"{name}({','.join(extra)})" if extra else name

    def order(self, nodes: list[Node]) -> list[Node]:
        """Processes by name (or pid with -n), threads after them."""
        if self.numeric:
            return sorted(nodes, key=lambda n: (n.thread, n.pid))
        return sorted(nodes, key=lambda n: (n.thread, n.name, n.pid))

    def lines(self, node: Node, parent_uid: int | None = None) -> list[str]:
        """The subtree of ``node``, its label first."""
        label = self.label(node, parent_uid)
        groups: list[tuple[int, list[str]]] = []
        for child in self.order(node.children):
            sub = self.lines(child, node.uid)
            if self.compact and groups and groups[-1][1] == sub:
                groups[-1] = (groups[-1][0] + 1, sub)
            else:
                groups.append((1, sub))
        subs = [self.folded(n, sub) for n, sub in groups]
        if not subs:
            return [label]
        if self.args:
            # psmisc's -a layout: every process on its own line, children indented.
            out = [label]
            for i, sub in enumerate(subs):
                last = i == len(subs) - 1
                out.append(f"  {'`' if last else '|'}-{sub[0]}")
                out.extend(("    " if last else "  | ") + line for line in sub[1:])
            return out
        pad = " " * len(label)
        if len(subs) == 1:
            sub = subs[0]
            return [f"{label}---{sub[0]}"] + [f"{pad}   {line}" for line in sub[1:]]
        out: list[str] = []
        for i, sub in enumerate(subs):
            last = i == len(subs) - 1
            if i == 0:
                out.append(f"{label}-+-{sub[0]}")
            else:
                out.append(f"{pad} {'`' if last else '|'}-{sub[0]}")
            cont = f"{pad}   " if last else f"{pad} | "
            out.extend(cont + line for line in sub[1:])
        return out

    @staticmethod
    def folded(count: int, sub: list[str]) -> list[str]:
        """``N*[subtree]`` for a run of identical siblings."""
        if count == 1:
            return sub
        head = f"{count}*["
        pad = " " * len(head)
        lines = [head + sub[0]] + [pad + line for line in sub[1:]]
        lines[-1] += "]"
        return lines


async def build(with_threads: bool, with_args: bool) -> dict[int, Node]:
    """Every process as a node, linked to its parent; pid 0 is the root above init."""
    nodes: dict[int, Node] = {}
    parents: dict[int, int] = {}
    for n, st in enumerate(await read_all_stats()):
        if n % 256 == 255:
            await sys.checkpoint()
        pid = st.pid
        uid = await read_owner(pid)
        if uid is None:
            continue
        node = Node(pid, st.comm, uid)
        if with_args:
            node.args = await read_cmdline(pid)
        nodes[pid] = node
        parents[pid] = st.ppid
        if with_threads and st.num_threads > 1:
            for tid in await list_tids(pid):
                if tid == pid:
                    continue
                tst = await read_stat(pid, tid)
                if tst is not None:
                    node.children.append(Node(tid, tst.comm, uid, thread=True))
    root = Node(0, "?")
    for pid, node in nodes.items():
        nodes.get(parents[pid], root).children.append(node)
    nodes[0] = root
    return nodes


async def screen_width() -> int | None:
    """The terminal's width when output goes to one (None: do not truncate)."""
    try:
        return (await sys.ioctl(1, TIOCGWINSZ)).cols
    except Error:
        return None


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("pstree", argv, "aAcGlnpTuU", USAGE, hint=USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if len(opts.operands) > 1:
        await kio.write_all(2, USAGE)
        return 1
    users = await user_names()
    nodes = await build(not opts.has("T"), opts.has("a"))
    drawer = Drawer(opts, users)
    roots: list[Node]
    if opts.operands:
        target = opts.operands[0]
        if target.isdigit():
            node = nodes.get(int(target))
            roots = [node] if node is not None and int(target) else []
        else:
            uids = [u for u, name in users.items() if name == target]
            if not uids:
                await kio.warn("pstree", f"No such user name: {target}")
                return 1
            roots = top_of_user(nodes[0], uids[0])
        if not roots:
            return 1
    else:
        roots = [nodes[1]] if 1 in nodes else nodes[0].children
    width = None if opts.has("l") else await screen_width()
    out = kio.Output(1)
    for root in roots:
        for line in drawer.lines(root):
            if width is not None and len(line) > width:
                line = line[: width - 1] + "+"
            await out.line(line)
    await out.flush()
    return 0


def top_of_user(root: Node, uid: int) -> list[Node]:
    """The highest processes of a user: each whose parent belongs to someone else."""
    found: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node.children:
            if child.thread:
                continue
            if child.uid == uid:
                found.append(child)
            else:
                stack.append(child)
    return sorted(found, key=lambda n: n.pid)
