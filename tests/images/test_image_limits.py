"""kernel.image's limits and vm sections, its constants against the kernel's, and the
check that the image's files and the boot fit in the machine's memory."""

from __future__ import annotations

import pytest
from test_image import MiB, error, parse

from kernel.image import ImageError

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
