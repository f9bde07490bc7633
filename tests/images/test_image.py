"""Tests for kernel.image: the machine-image schema, its error messages and the default."""

from __future__ import annotations

import os
import pickle
import random
import time

import pytest
import yaml

from images import default_image_path
from kernel import image
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


# -- mistakes --------------------------------------------------------------------------

ERRORS = [
    # shape
    ("", "m.yaml:1:1: image is empty"),
    ("# just a comment\n", "m.yaml:1:1: image is empty"),
    ("- name: m\n", "m.yaml:1:1: the image must be a mapping of keys like 'name: ...', got a list"),
    ("cpus: 2\n", "m.yaml:1:1: missing required key 'name' in machine"),
    # wrong type
    ("name: m\ncpus: four\n", "m.yaml:2:7: cpus: expected an integer, got a string"),
    ("name: m\ncpus: '4'\n", "m.yaml:2:7: cpus: expected an integer, got a string"),
    (
        "name: 42\n",
        (
            "m.yaml:1:7: name: expected a string, got an integer (put it in quotes if you mean the"
            " text '42')"
        ),
    ),
    ("name: m\nprocfs: 1\n", "m.yaml:2:9: procfs: expected true or false, got an integer"),
    ("name: m\nclock: fast\n", "m.yaml:2:8: clock: expected a mapping, got a string"),
    ("name: m\nusers: {name: bob}\n", "m.yaml:2:8: users: expected a list, got a mapping"),
    (
        "name: m\nclock: {speed: fast}\n",
        "m.yaml:2:16: clock.speed: expected a number, got a string",
    ),
    (
        "name: !!python/object:os.system m\n",
        (
            "m.yaml:1:7: name: unsupported tag '!!python/object:os.system' (only plain YAML values"
            " are allowed)"
        ),
    ),
    (
        "name: m\ncpus: !custom 3\n",
        "m.yaml:2:7: cpus: unsupported tag '!custom' (only plain YAML values are allowed)",
    ),
    # out of range
    ("name: m\ncpus: 100\n", "m.yaml:2:7: cpus: must be between 1 and 64, got 100"),
    ("name: m\ncpus: 0\n", "m.yaml:2:7: cpus: must be between 1 and 64, got 0"),
    ("name: m\nseed: -1\n", "m.yaml:2:7: seed: must be between 0 and 18446744073709551615, got -1"),
    (
        "name: m\nmemory: 32GiB\n",
        "m.yaml:2:9: memory: must be between 2 MiB and 16 GiB, got 32 GiB",
    ),
    ("name: m\npage_size: 3000\n", "m.yaml:2:12: page_size: must be a power of two, got 3000"),
    (
        "name: m\npage_size: 128KiB\n",
        "m.yaml:2:12: page_size: must be between 512 B and 64 KiB, got 128 KiB",
    ),
    (
        "name: m\nmemory: 4097KiB\n",
        "m.yaml:2:9: memory: must be a multiple of page_size (4096), got 4195328",
    ),
    (
        "name: m\nclock:\n  speed: 200\n",
        "m.yaml:3:10: clock.speed: must be between 0.1 and 100, got 200",
    ),
    (
        "name: m\nscheduler: {quantum: 2s}\n",
        "m.yaml:2:22: scheduler.quantum: must be between 1us and 1s, got 2s",
    ),
    (
        "name: 'a b'\n",
        "m.yaml:1:7: name: 'a b' is not a valid name (it must match [A-Za-z0-9._-]{1,64})",
    ),
    # unknown keys
    ("name: m\ncpu: 4\n", "m.yaml:2:1: unknown key 'cpu' in machine; did you mean 'cpus'?"),
    (
        "name: m\nclock:\n  mdoe: fast\n",
        "m.yaml:3:3: unknown key 'mdoe' in clock; did you mean 'mode'?",
    ),
    (
        "name: m\nclock: {costs: {syscal: 1}}\n",
        "m.yaml:2:17: unknown key 'syscal' in clock.costs; did you mean 'syscall'?",
    ),
    (
        "name: m\nzzz: 1\n",
        (
            "m.yaml:2:1: unknown key 'zzz' in machine; expected one of: name, hostname, cpus,"
            " memory, page_size, seed, clock, scheduler, users, files, mounts, procfs, sysfs,"
            " init, params, limits, vm, heap, devices, modules"
        ),
    ),
    (
        "name: m\nusers: [{name: bob, uid: 5, hom: /x}]\n",
        "m.yaml:2:29: unknown key 'hom' in users[0]; did you mean 'home'?",
    ),
    # duplicates
    ("name: m\ncpus: 1\n\ncpus: 2\n", "m.yaml:4:1: duplicate key 'cpus' (first defined at line 2)"),
    (
        "name: m\nusers:\n  - {name: bob, uid: 5}\n  - {name: bob, uid: 6}\n",
        "m.yaml:4:12: duplicate user 'bob' (first defined at line 3)",
    ),
    (
        "name: m\nusers:\n  - {name: bob, uid: 5}\n  - {name: eve, uid: 5}\n",
        "m.yaml:4:22: users[1].uid: uid 5 is already used by 'bob'",
    ),
    (
        "name: m\nfiles:\n  /a: x\n  /a/: y\n",
        "m.yaml:4:3: duplicate path '/a' (first defined at line 3)",
    ),
    # bad units
    (
        "name: m\nmemory: 64MB\n",
        "m.yaml:2:9: memory: bad size '64MB': unknown unit 'MB'; did you mean '64MiB'?",
    ),
    (
        "name: m\nmemory: 64 parsecs\n",
        (
            "m.yaml:2:9: memory: bad size '64 parsecs': unknown unit 'parsecs'; use B, KiB, MiB,"
            " GiB"
            " or TiB (K, M, G and T mean the same)"
        ),
    ),
    (
        "name: m\nmemory: lots\n",
        "m.yaml:2:9: memory: bad size 'lots': expected a number and a unit, like '64MiB'",
    ),
    (
        "name: m\nscheduler: {quantum: 10 min}\n",
        (
            "m.yaml:2:22: scheduler.quantum: bad duration '10 min': unknown unit 'min'; use ns, us,"
            " ms or s"
        ),
    ),
    (
        "name: m\nscheduler: {quantum: 1.5ns}\n",
        "m.yaml:2:22: scheduler.quantum: '1.5ns' is not a whole number of nanoseconds",
    ),
    (
        "name: m\nmemory: 1.5\n",
        "m.yaml:2:9: memory: expected a size like '64MiB' or an integer, got a number",
    ),
    # bad enums
    (
        "name: m\nclock: {mode: slow}\n",
        "m.yaml:2:15: clock.mode: must be one of 'realtime' or 'fast', got 'slow'",
    ),
    (
        "name: m\nscheduler: {policy: fifo}\n",
        "m.yaml:2:21: scheduler.policy: must be 'round-robin', got 'fifo'",
    ),
    (
        "name: m\nmounts: [{type: ext4, target: /mnt}]\n",
        "m.yaml:2:17: mounts[0].type: must be one of 'tmpfs', 'devfs' or 'procfs', got 'ext4'",
    ),
    (
        "name: m\ninit: {on_exit: halt}\n",
        "m.yaml:2:17: init.on_exit: must be one of 'respawn' or 'poweroff', got 'halt'",
    ),
    (
        "name: m\nfiles: {/x: {type: fifo}}\n",
        "m.yaml:2:20: files[/x].type: must be one of 'file', 'dir' or 'symlink', got 'fifo'",
    ),
    # unknown users and groups
    (
        "name: m\nusers: [{name: alice, uid: 1000}]\nfiles:\n  /x: {content: hi, owner: alcie}\n",
        "m.yaml:4:28: files[/x].owner: unknown user 'alcie'; did you mean 'alice'?",
    ),
    (
        "name: m\nfiles:\n  /x: {content: hi, group: wheel}\n",
        "m.yaml:3:28: files[/x].group: unknown group 'wheel'; groups are: root",
    ),
    ("name: m\ninit: {user: bob}\n", "m.yaml:2:14: init.user: unknown user 'bob'; users are: root"),
    (
        "name: m\nusers: [{name: bob, uid: 5, groups: [wheel]}]\n",
        (
            "m.yaml:2:38: users[0].groups: unknown group 'wheel'; groups are named after users:"
            " root, bob"
        ),
    ),
    # bad paths and files
    (
        "name: m\nfiles:\n  etc/motd: hi\n",
        "m.yaml:3:3: files: 'etc/motd' is not an absolute path (it must start with '/')",
    ),
    ("name: m\nfiles:\n  /etc/../x: hi\n", "m.yaml:3:3: files: '/etc/../x' must not contain '..'"),
    (
        "name: m\nfiles:\n  /proc/x: hi\n",
        (
            "m.yaml:3:3: files: '/proc/x' is under /proc, which is mounted over at boot (files"
            " there"
            " would be hidden)"
        ),
    ),
    (
        "name: m\nfiles:\n  /dev/null: hi\n",
        (
            "m.yaml:3:3: files: '/dev/null' is under /dev, which is mounted over at boot (files"
            " there would be hidden)"
        ),
    ),
    (
        "name: m\nfiles:\n  /tmp: hi\n",
        "m.yaml:3:3: files: '/tmp' is a mount point, so it must be a dir",
    ),
    (
        "name: m\nfiles:\n  /a: hi\n  /a/b: there\n",
        "m.yaml:4:3: '/a/b' is inside '/a', which is a file, not a dir",
    ),
    (
        "name: m\nfiles:\n  /a: {owner: root}\n",
        "m.yaml:3:7: files[/a]: missing key 'type' (one of 'file', 'dir' or 'symlink')",
    ),
    (
        "name: m\nfiles:\n  /a: {type: dir, content: x}\n",
        "m.yaml:3:19: files[/a].content: only a file has content, not a dir",
    ),
    (
        "name: m\nfiles:\n  /a: {type: file, mode: 0999}\n",
        "m.yaml:3:26: files[/a].mode: '0999' is not an octal mode like '0755'",
    ),
    (
        "name: m\nfiles:\n  /a: 12\n",
        "m.yaml:3:7: files[/a]: expected a string or a mapping, got an integer",
    ),
    (
        "name: m\nusers: [{name: alice, uid: 1000}]\nfiles:\n  /home/alice: hi\n",
        "m.yaml:4:3: files: '/home/alice' is alice's home, so it must be a dir",
    ),
    ("name: m\ninit: sh -l\n", "m.yaml:2:7: init: the program must be an absolute path, got 'sh'"),
    (
        'name: m\ninit: "/bin/sh -c \'oops"\n',
        "m.yaml:2:7: init: cannot split '/bin/sh -c 'oops': No closing quotation",
    ),
    (
        "name: m\nusers: [{name: Bob, uid: 5}]\n",
        (
            "m.yaml:2:16: users[0].name: 'Bob' is not a valid user name (up to 32 lowercase"
            " letters,"
            " digits, '_' or '-', not starting with a digit or '-')"
        ),
    ),
    ("name: m\nusers: [{name: bob}]\n", "m.yaml:2:9: missing required key 'uid' in users[0]"),
    (
        "name: m\nusers: [{name: toor, uid: 0}]\n",
        "m.yaml:2:27: users[0].uid: uid 0 belongs to root",
    ),
    (
        "name: m\nprocfs: false\nmounts: [{type: procfs, target: /proc}]\n",
        "m.yaml:3:17: mounts[0].type: procfs is turned off (procfs: false)",
    ),
    (
        "name: m\nmerge: &a {x: 1}\n<<: *a\n",
        (
            "m.yaml:2:1: unknown key 'merge' in machine; expected one of: name, hostname, cpus,"
            " memory, page_size, seed, clock, scheduler, users, files, mounts, procfs, sysfs,"
            " init, params, limits, vm, heap, devices, modules"
        ),
    ),
    (
        "name: m\nclock: {<<: {mode: fast}}\n",
        "m.yaml:2:9: merge keys ('<<') are not supported in clock",
    ),
    ("name: m\nparams: {a b: 1}\n", "m.yaml:2:10: params: 'a b' is not a valid parameter name"),
    ("name: m\nparams: {x: [1]}\n", "m.yaml:2:13: params.x: expected a single value, got a list"),
    (
        "name: m\n" + "x: " + "[" * 100 + "]" * 100 + "\n",
        "m.yaml:2:67: nested too deeply (more than 64 levels)",
    ),
    # limits and vm
    (
        "name: m\nlimits: {nofiel: 5}\n",
        "m.yaml:2:10: unknown key 'nofiel' in limits; did you mean 'nofile'?",
    ),
    ("name: m\nlimits: [nofile]\n", "m.yaml:2:9: limits: expected a mapping, got a list"),
    (
        "name: m\nlimits: {nofile: [10, 5]}\n",
        "m.yaml:2:19: limits.nofile: the soft limit (10) is above the hard one (5)",
    ),
    (
        "name: m\nlimits: {data: [unlimited, 1GiB]}\n",
        "m.yaml:2:17: limits.data: the soft limit (unlimited) is above the hard one (1 GiB)",
    ),
    (
        "name: m\nlimits: {nofile: 2000000}\n",
        "m.yaml:2:18: limits.nofile: must be at most 1048576 (fs.nr_open), got 2000000",
    ),
    (
        "name: m\nlimits: {nofile: [1, unlimited]}\n",
        "m.yaml:2:22: limits.nofile: must be at most 1048576 (fs.nr_open), got unlimited",
    ),
    (
        "name: m\nlimits: {stack: 8MB}\n",
        "m.yaml:2:17: limits.stack: bad size '8MB': unknown unit 'MB'; did you mean '8MiB'?",
    ),
    (
        "name: m\nlimits: {as: 1.5}\n",
        "m.yaml:2:14: limits.as: expected a size like '8MiB', an integer or 'unlimited', got a"
        " number",
    ),
    (
        "name: m\nlimits: {nproc: lots}\n",
        "m.yaml:2:17: limits.nproc: expected an integer or 'unlimited', got a string",
    ),
    (
        "name: m\nlimits: {cpu: 10s}\n",
        "m.yaml:2:15: limits.cpu: expected an integer or 'unlimited', got a string",
    ),
    (
        "name: m\nlimits: {nproc: [1, 2, 3]}\n",
        "m.yaml:2:17: limits.nproc: expected [soft, hard], got 3 values",
    ),
    (
        "name: m\nlimits: {nproc: -1}\n",
        "m.yaml:2:17: limits.nproc: must be between 0 and 18446744073709551614 or 'unlimited',"
        " got -1",
    ),
    (
        "name: m\nvm: {overcommit_memory: 3}\n",
        "m.yaml:2:25: vm.overcommit_memory: must be between 0 and 2, got 3",
    ),
    (
        "name: m\nvm: {overcommit_memroy: 1}\n",
        "m.yaml:2:6: unknown key 'overcommit_memroy' in vm; did you mean 'overcommit_memory'?",
    ),
    (
        "name: m\nvm: {overcommit_ratio: -5}\n",
        "m.yaml:2:24: vm.overcommit_ratio: must be between 0 and 2147483647, got -5",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_mistakes_are_located(text: str, expected: str) -> None:
    assert error(text) == expected


LIBYAML = image._Loader is not yaml.SafeLoader


@pytest.mark.skipif(not LIBYAML, reason="libyaml words its syntax errors differently")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: m\ncpus: [1, 2\n",
            "m.yaml:3:1: while parsing a flow sequence, did not find expected ',' or ']'",
        ),
        (
            "name: m\n\tcpus: 2\n",
            (
                "m.yaml:2:1: while scanning a plain scalar, found a tab character that violates"
                " indentation"
            ),
        ),
        ("name: m\ncpus: *nope\n", "m.yaml:2:7: found undefined alias"),
        (
            "name: m\n---\nname: n\n",
            "m.yaml:2:1: expected a single document in the stream, but found another document",
        ),
    ],
)
def test_syntax_errors_are_located(text: str, expected: str) -> None:
    assert error(text) == expected


