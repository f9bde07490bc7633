"""The machine-wide memory files (meminfo, vmstat, buddyinfo) against the kernel's
figures, and the vm sysctls: root-writable, checked, settable from the shell."""

from __future__ import annotations

from typing import Any

from ksim import check, errno_of, register, shell
from test_procmem import ANON, RW, busy_machine, fields, text

from kernel.abi import (
    EACCES,
    EINVAL,
    ENOMEM,
    O_WRONLY,
    SpawnAttr,
)
from userland.libk import sys


# ---------------------------------------------------------------------- machine-wide
def test_meminfo_and_vmstat_are_the_machines_figures() -> None:
    k, host, proc, child = busy_machine()
    mem = fields(host.read_file("/proc/meminfo").decode())
    fr = k.frames
    assert mem["MemTotal"] == fr.buddy.total_pages * 4 and mem["MemFree"] == fr.free * 4
    assert mem["AnonPages"] == fr.by_kind["anon"] * 4
    assert mem["Shmem"] == fr.by_kind["shmem"] * 4 == mem["Cached"]
    assert mem["Active"] == mem["Active(anon)"] + mem["Active(file)"]
    assert mem["Inactive"] == mem["Inactive(anon)"] + mem["Inactive(file)"]
    assert mem["Active(anon)"] + mem["Inactive(anon)"] == mem["AnonPages"] + mem["Shmem"]
    # Mapped: page-cache frames a page table maps, counted once however many map them.
    cached = {id(p.page): p.page for q in (proc, child) for p in q.mm.pt.values()}
    mapped = {i for i, p in cached.items() if p.cached}
    assert mem["Mapped"] >= len(mapped) * 4
    assert mem["Committed_AS"] == k.vm.committed * 4
    assert mem["CommitLimit"] == k.vm.commit_limit() * 4
    assert mem["KernelStack"] == len(k.procs.threads) * 16
    assert 0 < mem["MemAvailable"] < mem["MemFree"]
    assert mem["HugePages_Total"] == 0 and mem["Hugepagesize"] == 2048
    vm = dict(line.split() for line in host.read_file("/proc/vmstat").decode().splitlines())
    ev = fr.events
    assert int(vm["nr_free_pages"]) == fr.free and int(vm["nr_anon_pages"]) == fr.by_kind["anon"]
    assert int(vm["nr_mapped"]) * 4 == mem["Mapped"]
    assert int(vm["nr_shmem"]) == int(vm["nr_file_pages"]) == fr.by_kind["shmem"]
    assert int(vm["pgfault"]) == ev.pgfault > 0 and int(vm["pgalloc_normal"]) == ev.pgalloc
    assert int(vm["cow_fault"]) == ev.cow_fault >= 1
    assert vm["pswpin"] == vm["pswpout"] == vm["oom_kill"] == "0"
    assert int(vm["nr_inactive_anon"]) * 4 == mem["Inactive(anon)"]
    buddy = host.read_file("/proc/buddyinfo").decode()
    assert buddy.startswith("Node 0, zone   Normal ") and buddy.endswith(" \n")
    counts = [int(x) for x in buddy.split()[4:]]
    assert len(counts) == 11 and sum(c << i for i, c in enumerate(counts)) == fr.free
    assert buddy == "Node 0, zone   Normal " + "".join(f"{c:6d} " for c in counts) + "\n"


# ---------------------------------------------------------------------- sysctls
def test_vm_sysctls_are_root_writable_and_checked() -> None:
    seen: dict[str, Any] = {}

    async def put(path: str, value: bytes) -> int:
        fd = await sys.open(path, O_WRONLY)
        try:
            return await errno_of(sys.write(fd, value))
        finally:
            await sys.close(fd)

    async def user(argv: list[str]) -> int:
        seen["user_read"] = await text("/proc/sys/vm/overcommit_memory")
        seen["user_open"] = await errno_of(sys.open("/proc/sys/vm/overcommit_memory", O_WRONLY))
        return 0

    prog = register(user)

    async def main(argv: list[str]) -> int:
        vm = "/proc/sys/vm/"
        seen["bad"] = [
            await put(vm + "overcommit_memory", v) for v in (b"3", b"-1", b"x", b"1x", b"08")
        ]
        seen["empty"] = await put(vm + "overcommit_memory", b"")
        seen["two"] = await put(vm + "overcommit_memory", b"2\n")
        seen["huge"] = await errno_of(sys.mmap(0, 1 << 30, RW, ANON))
        seen["kbytes"] = await put(vm + "overcommit_kbytes", b"0x1000")
        seen["ratio_after_kbytes"] = await text(vm + "overcommit_ratio")
        seen["limit"] = fields(await text("/proc/meminfo"))["CommitLimit"]
        seen["ratio"] = await put(vm + "overcommit_ratio", b"  75 ")
        seen["kbytes_after_ratio"] = await text(vm + "overcommit_kbytes")
        seen["unsigned"] = await put(vm + "mmap_min_addr", b"-4096")
        seen["maps"] = await put(vm + "max_map_count", b"100")
        seen["threads"] = await put("/proc/sys/kernel/threads-max", b"19")
        seen["threads_ok"] = await put("/proc/sys/kernel/threads-max", b"1000")
        seen["values"] = [
            await text(vm + n) for n in ("overcommit_memory", "overcommit_ratio", "max_map_count")
        ]
        seen["threads_value"] = await text("/proc/sys/kernel/threads-max")
        pid = await sys.spawn(prog, ["user"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.wait4(pid)
        seen["listing"] = await sys.getdents(await sys.open("/proc/sys/vm", 0o200000))
        return 0

    r = check(main)
    assert seen["bad"] == [EINVAL] * 5 and seen["empty"] == 0
    assert seen["two"] == 0 and seen["huge"] == ENOMEM
    assert seen["kbytes"] == 0 and seen["ratio_after_kbytes"] == "0\n"
    assert seen["limit"] == 4096
    assert seen["ratio"] == 0 and seen["kbytes_after_ratio"] == "0\n"
    assert seen["unsigned"] == EINVAL and seen["maps"] == 0
    assert seen["threads"] == EINVAL and seen["threads_ok"] == 0
    assert seen["values"] == ["2\n", "75\n", "100\n"] and seen["threads_value"] == "1000\n"
    assert r.kernel.vm.max_map_count == 100 and r.kernel.threads_max == 1000
    assert seen["user_read"] == "2\n" and seen["user_open"] == EACCES
    names = {d.d_name for d in seen["listing"]}
    assert {"overcommit_memory", "min_free_kbytes", "mmap_min_addr"} <= names


def test_the_shell_sets_a_sysctl_with_echo() -> None:
    r = shell(
        "echo 1 > /proc/sys/vm/overcommit_memory; cat /proc/sys/vm/overcommit_memory; "
        "echo 9 > /proc/sys/vm/overcommit_memory || echo refused; "
        "cat /proc/sys/vm/overcommit_memory"
    )
    assert r.output.splitlines()[0] == "1"
    assert "refused" in r.output and r.output.splitlines()[-1] == "1"
