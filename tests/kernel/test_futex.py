"""futex(2): WAIT/WAKE, timeouts, bitsets, REQUEUE, WAKE_OP, errors, interruptions, keys."""

from __future__ import annotations

from typing import Any

from ksim import MS, errno_of, ok, register, run_main

from kernel.abi import (
    EAGAIN,
    EFAULT,
    EINTR,
    EINVAL,
    ENOSYS,
    ETIMEDOUT,
    FUTEX_CLOCK_REALTIME,
    FUTEX_CMP_REQUEUE,
    FUTEX_PRIVATE_FLAG,
    FUTEX_REQUEUE,
    FUTEX_WAIT,
    FUTEX_WAIT_BITSET,
    FUTEX_WAKE,
    FUTEX_WAKE_BITSET,
    FUTEX_WAKE_OP,
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_PRIVATE,
    MAP_SHARED,
    PROT_NONE,
    PROT_READ,
    PROT_WRITE,
    SIG_CATCH,
    SIGUSR1,
    W_EXITCODE,
    Error,
    SpawnAttr,
    checkpoint,
)
from userland.libk import io as kio
from userland.libk import sys
from userland.libk.sync import (
    FUTEX_OP_ADD,
    FUTEX_OP_CMP_EQ,
    FUTEX_OP_CMP_GT,
    FUTEX_OP_OPARG_SHIFT,
    FUTEX_OP_OR,
    FUTEX_OP_SET,
    futex_op,
)

RW = PROT_READ | PROT_WRITE
ANON = MAP_PRIVATE | MAP_ANONYMOUS
PS = 4096
WAIT = FUTEX_WAIT | FUTEX_PRIVATE_FLAG
WAKE = FUTEX_WAKE | FUTEX_PRIVATE_FLAG


async def _until_asleep(tids: list[int]) -> None:
    """Poll /proc until every thread sleeps in a futex wait."""
    for tid in tids:
        while (await kio.read_file(f"/proc/self/task/{tid}/wchan")) != b"futex_wait_queue":
            await sys.nanosleep(MS // 10)


async def _waiter(arg: tuple[int, int, list[int], int]) -> int:
    """Wait on ``addr`` (recording the order of waiting); the call's result or errno."""
    addr, op, order, bitset = arg
    order.append(await sys.gettid())
    try:
        if op & ~FUTEX_PRIVATE_FLAG == FUTEX_WAIT_BITSET:
            return await sys.futex(addr, op, 0, -1, 0, bitset)
        return await sys.futex(addr, op, 0)
    except Error as err:
        return -err.errno


def test_wait_sleeps_until_woken_and_wake_takes_the_oldest_first() -> None:
    seen: dict[str, Any] = {}
    order: list[int] = []

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, PS, RW, ANON)
        mem.store32(a, 7)
        seen["differs"] = await errno_of(sys.futex(a, WAIT, 0))
        seen["differs_high_bits"] = await errno_of(sys.futex(a, WAIT, 7 + (1 << 32) + 1))
        mem.store32(a, 0xFFFFFFFF)
        seen["negative_val_is_u32"] = await errno_of(sys.futex(a, WAIT, -1, 0))
        mem.store32(a, 0)
        tids = [await sys.thread_spawn(_waiter, (a, WAIT, order, 0)) for _ in range(4)]
        await _until_asleep(tids)
        seen["wake2"] = await sys.futex(a, WAKE, 2)
        seen["first_two"] = sorted([await sys.thread_join(t) for t in order[:2]])
        seen["wchan_rest"] = [await kio.read_file(f"/proc/self/task/{t}/wchan") for t in order[2:]]
        seen["wake0_wakes_one"] = await sys.futex(a, WAKE, 0)  # Linux's loop wakes one
        seen["third"] = await sys.thread_join(order[2])
        seen["wake_rest"] = await sys.futex(a, WAKE, 10)
        seen["fourth"] = await sys.thread_join(order[3])
        seen["nobody"] = await sys.futex(a, WAKE, 10)
        return 0

    ok(run_main(main, cpus=2))
    assert seen["differs"] == EAGAIN
    assert seen["differs_high_bits"] == EAGAIN
    assert seen["negative_val_is_u32"] == ETIMEDOUT  # matched, then timed out at once
    assert seen["wake2"] == 2
    assert seen["first_two"] == [0, 0]
    assert seen["wchan_rest"] == [b"futex_wait_queue"] * 2
    assert seen["wake0_wakes_one"] == 1
    assert (seen["third"], seen["wake_rest"], seen["fourth"], seen["nobody"]) == (0, 1, 0, 0)


