"""``heapdemo [-s STRATEGY] [-d DELAY] [-n STEPS]``: the libk heap at work, one step at a time.

A teaching program for the heap pane and ``heapstat``: it allocates blocks with
``kmheapa`` and frees them with ``kmheapf`` in numbered steps, printing each one and
sleeping DELAY seconds between them, so a learner can follow every step in the pane.
The script shows the three things a heap does that matter: blocks laid out one after
another (fill), fragmentation forming when every other block is freed (holes), and
reuse, when a later request lands in a hole; then it frees everything and exits 0.
It learns where blocks land only from the addresses ``kmheapa`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import runtime, sys, text
from userland.libk.heap import Heap, kmheap_usable, kmheapa, kmheapf
from userland.libk.heap import config as heap_config

USAGE = """Usage: heapdemo [OPTION]...
Allocate and free heap blocks in numbered steps, printing each step and pausing
between them, so the heap pane (or heapstat PID) can be followed as it changes:
blocks filling a region, holes forming when every other block is freed, and a later
allocation landing in a hole. Everything is freed at the end.

  -s, --strategy=NAME  use the heap strategy NAME (naive, chunked, bitmap, ...)
                       instead of the one from /etc/heap.conf and LIBK_HEAP
  -d, --delay=SECS     pause SECS seconds between steps (default 1; 0: none)
  -n, --steps=N        stop after step N (then free what is left and exit)
  -l, --leak           leave what is left allocated at the end: with
                       LIBK_HEAP_CHECK=1 the leak report at exit lists it
      --help           display this help and exit

Exit status: 0 when done, 1 for a usage error or a heap that cannot be set up,
2 when an allocation fails.
"""
LONG = {"strategy": "s", "delay": "d", "steps": "n", "leak": "l"}

#: The fill phase's block sizes: the even-numbered blocks are freed later (the holes),
#: the odd ones stay (the walls between the holes).
FILL = (48, 96, 48, 160, 48, 96, 48, 256)
#: The reuse phase: a request that fits a hole, one that fits none, one more small one.
REUSE = (40, 400, 32)
PATTERN = 0xA5  # what each block is filled with: its bytes are really written


@dataclass(slots=True)
class Block:
    """A block the demo holds: where, how much was asked, and at which step."""

    addr: int
    size: int
    step: int


class Demo:
    """The steps, the pause between them, and the blocks held."""

    def __init__(self, delay_ns: int, last: int | None) -> None:
        self.delay_ns = delay_ns
        self.last = last  # the last step to run (None: all of them)
        self.step = 0
        self.live: list[Block] = []
        self.holes: dict[int, Block] = {}  # address -> the freed block that left it

    def done(self) -> bool:
        """Has the last step asked for been taken?"""
        return self.last is not None and self.step >= self.last

    async def pause(self) -> None:
        """Sleep the delay (between steps; none after the last)."""
        if self.delay_ns > 0 and not self.done():
            await sys.nanosleep(self.delay_ns)

    async def say(self, text: str) -> None:
        """One line on standard output."""
        await kio.write_all(1, text + "\n")

    async def alloc(self, size: int) -> Block:
        """One allocation step: kmheapa, fill the block, say where it landed."""
        self.step += 1
        addr = await kmheapa(size)
        usable = await kmheap_usable(addr)
        (await sys.mmu()).fill(addr, PATTERN, size)
        block = Block(addr, size, self.step)
        self.live.append(block)
        note = ""
        hole = self.holes.pop(addr, None)
        if hole is not None:
            note = f" — reuses the hole left by step {hole.step}'s {hole.size}-byte block"
        await self.say(f"step {self.step}: kmheapa({size}) = {addr:#x} (usable {usable}){note}")
        await self.pause()
        return block

    async def free(self, block: Block) -> None:
        """One free step: kmheapf, say which block it was."""
        self.step += 1
        await kmheapf(block.addr)
        self.live.remove(block)
        self.holes[block.addr] = block
        await self.say(
            f"step {self.step}: kmheapf({block.addr:#x}) — frees the {block.size}-byte "
            f"block from step {block.step}"
        )
        await self.pause()

    async def run(self) -> None:
        """The whole script (stopping after the last step asked for)."""
        fill: list[Block] = []
        await self.say(f"-- fill: {len(FILL)} blocks, one after another")
        for size in FILL:
            if self.done():
                return
            fill.append(await self.alloc(size))
        await self.say("-- fragmentation: free every other block, leaving holes")
        for block in fill[::2]:
            if self.done():
                return
            await self.free(block)
        await self.say("-- reuse: a small block fits a hole, a big one does not")
        for size in REUSE:
            if self.done():
                return
            await self.alloc(size)
        await self.say("-- free everything")
        for block in list(self.live):
            if self.done():
                return
            await self.free(block)

    async def cleanup(self) -> None:
        """Free what a shortened run (-n) left, without steps."""
        for block in self.live:
            await kmheapf(block.addr)
        self.live.clear()


def parse_delay(text: str) -> int | None:
    """``--delay`` seconds as nanoseconds; None unless a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not 0 <= value < 1e9:  # (nan and inf fail too)
        return None
    return int(value * 1e9)


async def setup(strategy: str | None) -> Heap:
    """The process's heap: from heap.conf and the environment, with ``strategy``
    instead of theirs when given.

    Raises:
        Error: EINVAL for a bad setting or an unknown strategy.
    """
    if strategy is None:
        return await Heap.open()
    cfg = await heap_config.load()
    cfg.strategy = strategy
    cfg.source["LIBK_HEAP"] = "heapdemo -s"
    return await Heap.install(cfg)


@runtime.program  # exit handlers run when main returns: the leak report (LIBK_HEAP_CHECK=1)
async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("heapdemo", argv, "s:d:n:l", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if opts.operands:
        return await text.usage_error("heapdemo", f"extra operand '{opts.operands[0]}'")
    delay_ns = 1_000_000_000
    if opts.has("d"):
        got = parse_delay(opts.value("d") or "")
        if got is None:
            return await text.usage_error("heapdemo", f"invalid delay '{opts.value('d')}'")
        delay_ns = got
    last: int | None = None
    if opts.has("n"):
        given = opts.value("n") or ""
        if not given.isdigit():
            return await text.usage_error("heapdemo", f"invalid number of steps '{given}'")
        last = int(given)
    strategy = opts.value("s")
    if strategy is not None and not strategy:
        return await text.usage_error("heapdemo", "empty strategy name")
    try:
        heap = await setup(strategy)
    except Error as err:
        await kio.warn("heapdemo", err.message)
        return 1
    pid = await sys.getpid()
    demo = Demo(delay_ns, last)
    await demo.say(
        f"heapdemo: pid {pid}, strategy {heap.cfg.strategy}, arenas {heap.cfg.arenas}"
        f" (watch it: the heap pane, or heapstat -r {pid})"
    )
    try:
        await demo.run()
        if opts.has("l"):
            await demo.say(f"heapdemo: done after {demo.step} steps, leaving the rest allocated")
            return 0
        await demo.cleanup()
    except Error as err:
        await kio.warn("heapdemo", f"step {demo.step}: {err.message}")
        return 2
    await demo.say(f"heapdemo: done after {demo.step} steps, every block freed")
    return 0
