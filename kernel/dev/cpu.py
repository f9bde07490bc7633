"""CPU hotplug and the scheduler's tunables: /sys/devices/system/cpu and /sys/kernel/sched.

Owns what taking a simulated CPU offline and back means (``set_online``, ``evacuate``)
and the sysfs subtrees the device model mounts: ``cpu_sysfs`` (``online``, ``offline``,
``possible``, ``present``, ``kernel_max``, ``cpuN/online``, ``cpuN/topology/``) and
``kernel_sysfs`` (``sched/base_slice_ns``, the round-robin quantum, writable live).
As on x86 Linux, cpu0 has no ``online`` file: it cannot go offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import EINVAL, EPERM, Error

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.sched import CPU

KERNEL_MAX = 8191
"""``kernel_max``: the highest CPU number the kernel could handle (NR_CPUS - 1)."""
SLICE_MIN = 1_000
"""Smallest quantum ``base_slice_ns`` accepts (1 µs, as the image's ``scheduler.quantum``)."""
SLICE_MAX = 1_000_000_000
"""Largest quantum accepted (1 s)."""


def cpulist(ids: list[int]) -> str:
    """Linux's cpulist format: ``[0, 2, 3]`` -> ``"0,2-3"``, ``[]`` -> ``""``."""
    parts: list[str] = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        parts.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(parts)


def online_cpus(k: Kernel) -> list[CPU]:
    """The CPUs that take work."""
    return [c for c in k.cpus if c.online]


def evacuate(k: Kernel, cpu: CPU) -> None:
    """Move an offline CPU's queued and current threads to online CPUs."""
    moved = list(cpu.runq)
    cpu.runq.clear()
    if cpu.current is not None:
        moved.insert(0, cpu.current)
        cpu.current = None
    cpu.last = None
    for t in moved:
        t.on_rq = False
        if t.ready_at < cpu.clock:
            t.ready_at = cpu.clock  # it cannot run elsewhere before it stopped here
        k.sched.enqueue(t)


def set_online(k: Kernel, n: int, online: bool) -> None:
    """Take CPU ``n`` offline or bring it back; already so is a no-op.

    Raises:
        Error: EPERM for cpu0 (it cannot go), EINVAL for a CPU that does not exist.
    """
    if not 0 <= n < len(k.cpus):
        raise Error(EINVAL)
    cpu = k.cpus[n]
    if cpu.online == online:
        return
    if not online:
        if n == 0:
            raise Error(EPERM)
        cpu.online = False
        if k.cur_cpu is not cpu:  # else the run loop evacuates it when its window ends
            evacuate(k, cpu)
        k.log(f"smpboot: CPU {n} is now offline")
    else:
        cpu.clock = max(cpu.clock, k.now())
        cpu.online = True
        k.log(f"smpboot: Booting Node 0 Processor {n} APIC 0x{n:x}")


def _bool(text: str) -> bool:
    """kstrtobool as cpu's ``online`` store uses it: 0/1 (and y/n, on/off)."""
    s = text.strip().lower()
    if s in ("1", "y", "yes", "on"):
        return True
    if s in ("0", "n", "no", "off"):
        return False
    raise Error(EINVAL)


def _cpu_dir(k: Kernel, n: int) -> dict[str, Any]:
    from kernel.fs.sysfs import Store

    cpu = k.cpus[n]
    sib = str(n)
    every = cpulist(list(range(len(k.cpus))))
    out: dict[str, Any] = {
        "topology": {
            "core_id": lambda: f"{n}\n",
            "physical_package_id": lambda: "0\n",
            "die_id": lambda: "0\n",
            "thread_siblings_list": lambda: f"{sib}\n",
            "core_siblings_list": lambda: f"{every}\n",
        }
    }
    if n:

        def store(t: Any, text: str) -> None:
            set_online(k, n, _bool(text))

        out["online"] = Store(lambda: f"{int(cpu.online)}\n", store)
    return out


def cpu_sysfs(k: Kernel) -> dict[str, Any]:
    """The contents of ``/sys/devices/system/cpu/``."""
    n = len(k.cpus)
    every = cpulist(list(range(n)))
    out: dict[str, Any] = {
        "online": lambda: cpulist([c.id for c in k.cpus if c.online]) + "\n",
        "offline": lambda: cpulist([c.id for c in k.cpus if not c.online]) + "\n",
        "possible": lambda: f"{every}\n",
        "present": lambda: f"{every}\n",
        "kernel_max": lambda: f"{KERNEL_MAX}\n",
    }
    for i in range(n):
        out[f"cpu{i}"] = _cpu_dir(k, i)
    return out


def kernel_sysfs(k: Kernel) -> dict[str, Any]:
    """The scheduler's entries of ``/sys/kernel/``: ``sched/base_slice_ns``.

    Linux 6.6+ has it in debugfs (``/sys/kernel/debug/sched/base_slice_ns``); here it is
    a sysfs attribute since there is no debugfs. The value is the round-robin quantum in
    ns, from SLICE_MIN to SLICE_MAX; the next slice any CPU starts uses it.
    """
    from kernel.fs.sysfs import Store

    def store(t: Any, text: str) -> None:
        try:
            ns = int(text.strip(), 10)
        except ValueError:
            raise Error(EINVAL) from None
        if not SLICE_MIN <= ns <= SLICE_MAX:
            raise Error(EINVAL)
        k.sched.quantum = ns

    return {"sched": {"base_slice_ns": Store(lambda: f"{k.sched.quantum}\n", store)}}
