"""The memory utilities: pmap, vmstat, free, memhog, dd, time -v and the shell's ulimit.

Layouts are checked exactly against procps-ng's, GNU's and dash's formats, and the
numbers against the /proc files they come from, read in the same boot. The pure
formatting helpers (gnulib's human_readable, pmap's parsing, vmstat's columns) are
tested without a machine.
"""

from __future__ import annotations

import re

from tui.headless import run_command
from userland.bin import free as free_mod
from userland.bin import memhog as memhog_mod
from userland.bin import pmap as pmap_mod
from userland.bin import time as time_mod
from userland.bin import vmstat as vmstat_mod
from userland.libk.sizes import human_readable, parse_size, xfer_line

SEP = "@@"


def chunks(cmds: list[str]) -> list[str]:
    """Run commands in one boot; each one's output (stdout+stderr) and ``[status]``."""
    script = "; ".join(f'{c} 2>&1; echo "{SEP}$?"' for c in cmds)
    out, _ = run_command(script)
    parts = out.split(SEP)
    results = []
    for i in range(len(cmds)):
        body = parts[i]
        if i:
            body = body.split("\n", 1)[1] if "\n" in body else ""
        results.append(f"{body}[{parts[i + 1].split(chr(10), 1)[0]}]")
    return results


def kb_field(text: str, key: str) -> int:
    """``Key:   123 kB`` -> 123."""
    m = re.search(rf"^{re.escape(key)}:\s+(\d+)", text, re.M)
    assert m, f"{key} not in {text!r}"
    return int(m.group(1))


# ---------------------------------------------------------------------- the issue's check
def test_issue_final_check_shows_the_mapping_resident() -> None:
    out, status = run_command(
        'memhog 8M & sleep 1; pmap -x $!; grep -E "^(Rss|Pss)" /proc/$!/smaps_rollup; '
        "vmstat; kill $!"
    )
    assert status == 0
    lines = out.splitlines()
    assert "memhog: touched 8.0 MiB of 8.0 MiB, 2048 minor faults, 0 major" in lines
    head = lines.index("Address           Kbytes     RSS   Dirty Mode  Mapping")
    assert re.fullmatch(r"\d+:   memhog 8M", lines[head - 1])
    dash = lines.index("---------------- ------- ------- ------- ")
    rows = lines[head + 1 : dash]
    for row in rows:
        assert re.fullmatch(r"[0-9a-f]{16} [ \d]{7} [ \d]{7} [ \d]{7} [r-][w-][x-][s-]- .+", row)
    assert any(
        re.fullmatch(r"[0-9a-f]{16}    8192    8192    8192 rw---   \[ anon \]", r) for r in rows
    )
    assert rows[-1].endswith(" rw---   [ stack ]")
    total = lines[dash + 1]
    m = re.fullmatch(r"total kB         ([ \d]{7}) ([ \d]{7}) ([ \d]{7})", total)
    assert m
    sums = [sum(int(r[17 + 8 * i : 24 + 8 * i]) for r in rows) for i in range(3)]
    assert [int(g) for g in m.groups()] == sums
    rollup = "\n".join(lines[dash + 2 :])
    assert kb_field(rollup, "Rss") == sums[1] >= 8192
    assert kb_field(rollup, "Pss") >= 8192
    v = lines.index(vmstat_mod.HEADER)
    assert (
        lines[v + 1]
        == " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st"
    )
    assert len(lines[v + 2].split()) == 17


