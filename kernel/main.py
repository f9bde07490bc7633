"""The init order: how a machine comes up from its boot info (xv6's main.c).

``start_kernel`` is stage 2 of the loader (``kernel.boot`` is stage 1) and reads like a
table of contents: each step is one subsystem's init function, in the order they
depend on each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.kernel import RELEASE, Kernel
from kernel.sched import CPU, POLICIES

if TYPE_CHECKING:
    from kernel.image import BootInfo


def start_kernel(info: BootInfo) -> Kernel:
    """Stage 2 of the loader: bring a machine up from its boot info.

    Reads like a table of contents: each step is one subsystem's init function.
    """
    from kernel import exec as execmod
    from kernel import exit as exitmod
    from kernel import manpages, modules, share, syscall, trace
    from kernel import signal as signalmod
    from kernel.fs import fsinit

    k = Kernel(info)
    k.log(f"libk version {RELEASE} ({info.name}) #1 SMP")
    k.log(f"Command line: {' '.join(f'{a}={b}' for a, b in info.params)}".rstrip())
    mm_init(k)  # physical page frames from the boot-info's free regions
    sched_init(k)  # CPUs, run queues, the scheduling policy
    k.signals = signalmod.Signals(k)  # signal delivery and job control
    k.exits = exitmod.Exits(k)  # process and thread ends, zombies, orphans
    k.tracing = trace.Tracing(k)  # system-call tracing (strace)
    syscall.init(k)  # the system-call table
    fsinit.vfs_init(k)  # root tmpfs, the initial mount namespace, image files
    fsinit.dev_init(k)  # devfs and the console TTY
    fsinit.mounts_init(k)  # the image's mounts (devfs, tmpfs, procfs)
    modules.modules_init(k)  # /lib/modules, the image's boot-time modules
    execmod.exec_init(k)  # program registry; /bin from it
    manpages.man_init(k)  # /usr/share/man: section 2 from the table, the rest packaged
    share.share_init(k)  # /usr/share/<dir>: data packages (heapbench's traces, ...)
    execmod.userinit(k)  # pid 1
    k.log("Run /sbin/init as init process")
    return k


def mm_init(k: Kernel) -> None:
    """Physical memory: the buddy allocator over the boot-info's free regions, the
    overcommit policy, the OOM killer, and the thread limit memory allows."""
    from kernel.mm.commit import VmPolicy
    from kernel.mm.frames import FrameAllocator
    from kernel.mm.oom import OomKiller

    info = k.info
    regions = [(r.start, r.length) for r in info.memory_regions]
    free = sum(length for _, length in regions)
    k.frames = FrameAllocator(info.page_size, info.memory, regions)
    k.vm = VmPolicy(k.frames, info.overcommit_memory, info.overcommit_ratio)
    k.oom = OomKiller(k)
    # Linux's rule: kernel stacks (16 KiB each) may take at most an eighth of memory.
    k.threads_max = max(20, info.memory // (16 * 1024 * 8))
    k.log(
        f"Memory: {free // 1024}K/{info.memory // 1024}K available "
        f"({(info.memory - free) // 1024}K kernel reserved), page size {info.page_size}"
    )
    k.log(f"buddy: {k.frames.buddy.free_pages} pages free, max order {10}")


def sched_init(k: Kernel) -> None:
    """CPUs and their run queues, and the scheduling policy."""
    info = k.info
    k.cpus = [CPU(i) for i in range(info.cpus)]
    policy = POLICIES[info.scheduler.policy]
    k.sched = policy(k.cpus, info.scheduler.quantum)
    k.log(f"smp: Brought up {info.cpus} CPU{'s' if info.cpus > 1 else ''}")
    k.log(f"sched: policy {policy.name}, quantum {info.scheduler.quantum // 1000} us")