@pytest.mark.parametrize("loader", [yaml.SafeLoader, image._Loader])
def test_syntax_errors_with_either_loader(loader, monkeypatch) -> None:
    monkeypatch.setattr(image, "_Loader", loader)
    assert error("name: m\ncpus: 2\n  bad: [\n").startswith("m.yaml:3:")
    assert (
        error("name: m\ncpus: 1\ncpus: 2\n")
        == "m.yaml:3:1: duplicate key 'cpus' (first defined at line 2)"
    )


def test_error_attributes_and_pickling() -> None:
    with pytest.raises(ImageError) as info:
        parse("name: m\ncpus: 100\n")
    e = info.value
    assert (e.path, e.line, e.col) == ("m.yaml", 2, 7)
    assert e.message == "cpus: must be between 1 and 64, got 100"
    assert str(pickle.loads(pickle.dumps(e))) == str(e)


def test_missing_file(tmp_path) -> None:
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(ImageError) as info:
        load_image(path)
    assert str(info.value) == f"{path}:1:1: No such file or directory"


def test_directory_and_bad_encoding(tmp_path) -> None:
    with pytest.raises(ImageError, match=r":1:1: Is a directory$"):
        load_image(str(tmp_path))
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"name: m\nhostname: \xff\n")
    with pytest.raises(ImageError) as info:
        load_image(str(bad))
    assert str(info.value) == f"{bad}:2:11: not valid UTF-8 (byte 0xff)"


