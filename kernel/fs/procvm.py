"""What /proc says about the machine's memory, in Linux's formats, and the vm sysctls.

``/proc/meminfo`` and ``/proc/vmstat`` (one :meth:`ProcVm.mem_state` behind both:
the frame allocator's counts by kind, the page-cache frames some page table maps, the
watermarks ``min_free_kbytes`` sets), ``/proc/buddyinfo``, and the sysctl files
``/proc/sys/vm/*`` and ``/proc/sys/kernel/threads-max``, whose writes are parsed as
Linux's ``proc_dointvec`` does. Per-process memory files are ``kernel.fs.procmem``'s;
``kernel.fs.procfs`` places both in the tree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kernel.abi import EINVAL, EPERM, Error

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.kernel import Kernel

THREAD_STACK_KB = 16  # a kernel stack per thread (x86-64's THREAD_SIZE)
PMD_ENTRIES = 512  # a huge page spans one page table of 512 entries
DIRTY_RATIO, DIRTY_BACKGROUND_RATIO = 20, 10  # /proc/sys/vm/dirty_ratio and friend
SYSCTL_SEP = b" \t\n"
SPACES = b" \t\n\v\f\r"
HEX = [bytes([c]) for c in b"0123456789abcdef"]


# ---------------------------------------------------------------------- number parsing
def _parse_radix(s: bytes, i: int) -> tuple[int, int]:
    """An unsigned number at ``s[i:]`` in base 0 (0x hex, 0 octal, else decimal);
    returns (value, end index).

    Raises:
        Error: EINVAL when no digit is there.
    """
    base = 10
    if s[i : i + 2].lower() == b"0x" and s[i + 2 : i + 3].lower() in HEX:
        base, i = 16, i + 2
    elif s[i : i + 1] == b"0":
        base = 8
    digits = "0123456789abcdef"[:base]
    j = i
    while j < len(s) and chr(s[j]).lower() in digits:
        j += 1
    if j == i:
        raise Error(EINVAL)
    return int(s[i:j], base), j


def parse_sysctl(data: bytes, *, signed: bool = True) -> int:
    """A number written to a sysctl, as Linux's proc_dointvec / proc_doulongvec read it:
    leading white space, an optional ``-``, base 0, then white space or the end.

    Raises:
        Error: EINVAL for anything else, or a value out of the type's range.
    """
    i = 0
    while i < len(data) and data[i] in SPACES:
        i += 1
    if i == len(data):
        raise Error(EINVAL)
    neg = data[i : i + 1] == b"-"
    if neg:
        if not signed:
            raise Error(EINVAL)
        i += 1
    value, j = _parse_radix(data, i)
    if j < len(data) and data[j] not in SYSCTL_SEP:
        raise Error(EINVAL)
    if neg:
        value = -value
    lo, hi = (-(1 << 31), (1 << 31) - 1) if signed else (0, (1 << 64) - 1)
    if not lo <= value <= hi:
        raise Error(EINVAL)
    return value


def parse_kstrtoint(data: bytes) -> int:
    """Linux's kstrtoint(strstrip(buf), 0): an optional sign, base 0, nothing else.

    Raises:
        Error: EINVAL.
    """
    s = data[:12].strip(SPACES)  # the kernel copies at most 12 bytes
    i = 1 if s[:1] in (b"-", b"+") else 0
    if i == len(s):
        raise Error(EINVAL)
    value, j = _parse_radix(s, i)
    if j != len(s):
        raise Error(EINVAL)
    value = -value if s[:1] == b"-" else value
    if not -(1 << 31) <= value < 1 << 31:
        raise Error(EINVAL)
    return value


# ---------------------------------------------------------------------- the generators
class ProcVm:
    """The generators of /proc's machine-wide memory files, for one kernel (``self.k``)."""

    k: Kernel

    def _mapped_cache(self) -> tuple[int, int]:
        """Page-cache frames some page table maps: (shmem, file)."""
        seen: set[int] = set()
        shmem = file = 0
        for proc in self.k.procs.procs.values():
            for a in proc.mm.areas:
                cache = a.cache
                if cache is None or id(cache) in seen:
                    continue
                seen.add(id(cache))
                for page in cache.pages.values():
                    if page.mapcount:
                        if page.kind == "file":
                            file += 1
                        else:
                            shmem += 1
        return shmem, file

    def _watermarks(self) -> tuple[int, int, int]:
        """The zone's (min, low, high) watermarks in pages, from min_free_kbytes as
        Linux's __setup_per_zone_wmarks sets them."""
        fr = self.k.frames
        wmin = self.k.vm.min_free_kbytes * 1024 // fr.page_size
        tmp = max(wmin >> 2, fr.buddy.total_pages * 10 // 10000)
        return wmin, wmin + tmp, wmin + 2 * tmp

    def _page_tables(self) -> int:
        """Bytes of page tables of every process."""
        return sum(p.mm.pagetable_bytes() for p in self.k.procs.procs.values())

    def mem_state(self) -> dict[str, int]:
        """The machine's memory figures in pages, shared by meminfo and vmstat."""
        fr = self.k.frames
        kinds = fr.by_kind
        anon, shmem, file = kinds["anon"], kinds["shmem"], kinds["file"]
        mapped_shmem, mapped_file = self._mapped_cache()
        _, low, high = self._watermarks()
        free = fr.free
        file_lru = file  # shmem sits on the anon lists, as in Linux
        # Linux's si_mem_available: free pages less the reserve (the high watermark),
        # plus the page cache that could be reclaimed (all of the file LRU but what the
        # low watermark keeps); reclaimable slab would add the same way (libk has none).
        avail = free - high + file_lru - min(file_lru // 2, low)
        total = fr.buddy.total_pages
        return {
            "total": total,
            "free": free,
            "available": min(total, max(0, avail)),
            "cached": shmem + file,
            "anon": anon,
            "shmem": shmem,
            "file": file,
            "kernel": kinds["kernel"],
            "mapped": mapped_shmem + mapped_file,
            "active_anon": anon + mapped_shmem,
            "inactive_anon": shmem - mapped_shmem,
            "active_file": mapped_file,
            "inactive_file": file - mapped_file,
            "dirtyable": max(0, free + file_lru - high),
        }

    def meminfo(self) -> str:
        """/proc/meminfo in Linux's layout and order.

        Active and Inactive split the LRU lists by whether a page table maps the page;
        tmpfs and shared memory (Shmem) are on the anon lists, as in Linux, so
        Active(anon) + Inactive(anon) = AnonPages + Shmem.
        """
        k = self.k
        ps = k.frames.page_size
        m = self.mem_state()

        def kb(pages: int) -> int:
            return pages * ps // 1024

        vm = k.vm
        rows = [
            ("MemTotal", m["total"]),
            ("MemFree", m["free"]),
            ("MemAvailable", m["available"]),
            ("Buffers", 0),
            ("Cached", m["cached"]),
            ("SwapCached", 0),
            ("Active", m["active_anon"] + m["active_file"]),
            ("Inactive", m["inactive_anon"] + m["inactive_file"]),
            ("Active(anon)", m["active_anon"]),
            ("Inactive(anon)", m["inactive_anon"]),
            ("Active(file)", m["active_file"]),
            ("Inactive(file)", m["inactive_file"]),
            ("Unevictable", 0),
            ("Mlocked", 0),
            ("SwapTotal", 0),
            ("SwapFree", 0),
            ("Dirty", 0),  # all page cache is shmem, which Linux never counts as Dirty
            ("Writeback", 0),
            ("AnonPages", m["anon"]),
            ("Mapped", m["mapped"]),
            ("Shmem", m["shmem"]),
            ("KReclaimable", 0),
            ("Slab", m["kernel"]),
            ("SReclaimable", 0),
            ("SUnreclaim", m["kernel"]),
        ]
        out = [f"{name + ':':<16}{kb(v):>8} kB\n" for name, v in rows]
        threads = len(k.procs.threads)
        out.append(f"{'KernelStack:':<16}{threads * THREAD_STACK_KB:>8} kB\n")
        out.append(f"{'PageTables:':<16}{self._page_tables() // 1024:>8} kB\n")
        rows = [
            ("SecPageTables", 0),
            ("NFS_Unstable", 0),
            ("Bounce", 0),
            ("WritebackTmp", 0),
            ("CommitLimit", vm.commit_limit()),
            ("Committed_AS", vm.committed),
            ("VmallocTotal", 0),
            ("VmallocUsed", 0),
            ("VmallocChunk", 0),
            ("Percpu", 0),
            ("AnonHugePages", 0),
            ("ShmemHugePages", 0),
            ("ShmemPmdMapped", 0),
            ("FileHugePages", 0),
            ("FilePmdMapped", 0),
        ]
        out += [f"{name + ':':<16}{kb(v):>8} kB\n" for name, v in rows]
        out.append(
            f"HugePages_Total:   {0:>5}\nHugePages_Free:    {0:>5}\n"
            f"HugePages_Rsvd:    {0:>5}\nHugePages_Surp:    {0:>5}\n"
            f"Hugepagesize:   {kb(PMD_ENTRIES):>8} kB\nHugetlb:        {0:>8} kB\n"
        )
        return "".join(out)

    def vmstat(self) -> str:
        """/proc/vmstat: ``name value`` lines, Linux's names in Linux's order (states
        in pages, nr_kernel_stack in kB, pgpgin/pgpgout in kB), then libk's own
        cow_fault and zero_page_map."""
        k = self.k
        m = self.mem_state()
        ev = k.frames.events
        thresh = DIRTY_RATIO * m["dirtyable"] // 100
        bg = DIRTY_BACKGROUND_RATIO * m["dirtyable"] // 100
        if bg >= thresh:
            bg = thresh // 2
        rows: list[tuple[str, int]] = [
            ("nr_free_pages", m["free"]),
            ("nr_zone_inactive_anon", m["inactive_anon"]),
            ("nr_zone_active_anon", m["active_anon"]),
            ("nr_zone_inactive_file", m["inactive_file"]),
            ("nr_zone_active_file", m["active_file"]),
            ("nr_zone_unevictable", 0),
            ("nr_zone_write_pending", 0),
            ("nr_mlock", 0),
            ("nr_bounce", 0),
            ("nr_free_cma", 0),
            ("nr_inactive_anon", m["inactive_anon"]),
            ("nr_active_anon", m["active_anon"]),
            ("nr_inactive_file", m["inactive_file"]),
            ("nr_active_file", m["active_file"]),
            ("nr_unevictable", 0),
            ("nr_slab_reclaimable", 0),
            ("nr_slab_unreclaimable", m["kernel"]),
            ("nr_isolated_anon", 0),
            ("nr_isolated_file", 0),
            ("nr_anon_pages", m["anon"]),
            ("nr_mapped", m["mapped"]),
            ("nr_file_pages", m["cached"]),
            ("nr_dirty", 0),
            ("nr_writeback", 0),
            ("nr_writeback_temp", 0),
            ("nr_shmem", m["shmem"]),
            ("nr_shmem_hugepages", 0),
            ("nr_shmem_pmdmapped", 0),
            ("nr_file_hugepages", 0),
            ("nr_file_pmdmapped", 0),
            ("nr_anon_transparent_hugepages", 0),
            ("nr_kernel_stack", len(k.procs.threads) * THREAD_STACK_KB),
            ("nr_page_table_pages", self._page_tables() // k.frames.page_size),
            ("nr_swapcached", 0),
            ("nr_dirty_threshold", thresh),
            ("nr_dirty_background_threshold", bg),
            ("pgpgin", ev.pgpgin),
            ("pgpgout", ev.pgpgout),
            ("pswpin", 0),
            ("pswpout", 0),
            ("pgalloc_dma", 0),
            ("pgalloc_dma32", 0),
            ("pgalloc_normal", ev.pgalloc),
            ("pgalloc_movable", 0),
            ("pgfree", ev.pgfree),
            ("pgfault", ev.pgfault),
            ("pgmajfault", ev.pgmajfault),
            ("oom_kill", ev.oom_kill),
            ("cow_fault", ev.cow_fault),
            ("zero_page_map", ev.zero_page_map),
            *sorted(ev.extra.items()),
        ]
        return "".join(f"{name} {value}\n" for name, value in rows)

    def buddyinfo(self) -> str:
        """/proc/buddyinfo: free blocks per order of the one zone."""
        counts = "".join(f"{c:>6} " for c in self.k.frames.buddy.counts())
        return f"Node 0, zone {'Normal':>8} {counts}\n"

    # ------------------------------------------------------------------ sysctls
    def sysctls(self) -> list[tuple[str, Callable[[], int], Callable[[int], None], bool]]:
        """The sysctl files: (path under /proc/sys, read, write, signed)."""
        vm = self.k.vm

        def vm_set(name: str) -> Callable[[int], None]:
            # VmPolicy.set also clears overcommit_ratio when overcommit_kbytes is set,
            # and the other way round, as Linux's handlers do.
            return lambda value: vm.set(name, value)

        def threads_max(value: int) -> None:
            if not 20 <= value <= 0x3FFFFFFF:  # MIN_THREADS .. FUTEX_TID_MASK
                raise Error(EINVAL)
            self.k.threads_max = value

        out: list[tuple[str, Callable[[], int], Callable[[int], None], bool]] = [
            ("kernel/threads-max", lambda: self.k.threads_max, threads_max, True)
        ]
        unsigned = ("overcommit_kbytes", "mmap_min_addr")
        for name in vm.SYSCTLS:
            out.append(
                (f"vm/{name}", lambda n=name: getattr(vm, n), vm_set(name), name not in unsigned)
            )
        return out

    def sysctl_write(
        self, t: Any, f: File, data: bytes, put: Callable[[int], None], signed: bool
    ) -> int:
        """A write to a sysctl file: only root; an empty write, or one past the start
        of the file, is ignored, as Linux's strict sysctl writes are.

        Raises:
            Error: EPERM (not root), EINVAL (not a number, or out of range).
        """
        if t is not None and not t.proc.cred.is_root:
            raise Error(EPERM)
        if f.pos == 0 and data:
            put(parse_sysctl(data, signed=signed))
        f.pos += len(data)
        return len(data)
