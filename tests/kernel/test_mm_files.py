"""Real memory: file mappings (shared, private copy on write, SIGBUS past the end) and
mmap's argument errors."""

from __future__ import annotations

from typing import Any

from ksim import errno_of, ok, run_main
from test_mm import ANON, PS, RW, _died_of

from kernel.abi import (
    EACCES,
    EBADF,
    EEXIST,
    EFAULT,
    EINVAL,
    ENODEV,
    ENOMEM,
    MADV_DONTNEED,
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_FIXED_NOREPLACE,
    MAP_PRIVATE,
    MAP_SHARED,
    MREMAP_FIXED,
    MREMAP_MAYMOVE,
    MS_ASYNC,
    MS_SYNC,
    O_CREAT,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_READ,
    SIGBUS,
)
from userland.libk import sys


# ---------------------------------------------------------------------- file mappings
def test_a_shared_file_mapping_and_read_write_see_the_same_bytes() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        fd = await sys.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
        await sys.write(fd, b"hello, world")
        a = await sys.mmap(0, PS, RW, MAP_SHARED, fd, 0)
        seen["mapped"] = mem.read(a, 12)
        mem.write(a, b"HELLO")
        await sys.lseek(fd, 0)
        seen["file"] = await sys.read(fd, 100)
        await sys.lseek(fd, 7)
        await sys.write(fd, b"WORLD")
        seen["after_write"] = mem.read(a, 12)
        await sys.close(fd)
        seen["after_close"] = mem.read(a, 5)
        return 0

    ok(run_main(main))
    assert seen["mapped"] == b"hello, world"
    assert seen["file"] == b"HELLO, world"
    assert seen["after_write"] == b"HELLO, WORLD"
    assert seen["after_close"] == b"HELLO"


def test_a_private_file_mapping_is_copy_on_write() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        fd = await sys.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
        await sys.write(fd, b"abcdef" + bytes(PS))
        a = await sys.mmap(0, 2 * PS, RW, MAP_PRIVATE, fd, 0)
        await sys.lseek(fd, 0)
        await sys.write(fd, b"X")  # not yet copied: the mapping shows the file
        seen["before"] = mem.read(a, 3)
        mem.store8(a + 1, ord("Y"))  # the first store copies the page
        await sys.lseek(fd, 2)
        await sys.write(fd, b"Z")
        seen["after"] = mem.read(a, 3)
        await sys.lseek(fd, 0)
        seen["file"] = await sys.read(fd, 3)
        return 0

    ok(run_main(main))
    assert seen["before"] == b"Xbc"
    assert seen["after"] == b"XYc"
    assert seen["file"] == b"XbZ"


def test_past_the_end_of_a_mapped_file_is_sigbus_and_truncate_unmaps() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        fd = await sys.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
        await sys.write(fd, bytes(PS + 10))
        a = await sys.mmap(0, 3 * PS, PROT_READ, MAP_SHARED, fd, 0)
        seen["tail"] = mem.load8(a + 2 * PS - 1)  # in the file's last page: zeros
        await sys.ftruncate(fd, 10)
        seen["first"] = mem.load8(a)
        mem.load8(a + PS)
        return 0

    r = run_main(main)
    assert _died_of(r, SIGBUS)
    assert seen == {"tail": 0, "first": 0}
    assert "bus error at" in r.log


def test_mmap_argument_errors_are_linuxs() -> None:
    seen: dict[str, int] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/tmp/f", O_RDWR | O_CREAT, 0o644)
        ro = await sys.open("/tmp/f", O_RDONLY)
        wo = await sys.open("/tmp/f", O_WRONLY)
        d = await sys.open("/tmp", O_RDONLY)
        a = await sys.mmap(0, PS, RW, ANON)
        cases = {
            "zero length": sys.mmap(0, 0, RW, ANON),
            "neither shared nor private": sys.mmap(0, PS, RW, MAP_ANONYMOUS),
            "unknown prot": sys.mmap(0, PS, 0x80, ANON),
            "unaligned fixed": sys.mmap(a + 1, PS, RW, ANON | MAP_FIXED),
            "unaligned offset": sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, fd, 100),
            "bad fd": sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, 77, 0),
            "write-only file": sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, wo, 0),
            "shared writable, read-only file": sys.mmap(0, PS, RW, MAP_SHARED, ro, 0),
            "a directory": sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, d, 0),
            "noreplace over a mapping": sys.mmap(a, PS, RW, ANON | MAP_FIXED_NOREPLACE),
            "huge": sys.mmap(0, 1 << 60, RW, ANON),
            "munmap unaligned": sys.munmap(a + 1, PS),
            "munmap zero": sys.munmap(a, 0),
            "mprotect unmapped": sys.mprotect(0x10000, PS, PROT_READ),
            "mprotect unaligned": sys.mprotect(a + 8, PS, PROT_READ),
            "mprotect write, ro shared": sys.mprotect(
                await sys.mmap(0, PS, PROT_READ, MAP_SHARED, ro, 0), PS, RW
            ),
            "mremap not mapped": sys.mremap(0x10000, PS, 2 * PS, MREMAP_MAYMOVE),
            "mremap zero": sys.mremap(a, PS, 0, MREMAP_MAYMOVE),
            "mremap fixed alone": sys.mremap(a, PS, PS, MREMAP_FIXED, 0x20000),
            "madvise bad advice": sys.madvise(a, PS, 12345),
            "madvise unmapped": sys.madvise(0x10000, PS, MADV_DONTNEED),
            "mincore unaligned": sys.mincore(a + 3, PS),
            "msync both": sys.msync(a, PS, MS_ASYNC | MS_SYNC),
            "msync unmapped": sys.msync(0x10000, PS, MS_SYNC),
            "futex unmapped": sys.futex(0x10000, 0, 0),
            "name a file mapping": sys.prctl(
                PR_SET_VMA,
                PR_SET_VMA_ANON_NAME,
                await sys.mmap(0, PS, PROT_READ, MAP_PRIVATE, fd, 0),
                PS,
                "x",
            ),
            "a bad name": sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, a, PS, "a[b]"),
            "not an address": sys.mmap("x", PS, RW, ANON),
        }
        for name, req in cases.items():
            seen[name] = await errno_of(req)
        return 0

    ok(run_main(main))
    assert seen == {
        "zero length": EINVAL,
        "neither shared nor private": EINVAL,
        "unknown prot": EINVAL,
        "unaligned fixed": EINVAL,
        "unaligned offset": EINVAL,
        "bad fd": EBADF,
        "write-only file": EACCES,
        "shared writable, read-only file": EACCES,
        "a directory": ENODEV,
        "noreplace over a mapping": EEXIST,
        "huge": ENOMEM,
        "munmap unaligned": EINVAL,
        "munmap zero": EINVAL,
        "mprotect unmapped": ENOMEM,
        "mprotect unaligned": EINVAL,
        "mprotect write, ro shared": EACCES,
        "mremap not mapped": EFAULT,
        "mremap zero": EINVAL,
        "mremap fixed alone": EINVAL,
        "madvise bad advice": EINVAL,
        "madvise unmapped": ENOMEM,
        "mincore unaligned": EINVAL,
        "msync both": EINVAL,
        "msync unmapped": ENOMEM,
        "futex unmapped": EFAULT,
        "name a file mapping": EBADF,
        "a bad name": EINVAL,
        "not an address": EINVAL,
    }