def test_load_image_reads_file(tmp_path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("\ufeffname: disk\ncpus: 2\n", encoding="utf-8")
    info = load_image(str(path))
    assert (info.source, info.name, info.cpus) == (str(path), "disk", 2)


def test_control_characters_are_located() -> None:
    assert error("name: m\nhostname: é\x01\n").startswith("m.yaml:2:12: ")
    assert error("name: m\nhostname: \ud800\n").startswith("m.yaml:2:11: ")


# -- never a traceback -----------------------------------------------------------------

_PIECES = [
    "name: m\n",
    "name:",
    "cpus:",
    "memory:",
    "page_size:",
    "clock:",
    "costs:",
    "speed:",
    "mode:",
    "users:",
    "files:",
    "mounts:",
    "init:",
    "params:",
    "procfs:",
    "scheduler:",
    "quantum:",
    "owner:",
    "group:",
    "type:",
    "target:",
    "content:",
    "command:",
    "seed:",
    " - ",
    "  ",
    "\n",
    "\t",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "'",
    '"',
    "&a ",
    "*a",
    "!!int ",
    "!!binary ",
    "!!str ",
    "!!python/object:os.system ",
    "!x ",
    "<<: ",
    "? ",
    "|",
    ">",
    "#",
    "---\n",
    "...\n",
    "0755",
    "755",
    "64MiB",
    "10ms",
    "1e3",
    "-1",
    "~",
    "null",
    "yes",
    "true",
    ".inf",
    ".nan",
    "0x1f",
    "1:30",
    "/etc/motd",
    "/a/../b",
    "/proc/x",
    "alice",
    "root",
    "/bin/sh -l",
    "2001-12-14",
    "\x00",
    "é",
    "\ud800",
    "\ufeff",
    "%YAML 1.1\n",
    "limits:",
    "nofile:",
    "stack:",
    "unlimited",
    "[1, 2]",
    "vm:",
    "overcommit_memory:",
    "memory: 2MiB\n",
    "x" * 5000,
]


def _fuzz_cases(rng: random.Random) -> list[str]:
    cases: list[str] = []
    with open(default_image_path(), encoding="utf-8") as f:
        default = f.read()
    for _ in range(150):
        cases.append("".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 40))))
    for _ in range(100):
        cases.append(rng.randbytes(rng.randint(0, 200)).decode("latin-1"))
    for _ in range(150):  # the default image with a few characters swapped or cut
        chars = list(default)
        for _ in range(rng.randint(1, 6)):
            chars[rng.randrange(len(chars))] = rng.choice(_PIECES)
        cases.append("".join(chars)[: rng.randint(0, len(chars))])
    return cases


