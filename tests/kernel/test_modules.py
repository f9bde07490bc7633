"""Kernel modules (issue #11 parts 3 and 5): loading, unloading, parameters, failure
unwinding, dependencies, reference counts from open nodes, root only, boot-time loading
and /proc/modules."""

from __future__ import annotations

from typing import Any

import pytest
from ksim import image, machine, ok, run, run_body, shell

from kernel.abi import EAGAIN, EEXIST, EINVAL, EIO, ENOENT, ENOEXEC, EPERM, O_RDONLY, Error
from kernel.dev.driver import Device
from kernel.imagetypes import ModuleSpec
from kernel.modules.core import ModuleContext, ModuleDef, Param, parse_value, register_module
from kernel.modules.files import MAGIC
from userland.bin.lsmod import parse_proc_modules
from userland.libk import sys
from userland.libk.procinfo import list_dir, read_text


def _half_init(ctx: ModuleContext) -> None:
    ctx.device_register(Device("halfdev0", cls="misc", devt=(10, 200)))
    ctx.export("half_symbol", 1)
    raise Error(EIO)


register_module(ModuleDef("halfway", "test/halfway.ko", init=_half_init))


def _buggy_init(ctx: ModuleContext) -> None:
    ctx.device_register(Device("buggy0", cls="misc", devt=(10, 201)))
    {}["no such key"]  # a bug: not an Error


register_module(ModuleDef("buggy", "test/buggy.ko", init=_buggy_init))


def img(name: str) -> bytes:
    return MAGIC + name.encode() + b"\n"


async def errno_of(coro: Any) -> int:
    try:
        await coro
    except Error as err:
        return err.errno
    return 0


def test_issue_line() -> None:
    r = shell(
        "modprobe ramdisk rd_size=1024; lsmod; ls /sys/module/ramdisk/parameters;"
        " ls -l /dev/ram0; cat /sys/block/ram0/size; ls /sys/devices/virtual/block"
    )
    ok(r)
    lines = r.output.splitlines()
    assert lines[0] == "Module                  Size  Used by"
    assert lines[1].split() == ["ramdisk", "16384", "0"]
    assert lines[2].split() == ["max_part", "rd_nr", "rd_size"]
    assert lines[3].startswith("brw-rw---- 1 root root 1, 0 ") and lines[3].endswith("/dev/ram0")
    assert lines[4:] == ["2048", "ram0"]
    assert "ramdisk: module loaded: 1 RAM disk of 1024 KiB" in r.log


def test_load_unload_and_errors() -> None:
    async def body(seen: dict[str, Any]) -> None:
        image_ = await sys_read("/lib/modules/0.1.0/kernel/samples/hello.ko")
        seen["ok"] = await errno_of(sys.init_module(image_, "who=ann"))
        seen["again"] = await errno_of(sys.init_module(image_, ""))
        seen["proc"] = parse_proc_modules(await read_text("/proc/modules") or "")
        seen["bad"] = await errno_of(sys.init_module(b"garbage", ""))
        seen["none"] = await errno_of(sys.init_module(img("nosuch"), ""))
        seen["rm"] = await errno_of(sys.delete_module("hello", 0))
        seen["rm2"] = await errno_of(sys.delete_module("hello", 0))
        seen["greet"] = await errno_of(sys.init_module(img("greet"), ""))

    seen = run_body(body)
    assert (seen["ok"], seen["again"], seen["bad"], seen["none"]) == (0, EEXIST, ENOEXEC, ENOENT)
    assert [(m.name, m.refcnt, m.holders, m.state) for m in seen["proc"]] == [
        ("hello", 0, [], "Live")
    ]
    assert (seen["rm"], seen["rm2"], seen["greet"]) == (0, ENOENT, ENOENT)
    assert "hello: Hello, ann!" in seen["log"] and "hello: Goodbye, ann." in seen["log"]
    assert "greet: Unknown symbol hello_greeting (err -2)" in seen["log"]


async def sys_read(path: str) -> bytes:
    from userland.libk import io as kio

    return await kio.read_file(path)


def test_failing_init_leaves_nothing() -> None:
    async def body(seen: dict[str, Any]) -> None:
        seen["err"] = await errno_of(sys.init_module(img("halfway"), ""))
        seen["dev"] = await list_dir("/dev")
        seen["sys"] = await list_dir("/sys/module")
        seen["misc"] = await list_dir("/sys/class/misc")
        seen["proc"] = await read_text("/proc/modules")

    seen = run_body(body)
    assert seen["err"] == EIO
    assert "halfdev0" not in seen["dev"] and "halfdev0" not in seen["misc"]
    assert "halfway" not in seen["sys"] and seen["proc"] == ""
    assert "halfway: module init failed with error -5" in seen["log"]