def test_wake_order_is_fifo() -> None:
    order: list[int] = []
    woken: list[int] = []

    async def waiter(arg: int) -> None:
        order.append(await sys.gettid())
        await sys.futex(arg, WAIT, 0)
        woken.append(await sys.gettid())

    async def main(argv: list[str]) -> int:
        a = await sys.mmap(0, PS, RW, ANON)
        tids = [await sys.thread_spawn(waiter, a) for _ in range(5)]
        await _until_asleep(tids)
        for _ in range(5):
            assert await sys.futex(a, WAKE, 1) == 1
            await sys.nanosleep(MS)
        for t in tids:
            await sys.thread_join(t)
        return 0

    ok(run_main(main, cpus=3))
    assert len(order) == 5
    assert woken == order


def test_relative_and_absolute_timeouts_end_at_the_right_virtual_time() -> None:
    seen: dict[str, Any] = {}

    async def timed(req: Any) -> tuple[int, int]:
        t0 = await sys.clock_gettime(1)
        err = await errno_of(req)
        return err, await sys.clock_gettime(1) - t0

    async def main(argv: list[str]) -> int:
        a = await sys.mmap(0, PS, RW, ANON)
        seen["relative"] = await timed(sys.futex(a, WAIT, 0, 5 * MS))
        seen["zero"] = await timed(sys.futex(a, WAIT, 0, 0))
        seen["bad"] = await errno_of(sys.futex(a, WAIT, 0, -2))
        seen["mismatch_first"] = await errno_of(sys.futex(a, WAIT, 1, 0))
        now = await sys.clock_gettime(1)
        seen["abs_target"] = now + 3 * MS
        await errno_of(sys.futex(a, FUTEX_WAIT_BITSET, 0, now + 3 * MS, 0, 0xFFFFFFFF))
        seen["abs_woke"] = await sys.clock_gettime(1)
        seen["abs_err"] = await errno_of(
            sys.futex(a, FUTEX_WAIT_BITSET, 0, now + 3 * MS, 0, 0xFFFFFFFF)
        )
        real = await sys.clock_gettime(0)
        seen["rt_err"] = await errno_of(
            sys.futex(a, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, real + 2 * MS, 0, 1)
        )
        seen["rt_real"] = (real, await sys.clock_gettime(0))
        seen["rt_relative"] = await timed(sys.futex(a, WAIT | FUTEX_CLOCK_REALTIME, 0, MS))
        seen["rt_wake"] = await errno_of(sys.futex(a, WAKE | FUTEX_CLOCK_REALTIME, 1))
        return 0

    ok(run_main(main))
    err, took = seen["relative"]
    assert err == ETIMEDOUT and 5 * MS <= took < 6 * MS
    assert seen["zero"][0] == ETIMEDOUT and seen["zero"][1] < MS
    assert seen["bad"] == EINVAL
    assert seen["mismatch_first"] == EAGAIN
    assert seen["abs_target"] <= seen["abs_woke"] < seen["abs_target"] + MS
    assert seen["abs_err"] == ETIMEDOUT  # the deadline is past: at once
    assert seen["rt_err"] == ETIMEDOUT
    start, end = seen["rt_real"]
    assert start + 2 * MS <= end < start + 3 * MS
    assert seen["rt_relative"][0] == ETIMEDOUT and MS <= seen["rt_relative"][1] < 2 * MS
    assert seen["rt_wake"] == ENOSYS


def test_wake_bitset_wakes_only_matching_waiters() -> None:
    seen: dict[str, Any] = {}
    order: list[int] = []

    async def main(argv: list[str]) -> int:
        a = await sys.mmap(0, PS, RW, ANON)
        op = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG
        t1 = await sys.thread_spawn(_waiter, (a, op, order, 0b01))
        t2 = await sys.thread_spawn(_waiter, (a, op, order, 0b10))
        t3 = await sys.thread_spawn(_waiter, (a, WAIT, order, 0))  # plain WAIT: every bit
        await _until_asleep([t1, t2, t3])
        bitset_wake = FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG
        seen["wake_bit2"] = await sys.futex(a, bitset_wake, 10, -1, 0, 0b10)
        seen["t2"] = await sys.thread_join(t2)
        seen["t3"] = await sys.thread_join(t3)
        seen["wchan_t1"] = await kio.read_file(f"/proc/self/task/{t1}/wchan")
        seen["wake_bit4"] = await sys.futex(a, bitset_wake, 10, -1, 0, 0b100)
        seen["wake_any"] = await sys.futex(a, WAKE, 10)
        seen["t1"] = await sys.thread_join(t1)
        seen["zero_wait"] = await errno_of(sys.futex(a, op, 0, -1, 0, 0))
        seen["zero_wake"] = await errno_of(sys.futex(a, bitset_wake, 1, -1, 0, 0))
        return 0

    ok(run_main(main, cpus=2))
    assert seen["wake_bit2"] == 2
    assert (seen["t2"], seen["t3"], seen["t1"]) == (0, 0, 0)
    assert seen["wchan_t1"] == b"futex_wait_queue"
    assert (seen["wake_bit4"], seen["wake_any"]) == (0, 1)
    assert seen["zero_wait"] == EINVAL and seen["zero_wake"] == EINVAL


