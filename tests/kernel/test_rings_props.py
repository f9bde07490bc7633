"""Property tests of the rings (issue 10): random submissions, cancellations, links,
device and pipe completions, timeouts and a tiny completion queue never lose or
duplicate a completion, and every buffer comes back."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ksim import ok, run_body, run_main

from kernel.abi import IOSQE_IO_LINK, O_RDWR
from userland.libk import sys
from userland.libk.ring import Buffer, Ring, SubmissionQueueFull, alloc_buffers

PS = 4096
POOL = 6

ACTIONS = st.one_of(
    st.tuples(st.just("nop"), st.booleans()),
    st.tuples(st.just("blk"), st.booleans(), st.integers(0, 15)),
    st.tuples(st.just("pipe"), st.booleans()),
    st.tuples(st.just("timeout"), st.integers(1, 200)),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("feed"), st.integers(1, 3)),
    st.tuples(st.just("submit")),
    st.tuples(st.just("reap")),
    st.tuples(st.just("sleep"), st.integers(1, 100)),
)


def _play(actions: list[tuple[Any, ...]]) -> dict[str, Any]:
    return run_body(lambda seen: _body(actions, seen))


async def _body(actions: list[tuple[Any, ...]], seen: dict[str, Any]) -> None:
    blk = await sys.open("/dev/blk0", O_RDWR)
    r, w = await sys.pipe()
    ring = await Ring.setup(4, cq_entries=4)
    free: list[Buffer] = await alloc_buffers(POOL, PS)
    prepared: list[int] = []
    done: dict[int, int] = {}

    def reap() -> None:
        for c in ring.completions():
            assert c.user_data not in done, f"completion {c.user_data} twice"
            done[c.user_data] = c.res
            if c.buffer is not None:
                free.append(c.buffer)

    def prep(fn: Any, *args: Any, **kw: Any) -> None:
        try:
            prepared.append(fn(*args, **kw))
        except SubmissionQueueFull:
            pass

    for action in actions:
        kind = action[0]
        if kind == "nop":
            prep(ring.nop, flags=IOSQE_IO_LINK if action[1] else 0)
        elif kind == "blk" and free and ring.space:
            prep(
                ring.read, blk, free.pop(), action[2] * PS, flags=IOSQE_IO_LINK if action[1] else 0
            )
        elif kind == "pipe" and free and ring.space:
            prep(ring.read, r, free.pop(), length=1, flags=IOSQE_IO_LINK if action[1] else 0)
        elif kind == "timeout":
            prep(ring.timeout, action[1] * 1000)
        elif kind == "cancel" and prepared:
            prep(ring.cancel, prepared[action[1] % len(prepared)])
        elif kind == "feed":
            await sys.write(w, b"x" * action[1])
        elif kind == "submit":
            await ring.submit()
        elif kind == "reap":
            reap()
        elif kind == "sleep":
            await sys.nanosleep(action[1] * 1000)
    await ring.submit()
    await sys.close(w)  # parked pipe reads end (end of file)
    while len(done) < len(prepared):
        reap()
        if len(done) < len(prepared):
            await ring.submit(wait=1)
    reap()
    assert sorted(done) == sorted(prepared)
    assert len(free) == POOL, f"{POOL - len(free)} buffers never came back"
    await ring.close()
    seen["n"] = len(prepared)


@settings(derandomize=True, max_examples=25, deadline=None)
@given(st.lists(ACTIONS, min_size=1, max_size=40))
def test_no_completion_is_lost_or_duplicated(actions: list[tuple[Any, ...]]) -> None:
    _play(actions)


def test_a_long_chain_does_not_recurse() -> None:
    async def main(argv: list[str]) -> int:
        ring = await Ring.setup(4096)
        for _ in range(4095):
            ring.nop(flags=IOSQE_IO_LINK)
        ring.nop()
        await ring.submit()
        got = 0
        while got < 4096:
            got += len(await ring.wait(1))
        return 0 if got == 4096 else 1

    ok(run_main(main))
