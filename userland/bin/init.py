"""``init``: process 1. Starts the machine's command on the console and reaps orphans.

``init -u USER (--respawn|--poweroff) -- COMMAND…``: runs COMMAND as USER (from
/etc/passwd) in a new session on the console, with a login environment. When it exits,
init starts it again (``--respawn``) or powers the machine off with its exit status
(``--poweroff``). Every child that loses its parent becomes init's, and init collects
it, so no zombie outlives its parent for long.
"""

from __future__ import annotations

from kernel.abi import (
    O_RDWR,
    REBOOT_POWER_OFF,
    SIG_IGN,
    SIGHUP,
    SIGINT,
    SIGQUIT,
    SIGTERM,
    SIGTSTP,
    SIGTTIN,
    SIGTTOU,
    SPAWN_DUP2,
    SPAWN_OPEN,
    Error,
    SpawnAttr,
)
from userland.libk import io as kio
from userland.libk import proc as kproc
from userland.libk import sys

RESPAWN_DELAY_NS = 1_000_000_000


async def lookup_user(name: str) -> tuple[int, int, str, str]:
    """uid, gid, home and shell of a user in /etc/passwd (root's defaults if missing)."""
    try:
        text = (await kio.read_file("/etc/passwd")).decode()
    except Error:
        text = ""
    for line in text.splitlines():
        f = line.split(":")
        if len(f) >= 7 and f[0] == name:
            return int(f[2]), int(f[3]), f[5], f[6]
    return 0, 0, "/", "/bin/sh"


async def groups_of(name: str) -> tuple[int, ...]:
    """Supplementary groups of a user from /etc/group."""
    try:
        text = (await kio.read_file("/etc/group")).decode()
    except Error:
        return ()
    out = []
    for line in text.splitlines():
        f = line.split(":")
        if len(f) >= 4 and name in f[3].split(","):
            out.append(int(f[2]))
    return tuple(out)


async def main(argv: list[str]) -> int:
    """Run the console command, reap orphans, respawn or power off."""
    user = "root"
    mode = "respawn"
    args = argv[1:]
    while args and args[0] != "--":
        a = args.pop(0)
        if a == "-u" and args:
            user = args.pop(0)
        elif a in ("--respawn", "--poweroff"):
            mode = a[2:]
    command = args[1:] if args else ["/bin/sh", "-l"]
    for sig in (SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU):
        await sys.sigaction(sig, SIG_IGN)
    uid, gid, home, shell = await lookup_user(user)
    env = {
        "HOME": home,
        "USER": user,
        "LOGNAME": user,
        "SHELL": shell,
        "PATH": "/bin:/sbin:/usr/bin" if uid == 0 else "/bin:/usr/bin",
        "TERM": "libk",
    }
    actions = [(SPAWN_OPEN, 0, "/dev/console", O_RDWR, 0), (SPAWN_DUP2, 0, 1), (SPAWN_DUP2, 0, 2)]
    attr = SpawnAttr(
        setsid=True,
        foreground=True,
        uid=uid,
        gid=gid,
        groups=await groups_of(user),
        sigdefault=(SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU),
    )
    # A login shell is told so by a leading dash in argv[0], as login(1) does.
    argv0 = command[0]
    if command[1:] == ["-l"]:
        child_argv = ["-" + argv0.rsplit("/", 1)[-1]]
    else:
        child_argv = list(command)
    while True:
        try:
            child = await sys.spawn(command[0], child_argv, env, home, actions, attr)
        except Error as err:
            await kio.warn("init", f"cannot run {command[0]}: {err.message}")
            if mode == "poweroff":
                await sys.reboot(REBOOT_POWER_OFF, 127)
            await sys.nanosleep(5 * RESPAWN_DELAY_NS)
            continue
        started = await sys.clock_gettime(1)
        while True:
            pid, status = await sys.wait4(-1, 0)
            if pid == child:
                break
        if mode == "poweroff":
            await sys.reboot(REBOOT_POWER_OFF, kproc.exit_code(status))
        if await sys.clock_gettime(1) - started < RESPAWN_DELAY_NS:
            await sys.nanosleep(RESPAWN_DELAY_NS)