@pytest.mark.parametrize("loader", ["default", "pure-python"])
def test_fuzz_never_raises_anything_but_image_error(loader: str, monkeypatch) -> None:
    if loader == "pure-python":
        monkeypatch.setattr(image, "_Loader", yaml.SafeLoader)
    for case in _fuzz_cases(random.Random(1234)):
        try:
            parse_image(case, "fuzz.yaml")
        except ImageError as e:
            assert e.line >= 1 and e.col >= 1 and str(e).startswith("fuzz.yaml:")


def test_readme_example_is_a_valid_image() -> None:
    with open(os.path.join(os.path.dirname(default_image_path()), "README.md")) as f:
        readme = f.read()
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    info = parse(example)
    assert info.init == InitSpec(("/home/bob/run.sh",), "bob", "poweroff")


# -- limits, vm, and files that must fit in memory ---------------------------------------

INF = (1 << 64) - 1


def test_limits_and_vm_sections() -> None:
    from kernel.abi import (
        RLIMIT_AS,
        RLIMIT_CORE,
        RLIMIT_CPU,
        RLIMIT_DATA,
        RLIMIT_NOFILE,
        RLIMIT_NPROC,
        RLIMIT_STACK,
    )

    info = parse(
        "name: m\n"
        "limits:\n"
        "  nofile: 1024\n"
        "  nproc: [256, 512]\n"
        "  stack: 8MiB\n"
        "  as: unlimited\n"
        "  core: 0\n"
        "  cpu: [60, Infinity]\n"
        "  data: [1 GiB, 4294967296]\n"
        "vm: {overcommit_memory: 2, overcommit_ratio: 80}\n"
    )
    assert info.limits == (
        (RLIMIT_CPU, (60, INF)),
        (RLIMIT_DATA, (1 << 30, 1 << 32)),
        (RLIMIT_STACK, (8 * MiB, 8 * MiB)),
        (RLIMIT_CORE, (0, 0)),
        (RLIMIT_NPROC, (256, 512)),
        (RLIMIT_NOFILE, (1024, 1024)),
        (RLIMIT_AS, (INF, INF)),
    )
    assert (info.overcommit_memory, info.overcommit_ratio) == (2, 80)
    plain = parse("name: m\nlimits:\nvm:\n")
    assert (plain.limits, plain.overcommit_memory, plain.overcommit_ratio) == ((), 0, 50)


