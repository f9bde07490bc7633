"""kernel.image's mistakes: every wrong image is reported with its place and a message
naming what is wrong, every independent mistake at once, and none that only follows
from another."""

from __future__ import annotations

import pytest
from test_image import error, parse

from kernel.image import ImageError

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
