"""insmod, rmmod, modprobe, lsmod, modinfo: kmod's output, messages and exit codes."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "kernel"))

from ksim import ok, run_main, shell  # noqa: E402


def test_modprobe_orders_dependencies_and_removes_them() -> None:
    r = shell(
        "modprobe --show-depends greet; modprobe -v greet times=2; lsmod;"
        " rmmod hello; echo rc=$?; modprobe -r hello; echo rc=$?;"
        " modprobe -r greet; lsmod; modprobe -r greet; echo rc=$?"
    )
    ok(r)
    d = "/lib/modules/0.1.0/kernel/samples"
    assert r.output.splitlines() == [
        f"insmod {d}/hello.ko ",
        f"insmod {d}/greet.ko ",
        f"insmod {d}/hello.ko ",
        f"insmod {d}/greet.ko times=2 ",
        "Module                  Size  Used by",
        "greet                  16384  0",
        "hello                  16384  1 greet",
        "rmmod: ERROR: Module hello is in use by: greet",
        "rc=1",
        "modprobe: FATAL: Module hello is in use.",
        "rc=1",
        "Module                  Size  Used by",
        "modprobe: FATAL: Module greet is not in kernel.",
        "rc=1",
    ]


def test_busy_ramdisk_and_errors() -> None:
    r = shell(
        "modprobe ramdisk rd_size=64; sleep 100 < /dev/ram0 & cat /sys/module/ramdisk/refcnt;"
        " rmmod ramdisk; echo rc=$?; kill %1; wait; rmmod ramdisk; echo rc=$?;"
        " rmmod ramdisk; modprobe helo; insmod /nope.ko; insmod /etc/passwd;"
        " insmod hello; insmod hello; modprobe ramdisk rd_nr=x; echo rc=$?"
    )
    ok(r)
    assert r.output.splitlines() == [
        "1",
        "rmmod: ERROR: Module ramdisk is in use",
        "rc=1",
        "rc=0",
        "rmmod: ERROR: Module ramdisk is not currently loaded",
        "modprobe: FATAL: Module helo not found in directory /lib/modules/0.1.0",
        "insmod: ERROR: could not load module /nope.ko: No such file or directory",
        "insmod: ERROR: could not insert module /etc/passwd: Invalid module format",
        "insmod: ERROR: could not insert module hello: File exists",
        "modprobe: ERROR: could not insert 'ramdisk': Invalid parameters",
        "rc=1",
    ]


def test_modinfo_and_help() -> None:
    r = shell(
        "modinfo hello; modinfo -F parm ramdisk; modinfo -d greet; modinfo helo; echo rc=$?;"
        " lsmod --help | head -1; rmmod --help | head -1; modprobe --help | head -1;"
        " cat /lib/modules/$(uname -r)/modules.dep"
    )
    ok(r)
    out = r.output.splitlines()
    assert out[0] == "filename:       /lib/modules/0.1.0/kernel/samples/hello.ko"
    assert "parm:           who:whom to greet (charp)" in out
    assert "rd_size:Size of each RAM disk in kbytes. (uint)" in out
    assert "Greets through hello's exported symbol" in out
    assert "modinfo: ERROR: Module helo not found." in out and "rc=1" in out
    assert out.count("Usage:") == 3
    for line in (
        "kernel/drivers/block/ramdisk.ko:",
        "kernel/samples/greet.ko: kernel/samples/hello.ko",
        "kernel/samples/hello.ko:",
    ):
        assert line in out


def test_non_root_refused() -> None:
    from userland.bin import insmod, rmmod
    from userland.libk import sys as ksys

    async def main(argv: list[str]) -> int:
        await ksys.setuid(1000)
        a = await insmod.main(["insmod", "hello"])
        return a + await rmmod.main(["rmmod", "ramdisk"])

    r = run_main(main)
    assert r.output.splitlines() == [
        "insmod: ERROR: could not insert module hello: Operation not permitted",
        "rmmod: ERROR: Module ramdisk is not currently loaded",
    ]
