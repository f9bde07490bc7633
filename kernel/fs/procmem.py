"""What /proc's memory files say, in Linux's formats, and /proc/<pid>/mem.

Per process: ``maps`` (Linux's ``show_map_vma``: the name starts at column 73),
``smaps`` and ``smaps_rollup`` (every page-table entry walked: Rss, Pss with the page's
map count, clean/dirty and shared/private, Anonymous), ``statm``, ``limits``,
``oom_score``, ``oom_score_adj`` (writable); ``mem`` is ``kernel.fs.procmemfile``'s. The figures
``stat`` and ``status`` show come from :func:`vm_counts` and :func:`mm_layout`
(per-area sums and counters, never a page walk: ``ps`` reads every process's). The
machine-wide memory files are ``kernel.fs.procvm``'s; ``kernel.fs.procfs`` places
both in the tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EACCES,
    EINVAL,
    ESRCH,
    MAP_GROWSDOWN,
    MAP_NORESERVE,
    PROT_EXEC,
    PROT_READ,
    PROT_WRITE,
    RLIM_INFINITY,
    RLIMIT_NAMES,
    Error,
)
from kernel.fs.procvm import parse_kstrtoint
from kernel.proc import ALIVE

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.mm.vm import AddressSpace, Area
    from kernel.proc import Cred, Process

MAPS_NAME_COLUMN = 73  # Linux pads the prefix to 25 + 6 * sizeof(void *) - 1, then a space
PSS_SHIFT = 12  # Pss is summed in fixed point, as Linux does


# ---------------------------------------------------------------------- figures
def vm_counts(mm: AddressSpace) -> tuple[int, int, int, int]:
    """Bytes of (all, data, stack, exec) areas, as Linux's total_vm, data_vm, stack_vm
    and exec_vm classify them: data is private writable memory other than the stack,
    exec is executable memory that is neither writable nor the stack."""
    total = data = stack = exe = 0
    for a in mm.areas:
        n = a.end - a.start
        total += n
        if a.flags & MAP_GROWSDOWN:
            stack += n
        elif a.prot & PROT_WRITE:
            if not a.shared:
                data += n
        elif a.prot & PROT_EXEC:
            exe += n
    return total, data, stack, exe


def mm_layout(proc: Process) -> tuple[int, int, int, int, int]:
    """(start_code, end_code, arg_start, arg_end, env_end) of a live process.

    As ``kernel.mm.mmap.setup_program`` recorded them in the address space: the
    program's text, and the argv and then the environment strings below the top of
    the stack.
    """
    mm = proc.mm
    return mm.start_code, mm.end_code, mm.arg_start, mm.arg_end, mm.env_end


def may_access(cred: Cred, target: Process) -> bool:
    """Linux's ptrace_may_access for /proc: root, or the same user and group as the
    target's real and effective ids."""
    if cred.euid == 0:
        return True
    tc = target.cred
    return cred.euid == tc.uid == tc.euid and cred.egid == tc.gid == tc.egid


def _dev(dev: int) -> str:
    major = (dev >> 8) & 0xFFF
    minor = (dev & 0xFF) | ((dev >> 12) & 0xFFF00)
    return f"{major:02x}:{minor:02x}"


def _map_line(start: int, end: int, perms: str, off: int, dev: str, ino: int, name: str) -> str:
    head = f"{start:08x}-{end:08x} {perms} {off:08x} {dev} {ino} "
    if not name:
        return head + "\n"
    return f"{head:<{MAPS_NAME_COLUMN - 1}} {name}\n"


def area_name(area: Area) -> str:
    """The name maps shows: the area's, `` (deleted)`` added for an unlinked file,
    newlines escaped as Linux's seq_file_path does."""
    name = area.name
    inode = area.inode
    if inode is not None and inode.nlink == 0 and not name.endswith(" (deleted)"):
        name += " (deleted)"
    return name.replace("\n", "\\012")


def maps_line(area: Area) -> str:
    """One line of /proc/<pid>/maps."""
    ps = area.mm.page_size
    return _map_line(
        area.start,
        area.end,
        area.perms,
        area.pgoff * ps,
        _dev(area.dev),
        area.ino,
        area_name(area),
    )


def vm_flags(area: Area) -> str:
    """smaps' VmFlags: the mnemonics of Linux's vm_flags, in bit order."""
    p = area.prot
    shared = area.shared
    out = []
    if p & PROT_READ:
        out.append("rd")
    if p & PROT_WRITE:
        out.append("wr")
    if p & PROT_EXEC:
        out.append("ex")
    if shared and area.maywrite:
        out.append("sh")
    out.append("mr")
    if area.maywrite:
        out.append("mw")
    out.append("me")
    if shared:
        out.append("ms")
    if area.growsdown:
        out.append("gd")
    if area.acct:
        out.append("ac")
    if area.flags & MAP_NORESERVE:
        out.append("nr")
    return "".join(f + " " for f in out)


