"""Tests for kernel.image: the default machine image, defaults and derived values.

Mistakes are in test_image_mistakes.py, syntax errors, loading and fuzzing in
test_image_loading.py, limits, vm and the memory fit check in test_image_limits.py.
"""

from __future__ import annotations

import os
import time

import pytest

from images import default_image_path
from kernel.crypt import crypt
from kernel.image import (
    BootInfo,
    ClockConfig,
    CostModel,
    FileSpec,
    ImageError,
    InitSpec,
    MemoryRegion,
    MountSpec,
    SchedulerConfig,
    User,
    format_duration,
    format_size,
    load_image,
    parse_image,
)

MiB = 1024 * 1024


def parse(text: str) -> BootInfo:
    return parse_image(text, "m.yaml")


def error(text: str) -> str:
    with pytest.raises(ImageError) as info:
        parse(text)
    return str(info.value)


def by_path(info: BootInfo) -> dict[str, FileSpec]:
    return {f.path: f for f in info.files}


# -- the default machine ---------------------------------------------------------------


def test_default_image_values() -> None:
    info = load_image(default_image_path())
    assert info.source == default_image_path()
    assert (info.name, info.hostname, info.cpus, info.seed) == ("libk", "libk", 4, 42)
    assert (info.memory, info.page_size) == (64 * MiB, 4096)
    assert info.clock == ClockConfig("realtime", 1.0, CostModel())
    assert info.scheduler == SchedulerConfig("round-robin", 10_000_000)
    assert info.procfs is True
    assert [u.name for u in info.users] == ["root", "alice"]
    alice = info.users[1]
    assert alice == User("alice", 1000, 1000, "/home/alice", "/bin/sh", (), alice.password)
    assert crypt("alice", alice.password) == alice.password  # documented in the image
    assert crypt("root", info.users[0].password) == info.users[0].password
    assert info.init == InitSpec(("/bin/sh", "-l"), "root", "respawn")
    assert info.memory_regions == (MemoryRegion(MiB, 63 * MiB),)
    assert [(m.fstype, m.target) for m in info.mounts] == [
        ("devfs", "/dev"),
        ("tmpfs", "/tmp"),
        ("procfs", "/proc"),
    ]
    files = by_path(info)
    assert files["/root"].mode == 0o700 and files["/root"].kind == "dir"
    assert files["/etc/hostname"].content == b"libk\n"
    motd = files["/etc/motd"].content.decode()
    for hint in ("ls /bin", "ps", "cat /proc/1/status", "dmesg"):
        assert hint in motd
    for script in ("hello.sh", "pipeline.sh", "background.sh"):
        spec = files[f"/home/alice/{script}"]
        assert (spec.kind, spec.mode, spec.uid, spec.gid) == ("file", 0o755, 1000, 1000)
        assert spec.content.startswith(b"#!/bin/sh\n")
    assert (files["/home/alice"].uid, files["/home/alice"].kind) == (1000, "dir")
    paths = [f.path for f in info.files]
    for path in paths:  # every parent comes before its children
        parent = path.rpartition("/")[0]
        assert not parent or paths.index(parent) < paths.index(path)


def test_default_image_found_from_any_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = default_image_path()
    assert os.path.isabs(path) and os.path.isfile(path)
    assert load_image(path).name == "libk"


def test_default_image_loads_fast() -> None:
    path = default_image_path()
    best = min(_timed(load_image, path) for _ in range(5))
    assert best < 0.010


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


# -- defaults and derived values -------------------------------------------------------


def test_minimal_image_gets_defaults() -> None:
    info = parse("name: tiny\n")
    assert info.source == "m.yaml" and info.hostname == "tiny"
    assert (info.cpus, info.memory, info.page_size, info.seed) == (1, 64 * MiB, 4096, 0)
    assert info.users == (User("root", 0, 0, "/root"),)
    assert info.init == InitSpec()
    assert info.params == ()


def test_bootinfo_direct_construction_fills_derived_fields() -> None:
    info = BootInfo(source="x", name="m", memory=8 * MiB, procfs=False)
    assert info.hostname == "m"
    assert info.memory_regions == (MemoryRegion(MiB, 7 * MiB),)
    assert "procfs" not in [m.fstype for m in info.mounts]


def test_root_added_first_when_missing() -> None:
    info = parse("name: m\nusers:\n  - {name: bob, uid: 7}\n")
    assert [u.name for u in info.users] == ["root", "bob"]
    assert info.users[1] == User("bob", 7, 7, "/home/bob")
    files = by_path(info)
    assert (files["/home/bob"].uid, files["/home/bob"].mode) == (7, 0o755)
    assert files["/root"].mode == 0o700


def test_root_kept_where_the_image_puts_it() -> None:
    info = parse("name: m\nusers:\n  - {name: bob, uid: 7, gid: 100}\n  - {name: root}\n")
    assert [u.name for u in info.users] == ["bob", "root"]
    assert info.users[0].gid == 100


def test_sysfs_and_modules() -> None:
    info = parse("name: m\nsysfs: false\nmodules: [hello, {ramdisk: {rd_size: 1024}}]\n")
    assert info.sysfs is False
    assert [(m.name, m.params) for m in info.modules] == [
        ("hello", ()),
        ("ramdisk", (("rd_size", "1024"),)),
    ]
    assert parse("name: m\n").sysfs is True and parse("name: m\n").modules == ()