def test_a_module_whose_init_crashes_oopses_without_a_panic() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await sys.open("/tmp/buggy.ko", 0o101, 0o644)
        await sys.write(fd, img("buggy"))
        await sys.close(fd)
        pid = await sys.spawn("/bin/sh", ["sh", "-c", "insmod /tmp/buggy.ko"])
        seen["wait"] = await sys.wait4(pid)
        seen["dev"] = await list_dir("/dev")
        seen["proc"] = await read_text("/proc/modules")

    seen = run_body(body)
    assert seen["wait"][1] >> 8 == 139  # sh: insmod died of SIGSEGV
    assert "buggy0" not in seen["dev"] and seen["proc"] == ""
    assert "BUG: buggy: module init raised KeyError: 'no such key'" in seen["log"]


def test_parameters() -> None:
    assert parse_value(Param("b", "bool", False), "y") is True
    assert parse_value(Param("u", "uint", 0), "0x10") == 16
    for p, text in ((Param("u", "uint", 0), "-1"), (Param("i", "int", 0), "x")):
        with pytest.raises(Error):
            parse_value(p, text)

    async def body(seen: dict[str, Any]) -> None:
        seen["bad"] = await errno_of(sys.init_module(img("ramdisk"), "rd_nr=many"))
        seen["ok"] = await errno_of(sys.init_module(img("hello"), "who=ann x=1"))
        fd = await sys.open("/sys/module/hello/parameters/who", 1)
        await sys.write(fd, b"bob\n")
        await sys.close(fd)
        seen["who"] = await read_text("/sys/module/hello/parameters/who")
        await sys.delete_module("hello", 0)
        await sys.init_module(img("ramdisk"), "rd_size=64")
        seen["ro"] = await errno_of(sys.open("/sys/module/ramdisk/parameters/rd_size", 1))
        await sys.delete_module("ramdisk", 0)

    seen = run_body(body)
    assert (seen["bad"], seen["ok"], seen["who"]) == (EINVAL, 0, "bob\n")
    assert seen["ro"] != 0
    assert "ramdisk: 'many' invalid for parameter 'rd_nr'" in seen["log"]
    assert "hello: unknown parameter 'x' ignored" in seen["log"]
    assert "hello: Goodbye, bob." in seen["log"]


def test_open_node_holds_module_and_root_only() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.init_module(img("ramdisk"), "")
        fd = await sys.open("/dev/ram0", O_RDONLY)
        seen["ref"] = await read_text("/sys/module/ramdisk/refcnt")
        seen["busy"] = await errno_of(sys.delete_module("ramdisk", 0))
        await sys.close(fd)
        seen["free"] = await read_text("/sys/module/ramdisk/refcnt")
        seen["rm"] = await errno_of(sys.delete_module("ramdisk", 0))
        seen["gone"] = "ram0" in await list_dir("/dev")
        await sys.setuid(1000)
        seen["eperm"] = await errno_of(sys.init_module(img("hello"), ""))

    seen = run_body(body)
    assert (seen["ref"], seen["busy"], seen["free"]) == ("1\n", EAGAIN, "0\n")
    assert (seen["rm"], seen["gone"], seen["eperm"]) == (0, False, EPERM)


def test_dependency_holds() -> None:
    r = shell(
        "modprobe greet times=2; cat /proc/modules; ls /sys/module/hello/holders;"
        " rmmod hello; echo $?; modprobe -r greet; cat /proc/modules; echo end"
    )
    ok(r)
    assert r.output.splitlines() == [
        "greet 16384 0 - Live 0x0000000000000000",
        "hello 16384 1 greet, Live 0x0000000000000000",
        "greet",
        "rmmod: ERROR: Module hello is in use by: greet",
        "1",
        "end",
    ]
    assert r.log.count("greet: Hello, world (from greet)") == 2


def test_boot_time_modules() -> None:
    info = image(modules=(ModuleSpec("hello", (("who", "x"),)), ModuleSpec("greet")))
    r = run(machine(["/bin/cat", "/proc/modules"], info=info))
    ok(r)
    assert [line.split()[0] for line in r.output.splitlines()] == ["greet", "hello"]
    assert "hello: Hello, x!" in r.log and "modules: loaded hello (who=x)" in r.log


def test_image_schema_module_names() -> None:
    from kernel.image import ImageError, parse_image

    with pytest.raises(ImageError) as info:
        parse_image("name: m\nmodules: [helo]\n", "m.yaml")
    assert str(info.value) == "m.yaml:2:11: modules[0]: no module 'helo'; did you mean 'hello'?"
