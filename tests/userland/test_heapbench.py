"""heapbench: malloclab traces (parsing, the shipped ones), runs end to end on a
machine, its tables, its errors, and /usr/share/heapbench.

Run this file (``.venv/bin/python tests/userland/test_heapbench.py``) to rewrite the
shipped traces from ``userland.share.gen_traces`` after changing the generator.
"""

from __future__ import annotations

import re
import sys as host_sys
from pathlib import Path

import pytest

host_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kernel"))

from ksim import shell  # noqa: E402

from kernel import share  # noqa: E402
from kernel.abi import plugins  # noqa: E402
from userland.libk.heap.bench import (  # noqa: E402
    ALLOC,
    FREE,
    REALLOC,
    Rand,
    TraceError,
    format_trace,
    parse_trace,
    synthetic,
)
from userland.libk.heap.chunked import ChunkedArena  # noqa: E402
from userland.libk.heap.registry import GROUP  # noqa: E402
from userland.share import gen_traces  # noqa: E402

TRACES = Path(gen_traces.__file__).resolve().parent / "heapbench"
SMALL = "a 0 100\na 1 5000\nr 0 300\na 2 24\nf 1\nf 0\na 3 0\nf 3\nf 2\n"


# ---------------------------------------------------------------------- parsing
def test_a_trace_parses_with_and_without_its_header() -> None:
    bare = parse_trace(SMALL, "s.rep")
    framed = parse_trace("20000\n4\n9\n1\n" + SMALL, "s.rep")
    assert bare.ops == framed.ops
    assert bare.ops[:3] == [(ALLOC, 0, 100), (ALLOC, 1, 5000), (REALLOC, 0, 300)]
    assert bare.nslots == 4
    assert (bare.peak_payload, bare.peak_at) == (5324, 3)  # 300 + 5000 + 24
    ids = parse_trace("a 7 8\n\na 9000 16\nf 7\nf 9000\n", "x")
    assert ids.ops == [(ALLOC, 0, 8), (ALLOC, 1, 16), (FREE, 0, 0), (FREE, 1, 0)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a 1 10\na 2 20\nx 3\n", "bad.rep:3: expected 'a ID SIZE', 'f ID' or 'r ID SIZE'"),
        ("a 1\n", "bad.rep:1: expected 'a ID SIZE', 'f ID' or 'r ID SIZE'"),
        ("a 1 -5\n", "bad.rep:1: expected 'a ID SIZE', 'f ID' or 'r ID SIZE'"),
        ("a 1 8\nf 1 8\n", "bad.rep:2: expected 'a ID SIZE', 'f ID' or 'r ID SIZE'"),
        ("a 1 8\nf 2\n", "bad.rep:2: id 2 is not allocated"),
        ("a 1 8\nf 1\nf 1\n", "bad.rep:3: id 1 is not allocated"),
        ("r 4 8\n", "bad.rep:1: id 4 is not allocated"),
        ("a 1 8\na 1 8\n", "bad.rep:2: id 1 is allocated already"),
        ("100\n1\n", "bad.rep:3: the header is 4 numbers, one a line"),
        ("100\n1\n3\n1\na 0 8\nf 0\n", "bad.rep: the header says 3 operations, there are 2"),
    ],
)
def test_a_bad_trace_is_an_error_that_names_the_line(text: str, message: str) -> None:
    with pytest.raises(TraceError) as err:
        parse_trace(text, "bad.rep")
    assert str(err.value) == message


def test_format_trace_round_trips() -> None:
    ops = parse_trace(SMALL, "s").ops
    text = format_trace(ops)
    assert text.splitlines()[:4] == ["5324", "4", "9", "1"]
    assert parse_trace(text, "s").ops == ops


def test_the_generators_are_deterministic() -> None:
    r1, r2 = Rand(5), Rand(5)
    first = [r1.next64() for _ in range(3)]
    assert first == [r2.next64() for _ in range(3)] and len(set(first)) == 3
    assert first[0] == 0x63033B0CA389C35A  # splitmix64: the same on every host
    a, b = synthetic("random", 3), synthetic("random", 3)
    assert a.ops == b.ops and len(a.ops) >= 4000
    assert synthetic("random", 4).ops != a.ops
    assert max(s for _, _, s in synthetic("small", 1).ops) <= 128


def test_the_shipped_traces_are_what_the_generator_writes() -> None:
    made = gen_traces.generate()
    shipped = {p.name: p.read_text() for p in TRACES.glob("*.rep")}
    assert shipped == made, "run .venv/bin/python tests/userland/test_heapbench.py"
    for name, text in made.items():
        t = parse_trace(text, name)
        assert 3000 <= len(t.ops) <= 6000
        live = {slot for kind, slot, _ in t.ops if kind == ALLOC}
        assert sum(kind == FREE for kind, _, _ in t.ops) == len(live)  # all freed


# ---------------------------------------------------------------------- on the machine
def _rows(output: str) -> dict[str, list[str]]:
    return {
        line.split()[0]: line.split()
        for line in output.splitlines()
        if re.match(r"^(naive|chunked|libc|bitmap|classes)\s", line)
    }