# ---------------------------------------------------------------------- pmap
def test_pmap_formats_match_maps() -> None:
    got = chunks(
        [
            "memhog -q 64K & sleep 1; cat /proc/$!/maps",
            "pmap $!",
            "pmap -q $!",
            "pmap -d $!",
            "pmap -X $!",
            "pmap -p -A 400000 $!",
            "cat /proc/$!/smaps",
            "kill $!",
        ]
    )
    maps = [line.split() for line in got[0].splitlines()[:-1]]
    plain = got[1].splitlines()
    assert re.fullmatch(r"\d+:   memhog -q 64K", plain[0])
    body = plain[1:-2]
    assert len(body) == len(maps)
    total = 0
    for row, area in zip(body, maps, strict=True):
        lo, hi = (int(x, 16) for x in area[0].split("-"))
        total += hi - lo
        name = {"[anon:memhog]": "  [ anon ]", "[stack]": "  [ stack ]"}.get(area[5], "memhog")
        mode = area[1][:3] + ("-" if area[1][3] == "p" else "s") + "-"
        assert row == f"{lo:016x} {(hi - lo) >> 10:6d}K {mode} {name}"
    assert plain[-2] == f" total {total >> 10:16d}K"
    assert got[2].splitlines()[1:] == [*body, "[0]"]
    dev = got[3].splitlines()
    assert dev[1] == "Address           Kbytes Mode  Offset           Device    Mapping"
    assert dev[2].startswith("0000000000400000       4 r-x-- 0000000000000000 000:")
    assert (
        dev[-2]
        == f"mapped: {total >> 10}K    writeable/private: {(total >> 10) - 4}K    shared: 0K"
    )
    x = got[4].splitlines()
    header = x[1].split()
    assert header[:6] == ["Address", "Perm", "Offset", "Device", "Inode", "Size"]
    assert header[-1] == "Mapping" and "Rss" in header and "Private_Dirty" not in header
    assert x[-3].strip().startswith("====") and x[-2].endswith(" KB ")
    smaps = got[6]
    rss_total = sum(int(v) for v in re.findall(r"^Rss:\s+(\d+) kB", smaps, re.M))
    rss_col = header.index("Rss") - 5
    assert int(x[-2].split()[rss_col]) == rss_total
    ranged = got[5].splitlines()
    assert ranged[1] == "0000000000400000      4K r-x-- /bin/memhog"
    assert ranged[2] == " total                4K"


def test_pmap_errors() -> None:
    got = chunks(
        [
            "pmap 99999",
            "pmap",
            "pmap abc",
            "pmap -x -d 1",
            "su alice -c 'pmap 1 > /dev/null'",
            "pmap -z 1",
            "pmap --help | head -3",
        ]
    )
    assert got[0] == "[42]"
    assert got[1].startswith("\nUsage:\n pmap [options] PID [PID ...]\n") and got[1].endswith("[1]")
    assert got[2].startswith("\nUsage:") and got[2].endswith("[1]")
    assert got[3] == "pmap: options -c, -C, -d, -n, -N, -x, -X are mutually exclusive\n[1]"
    assert got[4] == "[1]"  # another user's maps cannot be read
    assert got[5].startswith("pmap: invalid option -- 'z'\n\nUsage:") and got[5].endswith("[1]")
    assert got[6] == "\nUsage:\n pmap [options] PID [PID ...]\n[0]"


def test_pmap_helpers() -> None:
    text = (
        "00400000-00401000 r-xp 00000000 00:01 54                                 /bin/x\n"
        "Size:                  4 kB\nRss:                   4 kB\nPrivate_Dirty:         4 kB\n"
        "THPeligible:           0\nVmFlags: rd ex mr mw me \n"
        "7ffff7fef000-7ffff7fff000 rw-s 00000000 00:00 0      /dev/zero (deleted)\n"
        "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0      [stack]\n"
    )
    areas = pmap_mod.parse_maps(text, smaps=True)
    assert [a.name for a in areas] == ["/bin/x", "/dev/zero (deleted)", "[stack]"]
    assert areas[0].fields == {"Size": "4", "Rss": "4", "Private_Dirty": "4", "THPeligible": "0"}
    assert areas[0].vmflags == "rd ex mr mw me"
    assert [a.mode for a in areas] == ["r-x--", "rw-s-", "rw---"]
    top = 0x7FFFFFFFF000
    assert pmap_mod.mapping_name(areas[1], top, False) == "zero (deleted)"
    assert pmap_mod.mapping_name(areas[1], top, True) == "/dev/zero (deleted)"
    assert pmap_mod.mapping_name(areas[2], top, False) == "  [ stack ]"
    assert pmap_mod.mapping_name(areas[2], 0, False) == "  [ anon ]"
    assert pmap_mod.parse_pid("0x1c") == 28 and pmap_mod.parse_pid("014") == 12
    assert pmap_mod.parse_pid("x") is None