class Mss:
    """What smaps adds up for an area (Linux's ``mem_size_stats``), in bytes; the
    Pss figures are in bytes << PSS_SHIFT."""

    __slots__ = (
        "resident",
        "pss",
        "pss_dirty",
        "pss_anon",
        "pss_file",
        "pss_shmem",
        "shared_clean",
        "shared_dirty",
        "private_clean",
        "private_dirty",
        "referenced",
        "anonymous",
    )

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, 0)

    def gather(self, mm: AddressSpace, area: Area) -> None:
        """Account every present page of ``area`` (the zero page is not counted, as
        Linux's vm_normal_page skips it)."""
        ps = mm.page_size
        shift = mm.view.shift
        zero = mm.frames.zero_page
        pt = mm.pt
        v0, v1 = area.start >> shift, area.end >> shift
        if v1 - v0 > len(pt):
            ptes = [pte for v, pte in pt.items() if v0 <= v < v1]
        else:
            ptes = [pt[v] for v in range(v0, v1) if v in pt]
        full = ps << PSS_SHIFT
        for pte in ptes:
            page = pte.page
            if page is zero:
                continue
            self.resident += ps
            kind = page.kind
            if kind == "anon":
                self.anonymous += ps
            if pte.accessed:
                self.referenced += ps
            n = page.mapcount
            pss = full // n if n >= 2 else full
            self.pss += pss
            if kind == "anon":
                self.pss_anon += pss
            elif kind == "shmem":
                self.pss_shmem += pss
            else:
                self.pss_file += pss
            if pte.dirty or page.dirty:
                self.pss_dirty += pss
                if n < 2:
                    self.private_dirty += ps
                else:
                    self.shared_dirty += ps
            elif n < 2:
                self.private_clean += ps
            else:
                self.shared_clean += ps

    def render(self, rollup: bool) -> str:
        """Linux's __show_smap lines (values in kB, right-aligned in 8 columns)."""
        s = PSS_SHIFT
        rows = [
            ("Rss:            ", self.resident),
            ("Pss:            ", self.pss >> s),
            ("Pss_Dirty:      ", self.pss_dirty >> s),
        ]
        if rollup:
            rows += [
                ("Pss_Anon:       ", self.pss_anon >> s),
                ("Pss_File:       ", self.pss_file >> s),
                ("Pss_Shmem:      ", self.pss_shmem >> s),
            ]
        rows += [
            ("Shared_Clean:   ", self.shared_clean),
            ("Shared_Dirty:   ", self.shared_dirty),
            ("Private_Clean:  ", self.private_clean),
            ("Private_Dirty:  ", self.private_dirty),
            ("Referenced:     ", self.referenced),
            ("Anonymous:      ", self.anonymous),
            ("KSM:            ", 0),
            ("LazyFree:       ", 0),  # MADV_FREE drops pages at once: none wait lazily
            ("AnonHugePages:  ", 0),
            ("ShmemPmdMapped: ", 0),
            ("FilePmdMapped:  ", 0),
            ("Shared_Hugetlb: ", 0),
        ]
        out = "".join(f"{label}{v >> 10:>8} kB\n" for label, v in rows)
        out += f"Private_Hugetlb: {0:>7} kB\n"
        tail = (("Swap:           ", 0), ("SwapPss:        ", 0), ("Locked:         ", 0))
        return out + "".join(f"{label}{v >> 10:>8} kB\n" for label, v in tail)


