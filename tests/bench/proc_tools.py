"""The real Linux tools over the machine's /proc, beside the machine's own (not a test).

``python tests/bench/proc_tools.py`` boots the zoo of tests/kernel/procdump.py (a
stopped process, a zombie, a process of 3 threads, another user's process, and their
parent with /etc/hostname open), has the machine run its own ``ps``, ``pmap``,
``pstree``, ... (and, for tools the machine has not, the /proc files they read), dumps
/proc to a host directory, and runs procps (``ps aux``, ``ps -eLf``, ``top -b -n1``,
``free``, ``vmstat``, ``pmap -x``, ``pgrep``, ``pidof``, ``pwdx``, ``w``), psmisc
(``pstree -p``, ``prtstat``), ``lsof -p`` and ``htop`` (if present) with the dump
bind-mounted on /proc in a private mount namespace (``unshare -m``; needs root). Each
host tool runs as pid 1 of its own pid namespace too (``unshare -pf``): procps looks
itself up in /proc by its pid, and there pid 1 is the machine's init. Each host tool's
output is printed next to the machine's (run while the zoo is alive, so the machine's
own ``sh`` and tool show in it), for a person to compare.

Options: ``--keep DIR`` keeps the dump in DIR; ``--only NAME,...`` runs some tools.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "kernel"))

from procdump import OWN_OUTPUT, Zoo, snapshot, zoo  # noqa: E402

from kernel.host import HostClient  # noqa: E402

#: name -> (host command, the machine's own command); {P} the zoo's parent, {T} the
#: threaded process, {S} the stopped one, {Z} the zombie, {O} the other user's.
TOOLS: dict[str, tuple[str, str]] = {
    "ps aux": ("ps aux", "ps aux"),
    "ps -eLf": ("ps -eLf", "ps -eLf"),
    "top": ("top -b -n1 -w 120", "top -b -n 1"),
    "free": ("free", "free"),
    "vmstat": ("vmstat", "vmstat"),
    "pmap -x": ("pmap -x {P}", "pmap -x {P}"),
    "pgrep": ("pgrep -l sleep", "grep -l sleep /proc/[0-9]*/comm"),
    "pidof": ("pidof sleep", "grep -l sleep /proc/[0-9]*/comm"),
    "pwdx": ("pwdx {P} {O}", "readlink /proc/{P}/cwd /proc/{O}/cwd"),
    "w": ("w", "uptime"),
    "pstree -p": ("pstree -p", "pstree -p"),
    "prtstat": ("prtstat {T}", "cat /proc/{T}/stat"),
    "prtstat zombie": ("prtstat {Z}", "cat /proc/{Z}/stat"),
    "lsof -p": ("lsof -p {P}", "ls -l /proc/{P}/fd; cat /proc/{P}/fdinfo/3"),
    "htop": (
        "TERM=xterm htop -d 1 -n 1 2>&1 | sed 's/\\x1b\\[[0-9;?]*[a-zA-Z]//g' | tail -n 20",
        "top -b -n 1",
    ),
}


def fill(cmd: str, z: Zoo) -> str:
    """``cmd`` with the zoo's pids in place of {P} {T} {S} {Z} {O}."""
    return (
        cmd.replace("{P}", str(z.parent))
        .replace("{T}", str(z.threaded))
        .replace("{S}", str(z.stopped))
        .replace("{Z}", str(z.zombie))
        .replace("{O}", str(z.other))
    )


def split(out: str) -> dict[str, str]:
    """The ``@@ name`` sections of an output."""
    parts: dict[str, str] = {}
    for chunk in out.split("@@ ")[1:]:
        name, _, body = chunk.partition("\n")
        parts[name] = body
    return parts


def script(tools: list[str]) -> str:
    """The machine's shell script running its side of the tools."""
    return "".join(f"echo '@@ {t}'; {TOOLS[t][1]} 2>&1; echo \"(rc $?)\"\n" for t in tools)


def host_side(root: Path, tools: list[str], z: Zoo) -> dict[str, str]:
    """Run the host side of ``tools``, each as pid 1 of a private pid and mount
    namespace with ``root`` bind-mounted on /proc."""
    if os.geteuid() != 0:
        return {"": "needs root for private namespaces"}
    if not shutil.which("unshare"):
        return {"": "no unshare on this host"}
    out: dict[str, str] = {}
    for t in tools:
        # exec: the tool itself is pid 1 (pgrep leaves out its own pid, ps reads it)
        tool = fill(TOOLS[t][0], z)
        run = tool if "|" in tool else f"exec {tool}"
        cmd = f"mount --bind {root} /proc || exit 99\n{run}"
        r = subprocess.run(
            ["unshare", "-m", "-p", "-f", "--propagation", "private", "sh", "-c", cmd],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if r.returncode == 99:
            return {"": f"cannot bind-mount on /proc: {r.stderr.strip()}"}
        out[t] = r.stdout + r.stderr + f"(rc {r.returncode})\n"
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="keep the dump in this directory")
    ap.add_argument("--only", help="comma-separated tool names (see TOOLS)")
    args = ap.parse_args()
    tools = list(TOOLS) if not args.only else [t.strip() for t in args.only.split(",")]
    tools = [t for t in tools if t != "htop" or shutil.which("htop")]
    # the pids are the zoo's order of spawning: the script is filled in after a dry boot
    probe = zoo()
    own_script = fill(script(tools), probe)
    z = zoo(own_script)
    assert (z.parent, z.threaded, z.zombie) == (probe.parent, probe.threaded, probe.zombie)
    own = split(HostClient(z.kernel).read_file(OWN_OUTPUT).decode(errors="replace"))
    root = args.keep or Path(tempfile.mkdtemp(prefix="libk-proc-"))
    left_out = snapshot(z.kernel, root, z.parent)
    print(f"zoo: parent {z.parent}, other user's {z.other}, stopped {z.stopped},")
    print(f"     threaded {z.threaded}, zombie {z.zombie}; dump in {root}")
    print(f"left out of the dump (the machine refused them): {' '.join(left_out) or '-'}")
    host = host_side(root, tools, z)
    if "" in host:
        print(f"host tools not run: {host['']}")
    for t in tools:
        print(f"\n{'=' * 30} {t}")
        print(f"--- host: {fill(TOOLS[t][0], z)}")
        print(host.get(t, "(not run)").rstrip())
        print(f"--- machine: {fill(TOOLS[t][1], z)}")
        print(own.get(t, "(not run)").rstrip())
    if not args.keep:
        shutil.rmtree(root)
    if not shutil.which("htop"):
        print("\n(htop is not installed on this host)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
