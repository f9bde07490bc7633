"""System calls about the machine: uname, host name, reboot, the kernel log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import (
    EINVAL,
    ENAMETOOLONG,
    EPERM,
    REBOOT_POWER_OFF,
    REBOOT_RESTART,
    Error,
    Utsname,
)
from kernel.crypt import sys_crypt as sys_crypt  # crypt(2): password hashing

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread


def sys_uname(k: Kernel, t: Thread) -> Utsname:
    from kernel.kernel import RELEASE

    return Utsname("libk", k.hostname, RELEASE, f"#1 SMP {k.info.name}", "sim64")


def sys_sethostname(k: Kernel, t: Thread, name: str) -> int:
    if not t.proc.cred.is_root:
        raise Error(EPERM)
    if len(name) > 64:
        raise Error(ENAMETOOLONG)
    k.hostname = name
    return 0


def sys_reboot(k: Kernel, t: Thread, cmd: int, status: int) -> int:
    from kernel.kernel import Halt

    if not t.proc.cred.is_root:
        raise Error(EPERM)
    if cmd not in (REBOOT_POWER_OFF, REBOOT_RESTART):
        raise Error(EINVAL)
    k.power_off(status & 0xFF, restart=cmd == REBOOT_RESTART)
    raise Halt()


def sys_syslog(k: Kernel, t: Thread) -> str:
    return k.log.render()


def sys_klog(k: Kernel, t: Thread, message: str) -> int:
    if not t.proc.cred.is_root:
        raise Error(EPERM)
    k.log(message)
    return 0