# ---------------------------------------------------------------------- vmstat
def test_vmstat_layout_and_figures() -> None:
    got = chunks(
        [
            "vmstat | tail -1; cat /proc/meminfo | grep -E '^(MemFree|Cached|Buffers):'",
            "vmstat 1 3",
            "vmstat -a -n 2 2",
            "vmstat -w -S M | head -2",
            "vmstat -s; grep -E '^(MemTotal|MemFree|Active|Inactive):' /proc/meminfo",
            "vmstat -f; grep processes /proc/stat",
            "vmstat 0",
            "vmstat x",
            "vmstat -S z",
            "vmstat -m",
        ]
    )
    line, *mem = got[0].splitlines()[:-1]
    values = [int(v) for v in line.split()]
    info = {k.rstrip(":"): int(v) for k, v, _ in (m.split() for m in mem)}
    assert values[3] == info["MemFree"]
    assert values[4] == info["Buffers"] and values[5] == info["Cached"]
    assert sum(values[12:17]) in (99, 100, 101)
    lines = got[1].splitlines()
    assert lines[:2] == [
        vmstat_mod.HEADER,
        vmstat_mod.Table(False, False, 1024, False).header().split("\n")[1],
    ]
    assert len(lines) == 6 and all(len(x.split()) == 17 for x in lines[2:5])
    assert got[2].splitlines()[1].split()[4:6] == ["inact", "active"]
    assert len(got[2].splitlines()) == 5
    wide = got[3].splitlines()
    assert wide[0] == vmstat_mod.WIDE_HEADER
    assert wide[1] == (
        "   r    b         swpd         free         buff        cache   si   so    bi    bo"
        "   in   cs  us  sy  id  wa  st"
    )
    summary = got[4].splitlines()
    assert re.fullmatch(r" {0,12}\d+ K total memory", summary[0])
    assert [s.split(None, 1)[1] for s in summary[:3]] == [
        "K total memory",
        "K used memory",
        "K active memory",
    ]
    assert summary[31].endswith(" CPU context switches") and summary[33].endswith(" forks")
    facts = {k.rstrip(":"): int(v) for k, v, _ in (s.split() for s in summary[34:38])}
    assert int(summary[0].split()[0]) == facts["MemTotal"]
    forks = got[5].splitlines()
    assert forks[0] == f"{int(forks[1].split()[1]) - 1:13d} forks"
    assert got[6] == "vmstat: delay must be positive integer\n[1]"
    assert got[7] == "vmstat: failed to parse argument: 'x'\n[1]"
    assert got[8] == "vmstat: -S requires k, K, m or M (default is KiB)\n[1]"
    assert got[9] == "vmstat: Unable to create slabinfo structure: No such file or directory\n[1]"


def test_vmstat_columns_and_percents() -> None:
    table = vmstat_mod.Table(False, False, 1024, False)
    # A value wider than its column pushes the next ones right, then is paid back.
    assert table.line([1, 0, 0, 1234567, 0, 0] + [0] * 6 + [0, 0, 100, 0, 0], "") == (
        " 1  0      0 1234567     0      0    0    0     0     0    0    0  0  0 100 0  0\n"
    )
    assert vmstat_mod.percents([30, 10, 20, 40, 0, 0, 0, 0, 0, 0]) == [40, 20, 40, 0, 0]
    assert vmstat_mod.percents([0] * 10) == [0, 0, 100, 0, 0]


# ---------------------------------------------------------------------- free
def test_free_figures_and_errors() -> None:
    got = chunks(
        [
            "free -lv; cat /proc/meminfo | grep -E '^(MemTotal|MemFree|CommitLimit|Committed_AS):'",
            "free --si | tail -2",
            "free -s 0.5 -c 2",
            "free -m -g",
            "free -s x",
            "free -s 0",
            "free -c 0",
            "free extra",
        ]
    )
    lines = got[0].splitlines()
    info = {k.rstrip(":"): int(v) for k, v, _ in (m.split() for m in lines[6:10])}
    assert lines[2].split() == [
        "Low:",
        str(info["MemTotal"]),
        lines[2].split()[2],
        lines[2].split()[3],
    ]
    low = [int(v) for v in lines[2].split()[1:]]
    assert low[0] - low[2] == low[1]
    assert lines[3] == "High:              0           0           0"
    comm = [int(v) for v in lines[5].split()[1:]]
    assert lines[5].startswith("Comm:") and comm[0] == info["CommitLimit"]
    assert comm[1] > 0 and comm[2] == comm[0] - comm[1]
    assert got[1].splitlines()[0].split()[1] == str(info["MemTotal"])
    repeat = got[2].splitlines()
    assert len(repeat) == 8 and repeat[3] == "" and repeat[4] == repeat[0] and repeat[7] == "[0]"
    assert got[3] == "free: Multiple unit options don't make sense.\n[1]"
    assert got[4] == "free: seconds argument failed: 'x'\n[1]"
    assert got[5] == "free: seconds argument `0' is not positive number\n[1]"
    assert got[6] == "free: failed to parse count argument: '0': Numerical result out of range\n[1]"
    assert got[7].startswith("Usage:\n free [options]\n") and got[7].endswith("[1]")


