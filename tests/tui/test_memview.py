"""tui.memview on Linux's own /proc text, the header's memory meter, and the details
view's memory section drawn from it."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console, RenderableType
from textual.app import App, ComposeResult

from kernel.image import BootInfo
from tui.machine import Machine
from tui.memview import (
    ProcessMemory,
    bar_cells,
    faults_from_stat,
    memory_use,
    parse_kb_fields,
    parse_maps,
    parse_smaps,
)
from tui.procview import ProcessDetails, split_stat
from tui.widgets.header import HISTORY, MEM_BAR, MEM_BAR_SHORT, MachineHeader
from tui.widgets.panes.details import MAX_AREAS, render_details

# Excerpts of a Linux 6.x machine's files, verbatim (spacing included).
MAPS = """\
5580c658a000-5580c658c000 r--p 00000000 fe:00 260386                     /usr/bin/head
5580c6596000-5580c6597000 rw-p 0000b000 fe:00 260386                     /usr/bin/head
5580c7d4e000-5580c7d6f000 rw-p 00000000 00:00 0                          [heap]
7f2b1c800000-7f2b1c900000 rw-p 00000000 00:00 0
7f2b1ca00000-7f2b1ca01000 rw-s 00000000 00:01 1034                       /memfd:ring (deleted)
7ffdd3ffc000-7ffdd401d000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
"""

SMAPS = """\
558616fd7000-558616fd9000 r--p 00000000 fe:00 260386                     /usr/bin/head
Size:                  8 kB
KernelPageSize:        4 kB
MMUPageSize:           4 kB
Rss:                   8 kB
Pss:                   8 kB
Pss_Dirty:             0 kB
Shared_Clean:          0 kB
Shared_Dirty:          0 kB
Private_Clean:         8 kB
Private_Dirty:         0 kB
Referenced:            8 kB
Anonymous:             0 kB
Swap:                  0 kB
Locked:                0 kB
THPeligible:           0
VmFlags: rd mr mw me
7f2b1c800000-7f2b1c900000 rw-p 00000000 00:00 0
Size:               1024 kB
Rss:                 512 kB
Pss:                 512 kB
Shared_Clean:          0 kB
Shared_Dirty:          4 kB
Private_Clean:         0 kB
Private_Dirty:       508 kB
Anonymous:           512 kB
THPeligible:           0
ProtectionKey:         0
VmFlags: rd wr mr mw me ac
"""

ROLLUP = """\
55d18212d000-7ffdd401d000 ---p 00000000 00:00 0                          [rollup]
Rss:                1696 kB
Pss:                 396 kB
Pss_Dirty:           112 kB
Pss_Anon:            112 kB
Pss_File:            284 kB
Pss_Shmem:             0 kB
Shared_Clean:       1512 kB
Shared_Dirty:          0 kB
Private_Clean:        72 kB
Private_Dirty:       112 kB
Referenced:         1696 kB
Anonymous:           112 kB
Swap:                  0 kB
SwapPss:               0 kB
Locked:                0 kB
"""

STATUS = """\
Name:\thead
Umask:\t0022
State:\tR (running)
Pid:\t4242
VmPeak:\t    8328 kB
VmSize:\t    8328 kB
VmLck:\t       0 kB
VmHWM:\t    1696 kB
VmRSS:\t    1696 kB
RssAnon:\t     112 kB
RssFile:\t    1584 kB
RssShmem:\t       0 kB
VmData:\t     360 kB
VmStk:\t     132 kB
VmExe:\t      24 kB
VmLib:\t    1748 kB
VmPTE:\t      52 kB
VmSwap:\t       0 kB
Threads:\t1
"""

STAT = (
    "4242 (head (x)) R 4000 4242 4000 34816 4242 4194304 96 0 3 0 0 0 0 0 20 0 1 0 "
    "123456 8527872 424 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
)

MEMINFO = """\
MemTotal:       16000000 kB
MemFree:         9000000 kB
MemAvailable:   13000000 kB
Buffers:          200000 kB
Cached:          4000000 kB
SwapCached:            0 kB
AnonPages:       2300000 kB
Shmem:            500000 kB
KReclaimable:     300000 kB
SReclaimable:     300000 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
"""


def test_maps_lines_as_areas() -> None:
    areas = parse_maps(MAPS)
    assert [a.name for a in areas] == [
        "/usr/bin/head", "/usr/bin/head", "[heap]", "", "/memfd:ring (deleted)", "[stack]",
        "[vsyscall]",
    ]  # fmt: skip
    head, data = areas[0], areas[1]
    assert (head.start, head.end, head.perms) == (0x5580C658A000, 0x5580C658C000, "r--p")
    assert (data.offset, data.dev, data.inode, data.size_kb) == (0xB000, "fe:00", 260386, 4)
    assert areas[3].size_kb == 1024 and areas[3].kb == {}
    assert areas[4].perms == "rw-s"
    assert areas[-1].start == 0xFFFFFFFFFF600000
    assert parse_maps("not a map\n\n0-1\n") == []


def test_smaps_areas_carry_their_kb_fields() -> None:
    text, anon = parse_smaps(SMAPS)
    assert text.name == "/usr/bin/head" and anon.name == ""
    assert text.kb["Rss"] == 8 and text.kb["Private_Clean"] == 8 and text.dirty_kb == 0
    assert "THPeligible" not in text.kb and "VmFlags" not in text.kb
    assert (anon.size_kb, anon.kb["Size"], anon.kb["Rss"], anon.dirty_kb) == (1024, 1024, 512, 512)
    assert "ProtectionKey" not in anon.kb  # a number, but not in kB


def test_kb_fields_skip_the_rollup_line_and_non_kb_values() -> None:
    rollup = parse_kb_fields(ROLLUP)
    assert rollup["Rss"] == 1696 and rollup["Pss_File"] == 284
    assert all(" " not in k for k in rollup)
    status = parse_kb_fields(STATUS)
    assert status["VmSize"] == 8328 and status["RssShmem"] == 0
    assert "Name" not in status and "State" not in status
    assert parse_kb_fields(MEMINFO)["HugePages_Total"] == 0


def test_faults_come_from_stat_fields_10_and_12() -> None:
    assert faults_from_stat(split_stat(STAT)[1]) == (96, 3)
    assert faults_from_stat(["R", "1"]) == (-1, -1)


def test_memory_use_is_htops_arithmetic() -> None:
    m = memory_use(MEMINFO)
    assert m.total == 16_000_000 and m.free == 9_000_000 and m.available == 13_000_000
    assert m.shared == 500_000
    assert m.cache == 4_000_000 + 300_000 - 500_000  # Cached + SReclaimable - Shmem
    assert m.used == 16_000_000 - 9_000_000 - 200_000 - 4_000_000 - 300_000
    assert m.buffers == 200_000
    assert sum(kb for _, kb in m.segments()) == m.total - m.free
    # A file that claims more than the machine has never overflows the bar.
    bad = memory_use("MemTotal: 100 kB\nMemFree: 10 kB\nCached: 500 kB\nShmem: 400 kB\n")
    assert sum(kb for _, kb in bad.segments()) <= bad.total - bad.free
    assert memory_use("") == memory_use("MemTotal: 0 kB\n")


def test_bar_cells_add_up_and_keep_proportions() -> None:
    assert bar_cells([50, 0, 25, 25], 100, 12) == [6, 0, 3, 3]
    assert sum(bar_cells([1, 1, 1], 3, 10)) == 10
    assert bar_cells([5, 5], 100, 10) == [1, 0]  # one cell in all, to the first of equals
    assert bar_cells([8, 5], 63, 12) == [1, 1]  # 1.52 and 0.95 cells: both are seen
    assert bar_cells([60, 60], 100, 12) == [6, 6]  # never past the end
    assert bar_cells([10], 0, 10) == [0]


def plain(renderable: RenderableType, width: int = 100) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_header_meter_segments_and_legend() -> None:
    header = MachineHeader()
    header.mem = memory_use(MEMINFO)
    text = header.memory_text()
    bar = text.plain.split()[1]
    assert len(bar) == MEM_BAR and bar.endswith("░")
    used = next(s for s in text.spans if str(s.style) == "green")
    shared = next(s for s in text.spans if str(s.style) == "magenta")
    assert text.plain[used.start : used.end] == "██"  # 2.4 GiB of 15.3 GiB in 12 cells
    assert used.end <= shared.start
    assert text.plain.endswith(" 2.4G used 195.3M buf 488.3M shr 3.6G cache of 15.3G")
    # Each label wears its segment's colour.
    styles = {text.plain[s.start : s.end].strip(): str(s.style) for s in text.spans}
    assert styles["used"] == "green" and styles["shr"] == "magenta"
    assert styles["cache"] == "yellow" and styles["buf"] == "blue"
    short = header.memory_text(legend=False)
    assert short.plain.endswith(" 6.7G/15.3G") and short.plain.split()[1] == bar
    header.mem = memory_use(MEMINFO.replace("Buffers:          200000", "Buffers: 0"))
    assert " buf" not in header.memory_text().plain  # no block devices: no buffers shown


def details(mem: ProcessMemory) -> ProcessDetails:
    return ProcessDetails(pid=4242, status=STATUS, memory=mem)


def test_details_memory_summary_and_pmap_table() -> None:
    mem = ProcessMemory(
        status={k: v for k, v in parse_kb_fields(STATUS).items() if k.startswith(("Vm", "Rss"))},
        rollup=parse_kb_fields(ROLLUP),
        minflt=96,
        majflt=3,
        areas=parse_smaps(SMAPS),
        source="smaps",
    )
    lines = plain(render_details(details(mem), "head -c1")).splitlines()
    assert lines[0] == "Process 4242  head -c1"
    at = lines.index("Memory")
    assert lines[at + 1].split() == [
        "Resident", "1696K", "anon", "112K", "file", "1584K", "shmem", "0K", "peak", "1696K"
    ]  # fmt: skip
    assert lines[at + 2].split()[:4] == ["Pss", "396K", "anon", "112K"]
    assert lines[at + 3].split() == ["Shared", "1512K", "clean", "1512K", "dirty", "0K"]
    assert lines[at + 4].split() == ["Private", "184K", "clean", "72K", "dirty", "112K"]
    assert lines[at + 5].split()[:4] == ["Virtual", "8328K", "data", "360K"]
    assert lines[at + 6].split() == ["Faults", "99", "minor", "96", "major", "3"]
    t = lines.index("/proc/4242/smaps  2 areas")
    assert lines[t + 1].split() == ["Address", "Kbytes", "RSS", "Dirty", "Mode", "Mapping"]
    assert lines[t + 2].split() == ["558616fd7000", "8", "8", "0", "r--p", "/usr/bin/head"]
    assert lines[t + 3].split() == [
        "7f2b1c800000",
        "1024",
        "512",
        "512",
        "rw-p",
        "[",
        "anon",
        "]",
    ]
    assert lines[t + 4].split() == ["total", "kB", "1032", "520", "512"]


def test_details_wrap_between_parts_and_cut_mappings_short() -> None:
    mem = ProcessMemory(
        status=parse_kb_fields(STATUS), minflt=1, majflt=0, areas=parse_maps(MAPS), source="maps"
    )
    lines = plain(render_details(details(mem), "x"), width=44).splitlines()
    at = lines.index("Memory")
    assert lines[at + 1].split() == ["Resident", "1696K", "anon", "112K", "file", "1584K"]
    assert lines[at + 2].split() == ["shmem", "0K", "peak", "1696K"]  # a part never splits
    memfd = next(line for line in lines if "rw-s" in line)
    assert memfd.rstrip().endswith("…") and len(memfd.rstrip()) <= 44
    assert "(deleted)" not in "\n".join(lines[lines.index("/proc/4242/maps  7 areas") :][:9])


def test_details_from_maps_alone_and_many_areas() -> None:
    many = "".join(
        f"{0x10000 + i * 0x2000:08x}-{0x11000 + i * 0x2000:08x} rw-p 00000000 00:00 0\n"
        for i in range(MAX_AREAS + 5)
    )
    mem = ProcessMemory(areas=parse_maps(many), source="maps")
    text = plain(render_details(details(mem), "x"))
    assert "Memory\n" not in text  # neither status nor smaps_rollup: no summary
    lines = text.splitlines()
    t = lines.index(f"/proc/4242/maps  {MAX_AREAS + 5} areas")
    assert lines[t + 1].split() == ["Address", "Kbytes", "Mode", "Mapping"]
    assert lines[t + 2 + MAX_AREAS].split() == ["total", "kB", str(4 * (MAX_AREAS + 5))]
    assert "… and 5 more (all of them in /proc/4242/maps)" in text


class HeaderApp(App[None]):
    """The header alone, on a booted machine."""

    def __init__(self, machine: Machine) -> None:
        super().__init__()
        self.machine = machine

    def compose(self) -> ComposeResult:
        yield MachineHeader()


def test_header_reads_meminfo_and_fits_the_meter_to_its_width(info: BootInfo) -> None:
    m = Machine(info)
    m.run_until_idle()  # booted to the prompt
    meminfo = m.host.read_file("/proc/meminfo").decode()
    widths: dict[int, str] = {}

    async def run() -> None:
        for width in (200, 110, 80):
            app = HeaderApp(m)
            async with app.run_test(size=(width, 5)) as pilot:
                header = app.query_one(MachineHeader)
                header.sample(m)
                header.sample(m)  # two samples: every CPU has a bar
                await pilot.pause()
                assert header.mem == memory_use(meminfo)
                tip = str(header.tooltip)
                assert "MemAvailable" in tip and "Shmem" in tip
                assert max(map(len, tip.splitlines())) <= 36  # a tooltip's width: no wrap
                widths[width] = header.render_text(m).plain

    asyncio.run(run())
    total = parse_kb_fields(meminfo)["MemTotal"]
    assert widths[200].endswith(
        f" of {total / 1024:.1f}M  cpu " + " ".join(["▁" * HISTORY] * info.cpus)
    )
    assert " used " in widths[200] and " shr " in widths[200] and " cache " in widths[200]
    wide_bar, mid_bar, narrow_bar = (w.split(" mem ")[1].split()[0] for w in widths.values())
    assert len(wide_bar) == len(mid_bar) == MEM_BAR and len(narrow_bar) == MEM_BAR_SHORT
    assert " used " not in widths[110] and f"/{total / 1024:.1f}M  cpu " in widths[110]
    assert len(widths[110]) <= 110  # the CPUs still fit


def test_details_of_a_process_without_memory() -> None:
    zombie = ProcessDetails(pid=7, status="Name:\tquick\nState:\tZ (zombie)\n")
    zombie.memory = ProcessMemory(minflt=3, majflt=0, areas=[], source="smaps")
    lines = plain(render_details(zombie, "[quick] <defunct>")).splitlines()
    at = lines.index("/proc/7/smaps  0 areas")
    assert lines[at + 1] == "  (none)"
    assert lines[lines.index("Memory") + 1].split() == ["Faults", "3", "minor", "3", "major", "0"]