# ---------------------------------------------------------------------- /proc/<pid>/mem
class ProcMem:
    """The generators of /proc's memory files, for one kernel (``self.k``).

    ``_layouts`` keeps each process's :func:`mm_layout` (it never changes: a process's
    strings are written once, at spawn), so ``/proc/allstat`` stays cheap;
    ``_oom_floors`` the lowest oom_score_adj root gave each process (Linux's
    oom_score_adj_min: only root may go below it).
    """

    k: Kernel
    _layouts: dict[int, tuple[Process, tuple[int, int, int, int, int]]]
    _oom_floors: dict[int, tuple[Process, int]]

    def layout(self, proc: Process) -> tuple[int, int, int, int, int]:
        """:func:`mm_layout`, computed once per process."""
        kept = self._layouts.get(proc.pid)
        if kept is not None and kept[0] is proc:
            return kept[1]
        layouts = self._layouts
        if len(layouts) > 2 * len(self.k.procs.procs) + 64:
            _prune(layouts, self.k.procs.procs)
        out = mm_layout(proc)
        layouts[proc.pid] = (proc, out)
        return out

    # ------------------------------------------------------------------ per process
    def maps(self, proc: Process) -> str:
        """/proc/<pid>/maps: one line per area (empty once the process has ended)."""
        return "".join(maps_line(a) for a in proc.mm.areas) if proc.state == ALIVE else ""

    def smaps(self, proc: Process) -> str:
        """/proc/<pid>/smaps: each area's maps line and what its pages add up to."""
        if proc.state != ALIVE:
            return ""
        mm = proc.mm
        kb = mm.page_size >> 10
        out = []
        for a in mm.areas:
            mss = Mss()
            mss.gather(mm, a)
            out.append(
                f"{maps_line(a)}Size:           {a.length >> 10:>8} kB\n"
                f"KernelPageSize: {kb:>8} kB\nMMUPageSize:    {kb:>8} kB\n"
                f"{mss.render(False)}THPeligible:    {0:>8}\nVmFlags: {vm_flags(a)}\n"
            )
        return "".join(out)

    def smaps_rollup(self, proc: Process) -> str:
        """/proc/<pid>/smaps_rollup: smaps summed over every area, under one header
        spanning them all.

        Raises:
            Error: ESRCH once the process has ended (as Linux's read does).
        """
        if proc.state != ALIVE:
            raise Error(ESRCH)
        mm = proc.mm
        mss = Mss()
        for a in mm.areas:
            mss.gather(mm, a)
        start = mm.areas[0].start if mm.areas else 0
        end = mm.areas[-1].end if mm.areas else 0
        return _map_line(start, end, "---p", 0, "00:00", 0, "[rollup]") + mss.render(True)

    def statm(self, proc: Process) -> str:
        """/proc/<pid>/statm: size resident shared text lib data dt, in pages (lib and
        dt are always 0, as since Linux 2.6)."""
        if proc.state != ALIVE:
            return "0 0 0 0 0 0 0\n"
        mm = proc.mm
        shift = mm.view.shift
        total, data, stack, _ = vm_counts(mm)
        rss = mm.rss
        shared = rss["file"] + rss["shmem"]
        start_code, end_code, *_ = self.layout(proc)
        text = (end_code - start_code) >> shift
        return (
            f"{total >> shift} {shared + rss['anon']} {shared} {text} 0 "
            f"{(data + stack) >> shift} 0\n"
        )

    def limits(self, proc: Process) -> str:
        """/proc/<pid>/limits: Linux's table of soft and hard resource limits."""
        out = [f"{'Limit':<25} {'Soft Limit':<20} {'Hard Limit':<20} {'Units':<10}\n"]
        for (name, unit), (soft, hard) in zip(RLIMIT_NAMES, proc.rlimits, strict=False):
            s = "unlimited" if soft == RLIM_INFINITY else str(soft)
            h = "unlimited" if hard == RLIM_INFINITY else str(hard)
            out.append(f"{name:<25} {s:<20} {h:<20} {unit:<10}\n")
        return "".join(out)

    def oom_score(self, proc: Process) -> str:
        """/proc/<pid>/oom_score: the OOM killer's badness, scaled as Linux shows it."""
        return f"{self.k.oom.score(proc)}\n"

    def set_oom_score_adj(self, t: Any, proc: Process, data: bytes) -> None:
        """A write to /proc/<pid>/oom_score_adj.

        Raises:
            Error: EINVAL (not a number in -1000..1000), ESRCH (the process has
                ended), EACCES (going below the lowest value root set, without root).
        """
        from kernel.mm.oom import OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN

        value = parse_kstrtoint(data)
        if not OOM_SCORE_ADJ_MIN <= value <= OOM_SCORE_ADJ_MAX:
            raise Error(EINVAL)
        if proc.state != ALIVE:
            raise Error(ESRCH)
        floors = self._oom_floors
        kept = floors.get(proc.pid)
        floor = kept[1] if kept is not None and kept[0] is proc else 0
        root = t is None or t.proc.cred.is_root
        if value < floor and not root:
            raise Error(EACCES)
        if root:
            floors[proc.pid] = (proc, value)
            if len(floors) > 2 * len(self.k.procs.procs) + 64:
                _prune(floors, self.k.procs.procs)
        proc.oom_score_adj = value


def _prune(table: dict[int, Any], procs: dict[int, Process]) -> None:
    """Drop the entries of processes that are gone (their pid may be reused)."""
    for pid in [p for p, e in table.items() if procs.get(p) is not e[0]]:
        del table[pid]