def test_image_constants_agree_with_the_kernel() -> None:
    from kernel import abi, imagetypes, sysmem

    assert imagetypes.RLIM_INFINITY == abi.RLIM_INFINITY
    assert imagetypes.NR_OPEN == sysmem.NR_OPEN
    for name, (number, _) in imagetypes.LIMITS.items():
        assert getattr(abi, f"RLIMIT_{name.upper()}") == number
    assert len(imagetypes.LIMITS) == abi.RLIM_NLIMITS


def _big(path: str, nbytes: int) -> str:
    return f"  {path}: {'x' * nbytes}\n"


def test_files_larger_than_memory_point_at_the_largest_file() -> None:
    text = "name: m\nmemory: 4MiB\nfiles:\n" + _big("/a", 1000) + _big("/big", 3 * MiB + 512)
    assert error(text) == (
        "m.yaml:5:3: files: the image's files need 3088 KiB but only 3072 KiB of memory is free"
        " (memory: 4 MiB, less the kernel's 1 MiB); the largest is '/big' (3073 KiB)"
    )


def test_files_that_leave_no_room_for_boot_point_at_memory() -> None:
    text = "name: m\nmemory: 4MiB\nfiles:\n" + _big("/big", 2 * MiB)
    assert error(text) == (
        "m.yaml:2:9: memory: 4 MiB is too small for this image: its files need 2056 KiB and"
        " boot needs up to 2300 KiB more (/bin, the manual, init), but only 3072 KiB is free"
        " (the first 1 MiB is the kernel's)"
    )
    assert error("name: m\nmemory: 2MiB\n").startswith(
        "m.yaml:2:9: memory: 2 MiB is too small for this image: its files need 8 KiB"
    )
    assert parse("name: m\nmemory: 2MiB\npage_size: 512\n").memory == 2 * MiB  # smaller pages