def test_procfs_false_drops_proc_mount() -> None:
    info = parse("name: m\nprocfs: false\n")
    assert info.procfs is False
    assert [m.target for m in info.mounts] == ["/dev", "/tmp"]


def test_mounts_replace_by_target_and_extend() -> None:
    text = (
        "name: m\nmounts:\n  - {type: tmpfs, target: /tmp, options: 'size=1M, mode=1777'}\n"
        "  - {type: tmpfs, target: /mnt/scratch/, source: scratch}\n"
    )
    mounts = parse(text).mounts
    assert mounts[1] == MountSpec("tmpfs", "/tmp", "tmpfs", ("size=1M", "mode=1777"))
    assert mounts[-1] == MountSpec("scratch", "/mnt/scratch", "tmpfs")
    assert by_path(parse(text))["/mnt/scratch"].kind == "dir"


def test_implicit_parents_and_normalised_paths() -> None:
    text = "name: m\nfiles:\n  /a/b//c/./d.txt: hi\n  /a/link: {target: b/c/d.txt}\n"
    info = parse(text)
    files = by_path(info)
    for parent in ("/a", "/a/b", "/a/b/c"):
        assert files[parent] == FileSpec(parent, "dir", mode=0o755)
    assert files["/a/b/c/d.txt"] == FileSpec("/a/b/c/d.txt", "file", b"hi")
    assert files["/a/link"] == FileSpec("/a/link", "symlink", target="b/c/d.txt", mode=0o777)
    paths = [f.path for f in info.files]
    assert paths.index("/a") < paths.index("/a/b") < paths.index("/a/b/c/d.txt")


@pytest.mark.parametrize(
    ("written", "mode"),
    [("755", 0o755), ("0755", 0o755), ('"0755"', 0o755), ("'750'", 0o750), ("0o700", 0o700)],
)
def test_modes_are_octal(written: str, mode: int) -> None:
    info = parse(f"name: m\nfiles:\n  /x: {{type: dir, mode: {written}}}\n")
    assert by_path(info)["/x"].mode == mode


def test_owner_and_group_by_name_and_number() -> None:
    text = (
        "name: m\nusers: [{name: alice, uid: 1000, gid: 50}, {name: bob, uid: 1001}]\n"
        "files:\n  /a: {content: x, owner: alice}\n  /b: {content: x, owner: alice, group: bob}\n"
        "  /c: {content: x, owner: 4242, group: 7}\n"
    )
    files = by_path(parse(text))
    assert (files["/a"].uid, files["/a"].gid) == (1000, 50)
    assert (files["/b"].uid, files["/b"].gid) == (1000, 1001)
    assert (files["/c"].uid, files["/c"].gid) == (4242, 7)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("64MiB", 64 * MiB),
        ("64M", 64 * MiB),
        ("64 mib", 64 * MiB),
        ("'4096KiB'", 4 * MiB),
        ("1GiB", 1024 * MiB),
        ("0.5GiB", 512 * MiB),
        ("4194304", 4 * MiB),
        ("16G", 16 * 1024 * MiB),
    ],
)
def test_memory_units(written: str, value: int) -> None:
    assert parse(f"name: m\nmemory: {written}\n").memory == value


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("10ms", 10**7),
        ("500us", 500_000),
        ("1s", 10**9),
        ("250000ns", 250_000),
        ("1.5ms", 1_500_000),
    ],
)
def test_quantum_units(written: str, value: int) -> None:
    assert parse(f"name: m\nscheduler: {{quantum: {written}}}\n").scheduler.quantum == value


def test_costs_page_size_clock_and_params() -> None:
    text = (
        "name: m\npage_size: 16KiB\nmemory: 32MiB\n"
        "clock: {mode: fast, speed: 2.5, costs: {syscall: 1us, tty: 0, spawn: 1ms}}\n"
        "params: {loglevel: 7, quiet: yes, note: hello, empty: }\n"
    )
    info = parse(text)
    assert info.page_size == 16384
    assert info.clock == ClockConfig("fast", 2.5, CostModel(syscall=1000, tty=0, spawn=10**6))
    assert info.params == (("loglevel", "7"), ("quiet", "yes"), ("note", "hello"), ("empty", ""))


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("init: /bin/sh -c 'echo hi'", InitSpec(("/bin/sh", "-c", "echo hi"))),
        ("init: [/bin/sleep, 5]", InitSpec(("/bin/sleep", "5"))),
        ("init: {user: alice, on_exit: poweroff}", InitSpec(user="alice", on_exit="poweroff")),
        ("init: {command: [/bin/ls, /], user: alice}", InitSpec(("/bin/ls", "/"), "alice")),
    ],
)
def test_init_forms(written: str, expected: InitSpec) -> None:
    text = f"name: m\nusers: [{{name: alice, uid: 1000}}]\n{written}\n"
    assert parse(text).init == expected


def test_null_means_default() -> None:
    assert parse("name: m\ncpus:\nclock:\n").cpus == 1


def test_format_helpers() -> None:
    assert format_size(64 * MiB) == "64 MiB"
    assert format_size(4096) == "4 KiB"
    assert format_size(1000) == "1000 B"
    assert format_duration(10**7) == "10ms"
    assert format_duration(250) == "250ns"