def test_requeue_and_cmp_requeue_move_waiters_to_another_word() -> None:
    seen: dict[str, Any] = {}
    order: list[int] = []

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, PS, RW, ANON)
        b = a + 64
        mem.store32(a, 0)
        tids = [await sys.thread_spawn(_waiter, (a, WAIT, order, 0)) for _ in range(5)]
        await _until_asleep(tids)
        cmp = FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG
        seen["mismatch"] = await errno_of(sys.futex(a, cmp, 1, 2, b, 1))
        seen["negative"] = await errno_of(sys.futex(a, cmp, -1, 2, b, 0))
        seen["val2_default"] = await errno_of(sys.futex(a, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 1))
        seen["unaligned2"] = await errno_of(sys.futex(a, cmp, 1, 2, b + 2, 0))
        seen["moved"] = await sys.futex(a, cmp, 1, 2, b, 0)
        seen["first"] = await sys.thread_join(order[0])
        seen["wchans"] = [await kio.read_file(f"/proc/self/task/{t}/wchan") for t in order[1:]]
        seen["wake_b"] = await sys.futex(b, WAKE, 10)
        seen["b_woken"] = [await sys.thread_join(t) for t in order[1:3]]
        seen["requeue0"] = await sys.futex(a, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 0, 1, b)
        seen["wake_b_again"] = await sys.futex(b, WAKE, 10)
        seen["wake_a"] = await sys.futex(a, WAKE, 10)
        for t in order[3:]:
            await sys.thread_join(t)
        return 0

    ok(run_main(main, cpus=2))
    assert seen["mismatch"] == EAGAIN
    assert seen["negative"] == EINVAL
    assert seen["val2_default"] == EINVAL  # val2 (the timeout argument) defaults to -1
    assert seen["unaligned2"] == EINVAL
    assert seen["moved"] == 3  # one woken, two requeued
    assert seen["first"] == 0
    assert seen["wchans"] == [b"futex_wait_queue"] * 4
    assert seen["wake_b"] == 2 and seen["b_woken"] == [0, 0]
    assert seen["requeue0"] == 1  # nr_wake 0 wakes none; one of the two left moves to b
    assert (seen["wake_b_again"], seen["wake_a"]) == (1, 1)