def _boot_files(k) -> tuple[int, int]:
    """Regular files in the root file system boot made, and their bytes."""
    from kernel.fs.vfs import DirInode, FileInode

    count = size = 0
    stack = [k.root_ns.root]
    while stack:
        node = stack.pop()
        for child in node.children.values():
            if isinstance(child, DirInode):
                stack.append(child)
            elif isinstance(child, FileInode):
                count += 1
                size += child.cache.size
    return count, size


def test_boot_stays_within_the_reserve_the_fit_check_assumes(installed_programs) -> None:
    from kernel.imagetypes import BOOT_BYTES, BOOT_FILES, BOOT_RUN_PAGES, boot_reserve_pages
    from kernel.main import start_kernel

    for page_size in (512, 1024, 4096):
        info = parse(f"name: m\npage_size: {page_size}\n")
        k = start_kernel(info)
        files, nbytes = _boot_files(k)
        hint = "boot installs more than kernel/imagetypes.py's BOOT_FILES/BOOT_BYTES allow"
        assert files <= BOOT_FILES and nbytes <= BOOT_BYTES, (files, nbytes, hint)
        assert k.frames.by_kind["shmem"] <= boot_reserve_pages(page_size) - BOOT_RUN_PAGES
        assert k.frames.by_kind["anon"] <= BOOT_RUN_PAGES
        _discard(k)


