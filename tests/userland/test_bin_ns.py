"""unshare, nsenter, chroot, findmnt and mount's --bind / --make-* through the headless
runner: the issue's check line, messages and exit statuses as util-linux's and
coreutils'."""

from __future__ import annotations

import re
from typing import Any

import pytest

import kernel.programs as execmod
from tui.headless import run_command
from userland.bin import chroot, findmnt, nsenter, unshare

SEP = "@@"
PROGRAMS = {"unshare": unshare, "nsenter": nsenter, "chroot": chroot, "findmnt": findmnt}


@pytest.fixture(autouse=True)
def programs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The utilities in /bin even before pyproject.toml registers them."""
    execmod.program_names()
    registry: dict[str, Any] = dict(execmod._registered)
    for name, module in PROGRAMS.items():
        registry.setdefault(name, module.main)
    monkeypatch.setattr(execmod, "_registered", registry)


def chunks(cmd_list: list[str]) -> list[str]:
    """Run commands in one boot; each one's output (stdout+stderr) and status."""
    script = "; ".join(f'{c} 2>&1; echo "{SEP}$?"' for c in cmd_list)
    out, _ = run_command(script)
    parts = out.split(SEP)
    results = []
    for i in range(len(cmd_list)):
        body = parts[i]
        if i:
            body = body.split("\n", 1)[1] if "\n" in body else ""
        results.append(f"{body}[{parts[i + 1].split(chr(10), 1)[0]}]")
    return results


def test_the_issues_check_line() -> None:
    out, status = run_command(
        'unshare -m sh -c "mount -t tmpfs none /mnt; grep /mnt /proc/self/mountinfo"; '
        "grep -c /mnt /proc/self/mountinfo"
    )
    lines = out.splitlines()
    assert re.fullmatch(r"\d+ \d+ 0:\d+ / /mnt rw - tmpfs none rw", lines[0]), out
    assert lines[1:] == ["0"]
    assert status == 1  # grep -c found nothing


def test_bind_propagation_nsenter_findmnt() -> None:
    got = chunks(
        [
            "mkdir -p /tmp/a/b /tmp/c /tmp/d; echo hi > /tmp/a/b/f; "
            "mount --bind /tmp/a/b /tmp/c; cat /tmp/c/f; "
            'test "$(stat -c %i /tmp/a/b/f)" = "$(stat -c %i /tmp/c/f)" && echo same',
            "findmnt -n /tmp/c",
            "findmnt | grep -c '└─\\|├─'",
            "mount --make-shared /tmp; grep ' /tmp ' /proc/self/mountinfo | grep -c shared:",
            "unshare -m --propagation unchanged sh -c 'mount -t tmpfs peer /tmp/d'; "
            "findmnt -n /tmp/d",
            "unshare -m sh -c 'mount -t tmpfs p /mnt; sleep 5' & sleep 1; "
            "nsenter -t $! -m sh -c 'pwd; grep -c \" /mnt \" /proc/self/mountinfo'; "
            "readlink /proc/self/ns/mnt; kill %1; wait",
            "mount --make-private /tmp/a",
            "mount --bind /nope /mnt",
            "unshare --propagation sideways true",
            "nsenter -t 99999 -m true",
            "su alice -c 'unshare -m true; nsenter -t 1 -m true; chroot /tmp true'",
        ]
    )
    assert got[0] == "hi\nsame\n[0]"
    assert re.fullmatch(r"/tmp/c tmpfs\[/a/b\] tmpfs\s+rw,mode=1777\n\[0\]", got[1])
    assert int(got[2].split("\n")[0]) >= 5
    assert got[3] == "1\n[0]"
    assert got[4] == "/tmp/d peer tmpfs rw\n[0]"  # the peer's mount propagated back
    assert got[5] == "/\n1\nmnt:[4026531840]\n[0]"
    assert got[6] == "mount: /tmp/a: not mount point or bad option.\n[32]"
    assert got[7] == "mount: /mnt: special device /nope does not exist.\n[32]"
    assert got[8] == "unshare: unsupported propagation mode: sideways\n[1]"
    assert got[9] == "nsenter: cannot open /proc/99999/ns/mnt: No such file or directory\n[1]"
    assert got[10] == (
        "unshare: unshare failed: Operation not permitted\n"
        "nsenter: cannot open /proc/1/ns/mnt: Permission denied\n"
        "chroot: cannot change root directory to '/tmp': Operation not permitted\n[125]"
    )


def test_chroot() -> None:
    got = chunks(
        [
            "mkdir -p /tmp/jail/bin; echo secret > /tmp/jail/x; "
            "mount --bind /bin /tmp/jail/bin; "
            "chroot /tmp/jail /bin/sh -c 'cd ../..; pwd; ls /; cat /x'",
            "chroot /tmp/jail nosuch",
            "chroot /nope true",
            "chroot",
        ]
    )
    assert got[0] == "/\nbin  x\nsecret\n[0]"
    assert got[1] == "chroot: failed to run command 'nosuch': No such file or directory\n[127]"
    assert got[2] == (
        "chroot: cannot change root directory to '/nope': No such file or directory\n[125]"
    )
    assert got[3].startswith("chroot: missing operand") and got[3].endswith("[125]")