def test_wake_op_changes_the_second_word_and_wakes_by_its_old_value() -> None:
    seen: dict[str, Any] = {}
    order: list[int] = []

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, PS, RW, ANON)
        b = a + 4
        op = FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG
        ta = await sys.thread_spawn(_waiter, (a, WAIT, order, 0))
        tb = await sys.thread_spawn(_waiter, (b, WAIT, order, 0))
        await _until_asleep([ta, tb])
        mem.store32(b, 5)
        # b += 3 (old 5); wake 1 on a; old > 4, so wake val2=1 on b
        seen["woke"] = await sys.futex(
            a, op, 1, 1, b, futex_op(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 4)
        )
        seen["b"] = mem.load32(b)
        seen["joined"] = (await sys.thread_join(ta), await sys.thread_join(tb))
        eq1 = futex_op(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 1)
        seen["false_cmp"] = await sys.futex(a, op, 1, 1, b, eq1)
        seen["b_set"] = mem.load32(b)
        tc = await sys.thread_spawn(_waiter, (b, WAIT, order, 0))
        await _until_asleep([tc])
        # the arguments are 12-bit signed: old 0 > -1 is true, and b + -1 wraps
        seen["signed"] = await sys.futex(
            a, op, 1, 1, b, futex_op(FUTEX_OP_ADD, -1, FUTEX_OP_CMP_GT, -1)
        )
        seen["tc"] = await sys.thread_join(tc)
        seen["b_minus"] = mem.load32(b)
        shift = futex_op(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_EQ, 0)
        mem.store32(b, 1)
        await sys.futex(a, op, 1, 1, b, shift)
        seen["b_or"] = mem.load32(b)
        seen["bad_op"] = await errno_of(sys.futex(a, op, 1, 1, b, futex_op(7, 9, 0, 0)))
        seen["b_after_bad_op"] = mem.load32(b)
        seen["bad_cmp"] = await errno_of(sys.futex(a, op, 1, 1, b, futex_op(0, 9, 9, 0)))
        seen["b_after_bad_cmp"] = mem.load32(b)  # Linux stores before it looks at cmp
        ro = await sys.mmap(0, PS, PROT_READ, ANON)
        seen["read_only"] = await errno_of(sys.futex(a, op, 1, 1, ro, 0))
        seen["read_only_shared"] = await errno_of(sys.futex(a, FUTEX_WAKE_OP, 1, 1, ro, 0))
        return 0

    ok(run_main(main, cpus=2))
    assert seen["woke"] == 2 and seen["b"] == 8
    assert seen["joined"] == (0, 0)
    assert (seen["false_cmp"], seen["b_set"]) == (0, 0)
    assert seen["signed"] == 1 and seen["tc"] == 0 and seen["b_minus"] == 0xFFFFFFFF
    assert seen["b_or"] == 1 | 16
    assert (seen["bad_op"], seen["b_after_bad_op"]) == (ENOSYS, 17)
    assert (seen["bad_cmp"], seen["b_after_bad_cmp"]) == (ENOSYS, 9)
    assert seen["read_only"] == EFAULT
    assert seen["read_only_shared"] == EFAULT


def test_bad_addresses_and_unknown_operations() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        a = await sys.mmap(0, PS, RW, ANON)
        none = await sys.mmap(0, PS, PROT_NONE, ANON)
        ro = await sys.mmap(0, PS, PROT_READ, ANON)
        cases = {
            "wait unaligned": sys.futex(a + 2, WAIT, 0),
            "wake unaligned": sys.futex(a + 1, WAKE, 1),
            "wait unmapped": sys.futex(0x10000, WAIT, 0),
            "wait PROT_NONE": sys.futex(none, WAIT, 0, 0),
            "shared wake unmapped": sys.futex(0x10000, FUTEX_WAKE, 1),
            "private wake unmapped": sys.futex(0x10000, WAKE, 1),
            "wake past user space": sys.futex(0x7FFF_FFFF_F000, WAKE, 1),
            "shared wait read-only private": sys.futex(ro, FUTEX_WAIT, 0, 0),
            "private wait read-only": sys.futex(ro, WAIT, 0, 0),
            "FUTEX_FD": sys.futex(a, 2, 0),
            "LOCK_PI": sys.futex(a, 6 | FUTEX_PRIVATE_FLAG, 0),
            "unknown": sys.futex(a, 99, 0),
            "unknown beats unaligned": sys.futex(a + 1, 99, 0),
            "not a number": sys.futex(a, "wake", 0),
        }
        for name, req in cases.items():
            seen[name] = await errno_of(req)
        return 0

    ok(run_main(main))
    assert seen == {
        "wait unaligned": EINVAL,
        "wake unaligned": EINVAL,
        "wait unmapped": EFAULT,
        "wait PROT_NONE": EFAULT,
        "shared wake unmapped": EFAULT,
        "private wake unmapped": 0,  # Linux: a private key is not looked up
        "wake past user space": EFAULT,
        "shared wait read-only private": EFAULT,
        "private wait read-only": ETIMEDOUT,
        "FUTEX_FD": ENOSYS,
        "LOCK_PI": ENOSYS,
        "unknown": ENOSYS,
        "unknown beats unaligned": ENOSYS,
        "not a number": EINVAL,
    }