def test_a_trace_runs_under_naive_and_chunked() -> None:
    trace = "".join(f"a {i} {16 + 40 * i}\n" for i in range(40))
    trace += "".join(f"r {i} {900 + i}\n" for i in range(0, 40, 5))
    trace += "".join(f"f {i}\n" for i in range(40))
    r = shell(
        f"printf '{trace}' > /tmp/t.rep; heapbench -s naive,chunked -t /tmp/t.rep",
        cpus=1,
    )
    assert r.status == 0, r.output
    head = "trace /tmp/t.rep: 88 ops, 40 ids"
    assert head in r.output
    assert "STRATEGY" in r.output and "NS/OP" in r.output and "UTIL" in r.output
    rows = _rows(r.output)
    assert list(rows) == ["naive", "chunked"]  # no libc: the first one is the baseline
    naive, chunked = rows["naive"], rows["chunked"]
    # OPS NS/OP RATIO MMAP MUNMAP FAULTS RSS UTIL FRAG
    assert naive[1] == chunked[1] == "88"
    assert naive[3] == "1.00x"
    assert int(naive[4]) == 40 and int(naive[5]) == 40  # one mmap per allocation
    assert int(chunked[4]) <= 2 and int(chunked[5]) <= 2
    assert int(naive[6]) >= 40  # a page fault per allocation at least
    assert float(chunked[2]) < float(naive[2])  # no system call per allocation
    for row in (naive, chunked):
        util = float(row[8].rstrip("%"))
        assert 0 < util <= 100
        assert int(row[7]) > 0
    assert "fastest against naive: chunked" in r.output


def test_a_strategy_that_cannot_run_is_a_row_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(ChunkedArena):
        strategy = "t_broken"

        def setup_region(self, addr: int, length: int, home: bool) -> int:
            raise RuntimeError("deliberately broken")

    group = plugins._group(GROUP)  # registered for this test only (monkeypatch undoes it)
    monkeypatch.setitem(group, "t_broken", Broken)
    monkeypatch.setitem(group, "t_missing", "userland.libk.heap.t_nowhere:Arena")
    r = shell(
        "printf 'a 0 10\\nf 0\\n' > /tmp/t.rep;"
        "heapbench -s chunked,t_broken,t_missing -t /tmp/t.rep;"
        "LIBK_HEAP_CHUNK=3 heapbench -s chunked -t /tmp/t.rep",
        cpus=1,
    )
    assert r.status == 0, r.output
    rows = [ln for ln in r.output.splitlines() if ln.startswith(("chunked", "t_"))]
    assert rows[0].split()[1] == "2"  # chunked ran
    assert rows[1] == "t_broken   (RuntimeError: deliberately broken)"
    assert rows[2].startswith("t_missing  (LIBK_HEAP=t_missing: cannot load ")
    assert "No module named" in rows[2]
    assert rows[3] == "chunked    (LIBK_HEAP_CHUNK=3: a size of at least 16384, a power of two)"


def test_errors_are_reported_like_a_utility() -> None:
    r = shell(
        "heapbench -t /nope.rep; echo st=$?;"
        "printf 'a 1 10\\na 2 20\\nx 3\\n' > /tmp/bad.rep; cd /tmp; heapbench -t bad.rep;"
        "echo st=$?; heapbench --threads 0; echo st=$?; heapbench -s nosuch; echo st=$?;"
        "heapbench --synthetic huge; echo st=$?; heapbench --sweep -s naive; echo st=$?;"
        "heapbench --help | head -1",
        cpus=1,
    )
    lines = r.output.splitlines()
    assert lines[:4] == [
        "heapbench: /nope.rep: No such file or directory",
        "st=1",
        "heapbench: bad.rep:3: expected 'a ID SIZE', 'f ID' or 'r ID SIZE'",
        "st=1",
    ]
    assert "heapbench: --threads: '0' is not a number from 1 to 64" in r.output
    assert "heapbench: -s: 'nosuch': no such strategy" in r.output
    assert "heapbench: --synthetic: 'huge' is not random, small, prodcons" in r.output
    assert r.output.count("st=2") == 4
    assert lines[-1].startswith("Usage: heapbench")


def test_threads_free_across_cpus_with_per_cpu_arenas() -> None:
    r = shell("heapbench --synthetic prodcons --threads 2 --arenas cpu -s chunked", cpus=2)
    assert r.status == 0, r.output
    assert "2 threads, 2 CPUs, arenas cpu" in r.output
    one, two = [ln.split() for ln in r.output.splitlines() if ln.startswith("chunked")]
    # STRATEGY THREADS OPS VIRT-MS OPS/VSEC SPEEDUP MMAP FAULTS CONTENDED REMOTE
    assert (one[1], two[1]) == ("1", "2")
    assert int(two[2]) == 2 * int(one[2]) == 8000
    assert int(one[9]) == 0 and int(two[9]) > 0  # frees queued to the other CPU's arena
    assert float(two[5].rstrip("x")) > 1.2


def test_usr_share_heapbench_lists_the_traces() -> None:
    files = share.packaged_files()
    assert sorted(f for f in files if f.startswith("heapbench/")) == sorted(
        f"heapbench/{n}" for n in gen_traces.TRACES
    )
    assert not any(f.endswith((".py", ".pyc")) or "__pycache__" in f for f in files)
    r = shell("ls /usr/share/heapbench; dmesg | grep share:", cpus=1)
    assert r.output.split() == [
        "binary.rep",
        "frag.rep",
        "prodcons.rep",
        "realloc.rep",
        "small.rep",
        *r.output.split()[5:],
    ]
    assert "files in /usr/share" in r.output


if __name__ == "__main__":  # rewrite the shipped traces
    for name, text in gen_traces.generate().items():
        (TRACES / name).write_text(text)
        host_sys.stdout.write(f"wrote {TRACES / name}\n")
