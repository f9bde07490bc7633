"""iostat: sysstat's reports (header, avg-cpu, Device, -x) with the numbers of known I/O
through dd, the device selection, units, and the interval mode."""

from __future__ import annotations

import re

import pytest

from tui.headless import run_command

IO = (
    "dd if=/dev/blk0 of=/dev/null bs=4096 count=100 2>/dev/null; "
    "dd if=/dev/zero of=/dev/blk0 bs=1024 count=7 2>/dev/null"
)
SEP = "@@"
BASIC_HEADER = (
    "Device             tps    kB_read/s    kB_wrtn/s    kB_dscd/s    kB_read    kB_wrtn    kB_dscd"
)


def reports(*cmds: str, before: str = IO) -> list[str]:
    """Run ``before`` then each command in one boot; each one's output and ``[status]``."""
    script = before + "; " + "; ".join(f'{c} 2>&1; echo "{SEP}$?"' for c in cmds)
    out, status = run_command(script)
    assert status == 0, out
    parts = out.split(SEP)
    results = []
    for i in range(len(cmds)):
        text = parts[i].split("\n", 1)[1] if i else parts[i]
        results.append(f"{text}[{parts[i + 1].split(chr(10), 1)[0]}]")
    return results


def body(text: str) -> list[str]:
    """The lines after the header line and its blank line, without the status."""
    lines = text.rsplit("[", 1)[0].split("\n")
    assert re.fullmatch(r"libk 0\.1\.0 \(libk\) \t\d\d/\d\d/\d\d \t_sim64_\t\(4 CPU\)", lines[0])
    assert lines[1] == ""
    return lines[2:]


def device_row(line: str) -> tuple[str, list[float]]:
    name, *values = line.split()
    return name, [float(v) for v in values]


@pytest.fixture(scope="module")
def seen() -> list[str]:
    return reports(
        "iostat",
        "iostat -d",
        "iostat -c",
        "iostat -x blk0",
        "iostat -d -m",
        "iostat 0",
        "iostat -Z",
    )


def test_default_report_has_cpu_then_devices(seen: list[str]) -> None:
    lines = body(seen[0])
    assert lines[0] == "avg-cpu:  %user   %nice %system %iowait  %steal   %idle"
    cpu = [float(v) for v in lines[1].split()]
    assert len(cpu) == 6 and abs(sum(cpu) - 100) < 0.1 and lines[1].startswith("        ")
    assert lines[2] == ""
    assert lines[3] == BASIC_HEADER
    name, values = device_row(lines[4])
    assert name == "blk0" and values[4:] == [400, 7, 0]  # 100 x 4 KiB read, 7 x 1 KiB written
    tps, rd, wr, dscd = values[:4]
    # Rates over the same uptime: 107 requests, 400 kB and 7 kB.
    assert abs(rd / tps - 400 / 107) < 0.01 and abs(wr / tps - 7 / 107) < 0.01 and dscd == 0
    assert lines[5:] == ["", ""]
    assert len(lines[4]) == len(lines[3])  # the columns line up


def test_device_and_cpu_only(seen: list[str]) -> None:
    d, c = body(seen[1]), body(seen[2])
    assert d[0].startswith("Device ") and not any("avg-cpu" in x for x in d)
    assert d[1].split()[5:] == ["400", "7", "0"]
    assert c[0].startswith("avg-cpu:") and not any("Device" in x for x in c)
    assert seen[1].endswith("[0]") and seen[2].endswith("[0]")


def test_extended_statistics(seen: list[str]) -> None:
    lines = body(seen[3])
    header = lines[3].split()
    assert header == [
        "Device", "r/s", "rkB/s", "r_await", "rareq-sz", "w/s", "wkB/s", "w_await",
        "wareq-sz", "aqu-sz", "%util",
    ]  # fmt: skip
    name, v = device_row(lines[4])
    rs, rkb, r_await, rsz, ws, wkb, w_await, wsz, aqu, util = v
    assert name == "blk0" and rsz == 4.0 and wsz == 1.0
    assert r_await == 0.05 and w_await == 0.0  # 5 ms over 100 reads; writes under 1 ms
    assert abs(rkb / rs - 4) < 0.01 and abs(wkb / ws - 1) < 0.01
    assert aqu >= 0 and 0 < util <= 100


def test_megabytes(seen: list[str]) -> None:
    lines = body(seen[4])
    assert lines[0].split()[2:5] == ["MB_read/s", "MB_wrtn/s", "MB_dscd/s"]
    assert lines[1].split()[5:] == ["0", "0", "0"]  # 400 kB is not a whole MB


def test_usage_errors(seen: list[str]) -> None:
    assert seen[5].startswith("Usage: iostat") and seen[5].endswith("[1]")
    assert seen[6].startswith("iostat: invalid option -- 'Z'\nUsage:") and seen[6].endswith("[1]")


def test_unused_devices_are_left_out_unless_asked() -> None:
    got = reports("iostat -d", "iostat -d ALL", "iostat -d /dev/blk0", before="true")
    assert body(got[0]) == [BASIC_HEADER, "", ""]
    for text in got[1:]:
        name, values = device_row(body(text)[1])
        assert name == "blk0" and values == [0.0] * 7


def test_interval_reports_cover_the_interval() -> None:
    # -y: one report, of the second during which dd read 400 kB.
    got = reports(
        "(iostat -dy 1 1 &); sleep 0.2; dd if=/dev/blk0 of=/dev/null bs=4096 count=100 "
        "2>/dev/null; wait; sleep 1",
        "iostat -d 1 3",
        "iostat -dz 1 2",
        "iostat -c -t 1 2",
    )
    lines = body(got[0])
    name, values = device_row(lines[1])
    assert name == "blk0" and values == [100.0, 400.0, 0.0, 0.0, 400, 0, 0]
    three = body(got[1])
    heads = [i for i, x in enumerate(three) if x.startswith("Device")]
    assert len(heads) == 3
    assert device_row(three[heads[0] + 1])[1][4:] == [800, 7, 0]  # since boot
    for i in heads[1:]:  # nothing happened since
        assert device_row(three[i + 1])[1] == [0.0] * 7
    z = body(got[2])
    assert z[1].startswith("blk0") and z[3:5] == [z[0], ""]  # -z: the idle interval lists none
    stamped = body(got[3])
    stamps = [x for x in stamped if re.fullmatch(r"\d\d/\d\d/\d\d \d\d:\d\d:\d\d", x)]
    assert len(stamps) == 2 and stamped.count(stamped[1]) == 2