def test_an_exit_request_interrupts_a_waiter_and_is_not_lost_while_it_runs() -> None:
    seen: dict[str, Any] = {}

    async def sleeper(a: int) -> tuple[int, bool]:
        err = await errno_of(sys.futex(a, WAIT, 0))
        return err, await sys.thread_should_exit()

    async def busy(a: int) -> tuple[int, int, int]:
        mem = await sys.mmu()
        while not mem.load32(a + 4):  # runs (never sleeps) until main has asked
            await checkpoint()
        first = await errno_of(sys.futex(a, WAIT, 0))  # the request is still news
        second = await errno_of(sys.futex(a, WAIT, 0, MS))  # not any more: it sleeps
        return first, second, int(await sys.thread_should_exit())

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        a = await sys.mmap(0, PS, RW, ANON)
        tid = await sys.thread_spawn(sleeper, a)
        await _until_asleep([tid])
        await sys.thread_request_exit(tid)
        seen["sleeper"] = await sys.thread_join(tid)
        seen["nobody_left"] = await sys.futex(a, WAKE, 10)
        tid = await sys.thread_spawn(busy, a)
        await sys.nanosleep(MS)
        seen["busy_state"] = (await kio.read_file(f"/proc/self/task/{tid}/stat")).split()[2]
        await sys.thread_request_exit(tid)
        mem.store32(a + 4, 1)
        seen["busy"] = await sys.thread_join(tid)
        return 0

    ok(run_main(main, cpus=2))
    assert seen["sleeper"] == (EINTR, True)
    assert seen["nobody_left"] == 0
    assert seen["busy_state"] == b"R"
    assert seen["busy"] == (EINTR, ETIMEDOUT, 1)


def test_a_caught_signal_interrupts_a_waiter() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        await sys.sigaction(SIGUSR1, SIG_CATCH)
        a = await sys.mmap(0, PS, RW, ANON)
        err = await errno_of(sys.futex(a, WAIT, 0))
        seen["taken"] = await sys.sigtake()
        return err

    prog = register(child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(prog, [prog])
        while (await kio.read_file(f"/proc/{pid}/wchan")) != b"futex_wait_queue":
            await sys.nanosleep(MS // 10)
        await sys.kill(pid, SIGUSR1)
        seen["status"] = (await sys.wait4(pid))[1]
        return 0

    ok(run_main(main))
    assert seen["status"] == W_EXITCODE(EINTR)
    assert seen["taken"] == [SIGUSR1]


FIXED = 0x2000_0000


def test_private_futexes_of_two_processes_at_one_address_do_not_meet() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        op = int(argv[1])
        a = await sys.mmap(FIXED, PS, RW, ANON | MAP_FIXED)
        return await errno_of(sys.futex(a, op | FUTEX_WAIT, 0, 20 * MS))

    prog = register(child)

    async def main(argv: list[str]) -> int:
        a = await sys.mmap(FIXED, PS, RW, ANON | MAP_FIXED)
        for op in (FUTEX_PRIVATE_FLAG, 0):
            pid = await sys.spawn(prog, [prog, str(op)])
            while (await kio.read_file(f"/proc/{pid}/wchan")) != b"futex_wait_queue":
                await sys.nanosleep(MS // 10)
            seen[f"wake{op}"] = await sys.futex(a, op | FUTEX_WAKE, 10)
            seen[f"status{op}"] = (await sys.wait4(pid))[1]
        return 0

    ok(run_main(main))
    for op in (FUTEX_PRIVATE_FLAG, 0):  # private memory is private with either flag
        assert seen[f"wake{op}"] == 0
        assert seen[f"status{op}"] == W_EXITCODE(ETIMEDOUT)


def test_shared_futexes_meet_across_processes_at_different_addresses() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        await sys.mmap(0, 3 * PS, RW, ANON)  # so the shared page lands elsewhere
        a = await sys.mmap(0, 2 * PS, RW, MAP_SHARED, 3, 0)
        seen["child_addr"] = a
        return await errno_of(sys.futex(a + PS + 8, FUTEX_WAIT, 0, 1000 * MS))

    prog = register(child)

    async def main(argv: list[str]) -> int:
        fd = await sys.memfd_create("futex")
        await sys.ftruncate(fd, 2 * PS)
        a = await sys.mmap(0, 2 * PS, RW, MAP_SHARED, fd, 0)
        seen["parent_addr"] = a
        pid = await sys.spawn(prog, [prog], None, None, [("dup2", fd, 3)], SpawnAttr())
        while (await kio.read_file(f"/proc/{pid}/wchan")) != b"futex_wait_queue":
            await sys.nanosleep(MS // 10)
        seen["private_wake"] = await sys.futex(a + PS + 8, WAKE, 10)
        seen["other_word"] = await sys.futex(a + 8, FUTEX_WAKE, 10)
        seen["shared_wake"] = await sys.futex(a + PS + 8, FUTEX_WAKE, 10)
        seen["status"] = (await sys.wait4(pid))[1]
        return 0

    ok(run_main(main))
    assert seen["child_addr"] != seen["parent_addr"]
    assert (seen["private_wake"], seen["other_word"], seen["shared_wake"]) == (0, 0, 1)
    assert seen["status"] == W_EXITCODE(0)