def _discard(k) -> None:
    for t in list(k.procs.threads.values()):
        if t.coro is not None:
            t.coro.close()


def test_an_image_that_just_fits_boots_and_runs(installed_programs) -> None:
    from kernel.boot import boot, with_init
    from kernel.imagetypes import boot_reserve_pages
    from kernel.kernel import HALTED

    free = 3 * MiB // 4096
    room = free - boot_reserve_pages(4096) - 2  # /etc/passwd and /etc/group
    text = "name: m\nmemory: 4MiB\nfiles:\n" + _big("/big", room * 4096)
    info = parse(text)
    with pytest.raises(ImageError):
        parse(text.replace(f"{'x' * 10}\n", f"{'x' * 11}\n"))  # one byte more: one page more
    k = boot(with_init(info, ["/bin/sh", "-c", "wc -c /big; ls / >/dev/null && echo ran"]))
    k.console.hangup()
    out = bytearray()
    for _ in range(2000):
        state = k.run(budget=50_000)
        out += k.console.drain()
        if state == HALTED:
            break
    out += k.console.drain()
    assert out.decode().replace("\r\n", "\n") == f"{room * 4096} /big\nran\n"
    assert k.power_status == 0


def test_one_reading_reports_every_independent_mistake() -> None:
    text = "name: m\ncpus: 99\nmemory: 3GB\nclock: {mode: warp}\nseed: -1\n"
    with pytest.raises(ImageError) as caught:
        parse(text)
    lines = str(caught.value).splitlines()
    assert [e.line for e in caught.value.all] == [2, 3, 4, 5]
    assert lines[0] == "m.yaml:2:7: cpus: must be between 1 and 64, got 99"
    assert lines[2].startswith("m.yaml:4:15: clock.mode: must be one of")


def test_mistakes_that_follow_from_another_are_not_reported() -> None:
    # a bad users section would make every owner in files unknown: only it is reported
    text = "name: m\nusers: 7\nfiles:\n  /x: {content: hi, owner: bob}\n"
    with pytest.raises(ImageError) as caught:
        parse(text)
    assert len(caught.value.all) == 1 and caught.value.line == 2
