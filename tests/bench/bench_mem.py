"""Memory: loads and stores through the MMU view, page faults, and a 1 MiB copy.

All three run inside a registered program on a booted machine, timed with the host
clock around the loop (the program is benchmark code, not userland, so it may):

1. **Load/store on a present page** — ``load8``/``store8`` through the MMU view on a
   page already mapped (``x = load8(a + (i & mask))``), against indexing a bare
   ``bytearray`` in the same loop shape (``x = buf[b + (i & mask)]``). Target: ≤ 3×.
   The ratio includes the loop's own cost on both sides, as a program's loop would.
2. **Page faults** — one ``store8`` to each page of a fresh anonymous mapping, every one
   a fault that takes a zeroed frame from the buddy allocator and maps it; reported as
   faults per host second, against the host allocating a ``bytearray(4096)`` into a
   dict per page.
3. **1 MiB copy** — ``mem.copy`` between two present mappings against copying a 1 MiB
   ``bytearray`` slice into another.
"""

from __future__ import annotations

import time

import _common as c

from kernel.abi import MAP_ANONYMOUS, MAP_POPULATE, MAP_PRIVATE, PROT_READ, PROT_WRITE
from userland.libk import sys as lsys

TARGET_RATIO = 3.0
RW = PROT_READ | PROT_WRITE
ANON = MAP_PRIVATE | MAP_ANONYMOUS
RESULTS: dict[str, float] = {}
PS = 4096


async def bench_prog(argv: list[str]) -> int:
    n, pages, copies = int(argv[1]), int(argv[2]), int(argv[3])
    mem = await lsys.mmu()
    a = await lsys.mmap(0, PS, RW, ANON)
    mem.store8(a, 1)  # present and writable from here on
    load8, store8 = mem.load8, mem.store8
    mask = PS - 1
    buf = bytearray(PS)
    b = 0  # the baseline computes an offset the same way the view's loop computes an address

    t0 = time.perf_counter()
    for i in range(n):
        x = load8(a + (i & mask))
    t1 = time.perf_counter()
    for i in range(n):
        x = buf[b + (i & mask)]
    t2 = time.perf_counter()
    for i in range(n):
        store8(a + (i & mask), i)
    t3 = time.perf_counter()
    for i in range(n):
        buf[b + (i & mask)] = i & 255
    t4 = time.perf_counter()
    del x
    RESULTS["load"], RESULTS["load_base"] = t1 - t0, t2 - t1
    RESULTS["store"], RESULTS["store_base"] = t3 - t2, t4 - t3

    f = await lsys.mmap(0, pages * PS, RW, ANON)
    t0 = time.perf_counter()
    for p in range(pages):
        store8(f + p * PS, 1)
    t1 = time.perf_counter()
    table: dict[int, bytearray] = {}
    for p in range(pages):
        page = bytearray(PS)
        page[0] = 1
        table[p] = page
    t2 = time.perf_counter()
    RESULTS["faults"], RESULTS["faults_base"] = t1 - t0, t2 - t1
    await lsys.munmap(f, pages * PS)

    size = 1 << 20
    src = await lsys.mmap(0, size, RW, ANON | MAP_POPULATE)
    dst = await lsys.mmap(0, size, RW, ANON | MAP_POPULATE)
    mem.fill(src, 7, size)
    hsrc, hdst = bytearray(b"\7" * size), bytearray(size)
    t0 = time.perf_counter()
    for _ in range(copies):
        mem.copy(dst, src, size)
    t1 = time.perf_counter()
    for _ in range(copies):
        hdst[:] = hsrc[:]
    t2 = time.perf_counter()
    if mem.read(dst + size - 8, 8) != b"\7" * 8:
        raise RuntimeError("the copy did not arrive")
    RESULTS["copy"], RESULTS["copy_base"] = t1 - t0, t2 - t1
    return 0


def once(n: int, pages: int, copies: int) -> dict[str, float]:
    k = c.boot_program(["/bin/bench_mem", str(n), str(pages), str(copies)], memory=256 << 20)
    c.run_to_halt(k)
    return dict(RESULTS)


def main() -> int:
    args = c.parser(__doc__.splitlines()[0], repeats=5).parse_args()
    n, pages, copies = (100_000, 2_000, 5) if args.quick else (1_000_000, 20_000, 20)
    repeats = 3 if args.quick else args.repeats
    c.register_program("bench_mem", bench_prog)
    print(
        f"bench_mem: {n:,} loads and stores, {pages:,} faults, {copies} x 1 MiB copies; "
        f"best of {repeats}"
    )
    runs = [once(n, pages, copies) for _ in range(repeats)]
    best = {key: min(r[key] for r in runs) for key in runs[0]}
    load_ratio = best["load"] / best["load_base"]
    store_ratio = best["store"] / best["store_base"]
    ratio = max(load_ratio, store_ratio)
    faults_per_s = pages / best["faults"]
    copy_mib_s = copies / best["copy"]
    c.report(
        "mem",
        {
            "load8, present page": f"{best['load'] / n * 1e9:.0f} ns "
            f"(bytearray index {best['load_base'] / n * 1e9:.0f} ns, {load_ratio:.2f}x)",
            "store8, present page": f"{best['store'] / n * 1e9:.0f} ns "
            f"(bytearray store {best['store_base'] / n * 1e9:.0f} ns, {store_ratio:.2f}x)",
            "page faults (zero-fill, first store)": f"{faults_per_s:,.0f}/s "
            f"(host bytearray+dict per page {pages / best['faults_base']:,.0f}/s, "
            f"{best['faults'] / best['faults_base']:.1f}x slower)",
            "1 MiB copy between mappings": f"{copy_mib_s:,.0f} MiB/s "
            f"(bytearray copy {copies / best['copy_base']:,.0f} MiB/s, "
            f"{best['copy'] / best['copy_base']:.1f}x slower)",
        },
        ratio,
        "MMU view ns ÷ bytearray ns (worse of load and store)",
        f"≤ {TARGET_RATIO:g}×",
        ratio <= TARGET_RATIO,
        {"faults_per_s": faults_per_s, "copy_mib_s": copy_mib_s},
        headline=f"load/store {load_ratio:.2f}x/{store_ratio:.2f}x bytearray, "
        f"{faults_per_s:,.0f} faults/s",
    )
    if args.profile:
        c.profile_call(lambda: once(n // 10, pages // 10, 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