def test_free_scale() -> None:
    assert free_mod.Scale(0, True, False)(1000) == "1000"  # --si alone: KiB as they are
    assert free_mod.Scale(2, True, False)(1000) == "1024"  # --kilo
    assert free_mod.Scale(3, False, False)(2048) == "2"  # -m
    assert free_mod.Scale(1, False, False)(1) == "1024"  # -b
    assert free_mod.Scale(0, False, True)(64512) == "63Mi"
    assert free_mod.Scale(0, True, True)(0) == "0B"


# ---------------------------------------------------------------------- memhog
def test_memhog_maps_touches_and_holds() -> None:
    got = chunks(
        [
            "memhog 1M & sleep 1; grep memhog /proc/$!/maps",
            "grep -E '^(Rss|Anonymous|Private_Dirty):' /proc/$!/smaps_rollup",
            "grep -E '^(VmRSS|RssAnon):' /proc/$!/status; kill $!; wait $!",
            "memhog -r -q 1M & sleep 1; grep '^Rss:' /proc/$!/smaps_rollup; kill $!",
            "memhog -s -q 64K & sleep 1; "
            "grep -c 'rw-s 00000000 00:00 0 .* /dev/zero (deleted)' /proc/$!/maps; kill $!",
            "memhog -f /tmp/hog -q -H 0 100K; stat -c %s /tmp/hog",
            "memhog -S 256K -H 0 1M | tail -3",
            "memhog -p -H 0 64K | grep 'touched 64.0 KiB'",
            "memhog -H 0 100G",
            "ulimit -v 4096; memhog 8M",
            "memhog",
            "memhog 8X",
            "memhog 1M 2M",
            "memhog -S 0 1M",
            "memhog -H -1 1M",
            "memhog --bogus 1M",
        ]
    )
    first = got[0].splitlines()
    assert first[0] == "memhog: 1.0 MiB of private anonymous memory at " + first[0].split(" at ")[1]
    assert re.fullmatch(
        r"memhog: 1.0 MiB of private anonymous memory at 0x([0-9a-f]+)-0x([0-9a-f]+)", first[0]
    )
    touched = [x for x in first if x.startswith("memhog: touched")]
    assert touched == [
        f"memhog: touched {k * 128}.0 KiB of 1.0 MiB, {k * 32} minor faults, 0 major"
        for k in range(1, 8)
    ] + ["memhog: touched 1.0 MiB of 1.0 MiB, 256 minor faults, 0 major"]
    assert re.fullmatch(r"memhog: 256 stores in \d+\.\d{6} s", first[-5])
    assert re.fullmatch(r"memhog: holding 1.0 MiB until killed \(kill \d+\)", first[-4])
    assert re.fullmatch(r"00400000-00401000 r-xp 00000000 00:01 \d+ +/bin/memhog", first[-3])
    assert re.fullmatch(r"[0-9a-f]+-[0-9a-f]+ rw-p 00000000 00:00 0 +\[anon:memhog\]", first[-2])
    rollup = got[1]
    assert kb_field(rollup, "Rss") >= 1024 and kb_field(rollup, "Anonymous") >= 1024
    assert kb_field(rollup, "Private_Dirty") >= 1024
    assert kb_field(got[2], "RssAnon") >= 1024 and got[2].endswith("[143]")
    assert kb_field(got[3], "Rss") < 64  # read touches map the zero page
    assert got[4].startswith("1\n")
    assert got[5] == "102400\n[0]"
    assert got[6] == (
        "memhog: touched 1.0 MiB of 1.0 MiB, 4 minor faults, 0 major\n"
        + got[6].splitlines()[1]
        + "\nmemhog: holding 1.0 MiB for 0 s\n[0]"
    )
    assert got[6].splitlines()[1].startswith("memhog: 4 stores in ")
    assert got[7] == "memhog: touched 64.0 KiB of 64.0 KiB, 0 minor faults, 0 major\n[0]"
    assert got[8] == "memhog: cannot map 100.0 GiB: Cannot allocate memory\n[2]"
    assert got[9] == "memhog: cannot map 8.0 MiB: Cannot allocate memory\n[2]"
    hint = "\nTry 'memhog --help' for more information.\n[1]"
    assert got[10] == "memhog: missing SIZE" + hint
    assert got[11] == "memhog: invalid size '8X'" + hint
    assert got[12] == "memhog: extra operand '2M'" + hint
    assert got[13] == "memhog: invalid stride '0'" + hint
    assert got[14] == "memhog: invalid hold time '-1'" + hint
    assert got[15] == "memhog: unrecognized option '--bogus'" + hint


def test_memhog_sizes() -> None:
    assert memhog_mod.parse_size("8M") == 8 << 20
    assert memhog_mod.parse_size("1.5g") == 3 << 29
    assert memhog_mod.parse_size("64KiB") == 65536
    assert memhog_mod.parse_size("4096") == 4096
    assert memhog_mod.parse_size("8X") is None and memhog_mod.parse_size("") is None
    assert memhog_mod.show_size(8 << 30) == "8.0 GiB"
    assert memhog_mod.show_size(512) == "512 B"


# ---------------------------------------------------------------------- dd
def test_dd_offsets_and_summaries() -> None:
    got = chunks(
        [
            "echo hello world > /tmp/a; dd if=/tmp/a bs=4 skip=1 count=2",
            "dd if=/tmp/a of=/tmp/b bs=3 seek=2 status=noxfer; od -c /tmp/b",
            "printf XY | dd of=/tmp/b bs=1 seek=1 conv=notrunc status=none; od -c /tmp/b | head -1",
            "dd if=/tmp/a ibs=5 obs=3 of=/tmp/c status=noxfer; cat /tmp/c",
            "dd if=/tmp/a bs=5 conv=sync status=noxfer | od -c",
            "dd if=/tmp/a iflag=skip_bytes,count_bytes skip=6 count=3 status=none; echo",
            "echo hello | dd conv=ucase status=none",
            "dd if=/tmp/a skip=1 status=noxfer",
            "dd bs=0",
            "dd foo=1",
            "dd conv=bogus",
            "dd status=loud",
            "dd if=/nope",
            "dd -x",
            "dd bs=2x",
        ]
    )
    assert re.fullmatch(
        r"o world\n2\+0 records in\n2\+0 records out\n"
        r"8 bytes copied, [\d.e-]+ s, [\d.]+ [kMG]B/s\n\[0\]",
        got[0],
    )
    assert got[1].startswith(
        "4+0 records in\n4+0 records out\n0000000  \\0  \\0  \\0  \\0  \\0  \\0   h"
    )
    assert got[2].startswith("0000000  \\0   X   Y  \\0")
    assert got[3] == "2+1 records in\n4+0 records out\nhello world\n[0]"
    assert got[4].startswith("2+1 records in\n3+0 records out\n")
    assert "   d  \\n  \\0  \\0  \\0" in got[4]
    assert got[5] == "wor\n[0]"
    assert got[6] == "HELLO\n[0]"
    assert (
        got[7]
        == "dd: /tmp/a: cannot skip to specified offset\n0+0 records in\n0+0 records out\n[0]"
    )
    hint = "\nTry 'dd --help' for more information.\n[1]"
    assert got[8] == "dd: invalid number: '0'\n[1]"
    assert got[9] == "dd: unrecognized operand 'foo=1'" + hint
    assert got[10] == "dd: invalid conversion: 'bogus'" + hint
    assert got[11] == "dd: invalid status level: 'loud'" + hint
    assert got[12] == "dd: failed to open '/nope': No such file or directory\n[1]"
    assert got[13] == "dd: invalid option -- 'x'" + hint
    assert got[14] == "dd: invalid number: '2x'\n[1]"


def test_dd_reads_and_writes_proc_pid_mem() -> None:
    got = chunks(
        [
            "memhog -q 64K & sleep 1; "
            "dd if=/proc/$!/mem bs=1 skip=$((0x400000)) count=16 status=none | od -c",
            "dd if=/bin/memhog bs=16 count=1 status=none | od -c",
            "a=$(grep memhog /proc/$!/maps | tail -1 | cut -d- -f1); "
            "printf HELLO | dd of=/proc/$!/mem bs=1 seek=$((0x$a + 100)) conv=notrunc status=none; "
            "dd if=/proc/$!/mem bs=1 skip=$((0x$a + 99)) count=7 status=none | od -c | head -1",
            "dd if=/proc/$!/mem bs=4096 skip=1 count=1 status=noxfer",
            "dd if=/proc/$!/mem bs=4096 skip=1 count=2 conv=noerror,sync status=noxfer | wc -c",
            "kill $!",
        ]
    )
    assert got[0] == got[1] and got[0].startswith("0000000 177   L   B   K")
    assert got[2] == "0000000  \\0   H   E   L   L   O  \\0\n[0]"
    pid_err = re.fullmatch(
        r"dd: error reading '/proc/\d+/mem': Input/output error\n0\+0 records in\n"
        r"0\+0 records out\n\[1\]",
        got[3],
    )
    assert pid_err
    assert got[4].endswith("8192\n[0]")
    assert got[4].count("Input/output error") == 2


def test_gnu_human_readable_and_numbers() -> None:
    si = {0: "0 B", 1: "1 B", 999: "999 B", 1000: "1.0 kB", 1536: "1.5 kB", 10240: "10 kB"}
    si |= {999999: "1.0 MB"}
    assert {n: human_readable(n) for n in si} == si
    iec = {1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 8 << 20: "8.0 MiB"}
    assert {n: human_readable(n, 1024) for n in iec} == iec
    assert human_readable(512, 1000, 10**9, 10**9) == "512 B"  # integer path
    assert human_readable(0, 1000, 10**9, 54000) == "0.0 kB"  # floating path
    assert xfer_line(0, 54000) == "0 bytes copied, 5.4e-05 s, 0.0 kB/s"
    assert xfer_line(1, 10**9) == "1 byte copied, 1 s, 1 B/s"
    assert xfer_line(1000, 10**9) == "1000 bytes (1.0 kB) copied, 1 s, 1.0 kB/s"
    assert xfer_line(1536, 10**6) == "1536 bytes (1.5 kB, 1.5 KiB) copied, 0.001 s, 1.5 MB/s"
    assert xfer_line(8 << 20, 2 * 10**9) == "8388608 bytes (8.4 MB, 8.0 MiB) copied, 2 s, 4.2 MB/s"
    sizes = {"512": 512, "2K": 2048, "1kB": 1000, "1KiB": 1024, "2b": 1024, "3w": 6}
    sizes |= {"1M": 1 << 20, "3x512": 1536, "2Kx3": 6144, "1m": None, "": None, "-1": None}
    assert {s: parse_size(s) for s in sizes} == sizes


# ---------------------------------------------------------------------- time -v
def test_time_verbose_and_format() -> None:
    got = chunks(
        [
            "time -v memhog -q -H 0 4M",
            "time -f '%x %C|%E|%e' sh -c 'exit 3'",
            "time -q -f '%x' sh -c 'exit 3'",
            "time -f '%E %P %Z %% %q\\t.' sleep 3725",
        ]
    )
    lines = got[0].splitlines()
    labels = [line.split(":")[0].strip() for line in lines[:-1]]
    assert labels == [line.split(":")[0].strip() for line in time_mod.VERBOSE.splitlines()]
    assert len(labels) == 23 and labels[11:15] == [
        "Major (requiring I/O) page faults",
        "Minor (reclaiming a frame) page faults",
        "Voluntary context switches",
        "Involuntary context switches",
    ]
    assert re.fullmatch(r"\tPercent of CPU this job got: \d+%", lines[3])
    assert re.fullmatch(r"\tElapsed \(wall clock\) time \(h:mm:ss or m:ss\): 0:00\.\d\d", lines[4])
    assert lines[5:9] == [
        f"\tAverage {w} size (kbytes): 0"
        for w in ("shared text", "unshared data", "stack", "total")
    ]
    assert all(line.startswith("\t") for line in lines[:-1])
    assert lines[0] == '\tCommand being timed: "memhog -q -H 0 4M"'
    values = {line.split(": ")[0].strip(): line.split(": ")[1] for line in lines[:-1]}
    assert int(values["Maximum resident set size (kbytes)"]) >= 4096
    assert int(values["Minor (reclaiming a frame) page faults"]) >= 1024
    assert values["Major (requiring I/O) page faults"] == "0"
    assert values["Page size (bytes)"] == "4096" and values["Exit status"] == "0"
    assert re.fullmatch(r"\d+\.\d\d", values["User time (seconds)"])
    assert got[1] == "Command exited with non-zero status 3\n3 sh -c exit 3|0:00.00|0.00\n[3]"
    assert got[2] == "3\n[3]"
    assert got[3] == "1:02:05 0% 4096 % ?q\t.\n[0]"


def test_time_format_helpers() -> None:
    assert time_mod.elapsed_text(61_500_000_000) == "1:01.50"
    assert time_mod.elapsed_text(3_725_000_000_000) == "1:02:05"
    assert time_mod.seconds(1_234_000_000) == "1.23"


# ---------------------------------------------------------------------- ulimit
def test_ulimit_like_dash() -> None:
    got = chunks(
        [
            "ulimit -a",
            "ulimit; ulimit -n; ulimit -Hn",
            "ulimit -n 100; ulimit -n; ulimit -Hn; sh -c 'ulimit -n'",
            "ulimit -S -n 50; ulimit -Sn; ulimit -Hn",
            "ulimit -f 4; ulimit -f; grep 'Max file size' /proc/$$/limits",
            "ulimit -v unlimited; ulimit -v; ulimit -s 16; ulimit -s",
            "ulimit -x",
            "ulimit -n 5 6",
            "ulimit -a 5",
            "ulimit -n 1x",
            "ulimit -S -n 200",
            "su alice -c 'ulimit -n 10; ulimit -n 20'",
            "ulimit -w",
            "ulimit -v 8192; memhog -q -H 0 16M",
        ]
    )
    assert got[0] == (
        "time(seconds)        unlimited\n"
        "file(blocks)         unlimited\n"
        "data(kbytes)         unlimited\n"
        "stack(kbytes)        8192\n"
        "coredump(blocks)     0\n"
        "memory(kbytes)       unlimited\n"
        "locked memory(kbytes) 8192\n"
        f"process              {got[0].split('process')[1].split()[0]}\n"
        "nofiles              1024\n"
        "vmemory(kbytes)      unlimited\n[0]"
    )
    assert got[1] == "unlimited\n1024\n4096\n[0]"
    assert got[2] == "100\n100\n100\n[0]"
    assert got[3] == "50\n100\n[0]"
    assert re.fullmatch(r"4\nMax file size +2048 +2048 +bytes *\n\[0\]", got[4])
    assert got[5] == "unlimited\n16\n[0]"
    assert got[6] == "sh: 1: ulimit: Illegal option -x\n[2]"
    assert got[7] == "sh: 1: ulimit: too many arguments\n[2]"
    assert got[8] == "sh: 1: ulimit: too many arguments\n[2]"
    assert got[9] == "sh: 1: ulimit: bad number\n[2]"
    assert got[10] == "sh: 1: ulimit: error setting limit (Invalid argument)\n[2]"
    assert got[11] == "sh: 1: ulimit: error setting limit (Operation not permitted)\n[2]"
    assert got[12] == "sh: 1: ulimit: Illegal option -w\n[2]"
    assert got[13] == "memhog: cannot map 16.0 MiB: Cannot allocate memory\n[2]"


def test_manual_pages() -> None:
    pages = [("7", "memory"), ("1", "pmap"), ("1", "vmstat"), ("1", "memhog"), ("1", "dd")]
    got = chunks([f"man {sec} {name} | head -4" for sec, name in pages])
    for (sec, name), text in zip(pages, got, strict=True):
        lines = text.splitlines()
        assert lines[0].startswith(f"{name.upper()}({sec})")
        assert lines[3].startswith(f"       {name} - ") and text.endswith("[0]")
