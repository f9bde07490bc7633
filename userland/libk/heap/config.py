"""The heap's settings: the image's defaults in /etc/heap.conf, then the environment.

/etc/heap.conf (written at boot from the image's ``heap:`` section, like BSD's
/etc/malloc.conf) holds ``NAME=VALUE`` lines with the same names as the environment
variables; ``#`` starts a comment. A variable in the environment wins over the file.

====================== ======================= =========================================
variable               default                 meaning
====================== ======================= =========================================
LIBK_HEAP              bitmap                  the strategy (naive, chunked, bitmap,
                                               classes, libc, or one a package registers)
LIBK_HEAP_ARENAS       global                  global (one arena, one lock), thread
                                               (arenas chosen by thread, rebalanced when
                                               contended) or cpu (one arena per CPU)
LIBK_HEAP_MAX_ARENAS   8                       the most arenas ``thread`` makes
LIBK_HEAP_CHUNK        64K                     the chunked strategy's chunk (a power of
                                               two, 16K at least)
LIBK_HEAP_RELEASE      1                       wholly free chunks kept before the next
                                               one is given back to the kernel
LIBK_HEAP_REGION       1M                      the bitmap, classes and libc strategies'
                                               region size (a power of two, 64K at least)
LIBK_HEAP_FIT          first                   first or best (the bitmap's search)
LIBK_HEAP_MMAP_THRESHOLD 128K                  requests this big or bigger are mapped on
                                               their own (0: never)
LIBK_HEAP_CHECK        0                       1: track every block and report leaks at
                                               exit
====================== ======================= =========================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.abi import EINVAL, ENOENT, Error
from userland.libk import io as kio
from userland.libk import sys
from userland.libk.sizes import parse_size

CONF_PATH = "/etc/heap.conf"
KiB = 1024


@dataclass(slots=True)
class HeapConfig:
    """One process's heap settings (see the module's table)."""

    strategy: str = "bitmap"
    arenas: str = "global"
    max_arenas: int = 8
    chunk: int = 64 * KiB
    release: int = 1
    region: int = 1024 * KiB
    fit: str = "first"
    mmap_threshold: int = 128 * KiB
    check: bool = False
    source: dict[str, str] = field(default_factory=dict)  # name -> where it was set

    def describe(self) -> str:
        """``name=value`` pairs, as heapbench and kmheap_dump print them."""
        return (
            f"strategy={self.strategy} arenas={self.arenas} chunk={self.chunk} "
            f"region={self.region} fit={self.fit} mmap_threshold={self.mmap_threshold} "
            f"check={int(self.check)}"
        )


def _size(name: str, text: str, *, low: int, power_of_two: bool = False) -> int:
    value = parse_size(text.strip())
    if value is None or value < low or (power_of_two and value & (value - 1)):
        need = f"a size of at least {low}" + (", a power of two" if power_of_two else "")
        raise Error(EINVAL, f"{name}={text}: {need}")
    return value


def apply(cfg: HeapConfig, name: str, value: str, where: str) -> None:
    """Set the field ``name`` (a LIBK_HEAP* variable) from ``value``.

    Raises:
        Error: EINVAL for a value the variable cannot take (names the variable).
    """
    v = value.strip()
    if name == "LIBK_HEAP":
        if not v:
            raise Error(EINVAL, "LIBK_HEAP is empty")
        cfg.strategy = v
    elif name == "LIBK_HEAP_ARENAS":
        if v not in ("global", "thread", "cpu"):
            raise Error(EINVAL, f"LIBK_HEAP_ARENAS={v}: global, thread or cpu")
        cfg.arenas = v
    elif name == "LIBK_HEAP_MAX_ARENAS":
        if not v.isdigit() or not 1 <= int(v) <= 1024:
            raise Error(EINVAL, f"LIBK_HEAP_MAX_ARENAS={v}: a number from 1 to 1024")
        cfg.max_arenas = int(v)
    elif name == "LIBK_HEAP_CHUNK":
        cfg.chunk = _size(name, v, low=16 * KiB, power_of_two=True)
    elif name == "LIBK_HEAP_RELEASE":
        if not v.isdigit():
            raise Error(EINVAL, f"LIBK_HEAP_RELEASE={v}: a number of chunks")
        cfg.release = int(v)
    elif name == "LIBK_HEAP_REGION":
        cfg.region = _size(name, v, low=64 * KiB, power_of_two=True)
    elif name == "LIBK_HEAP_FIT":
        if v not in ("first", "best"):
            raise Error(EINVAL, f"LIBK_HEAP_FIT={v}: first or best")
        cfg.fit = v
    elif name == "LIBK_HEAP_MMAP_THRESHOLD":
        cfg.mmap_threshold = _size(name, v, low=0)
    elif name == "LIBK_HEAP_CHECK":
        if v not in ("0", "1"):
            raise Error(EINVAL, f"LIBK_HEAP_CHECK={v}: 0 or 1")
        cfg.check = v == "1"
    else:
        raise Error(EINVAL, f"{name}: no such heap setting")
    cfg.source[name] = where


def parse_conf(text: str, cfg: HeapConfig, path: str = CONF_PATH) -> None:
    """Apply the lines of a heap.conf.

    Raises:
        Error: EINVAL naming ``path:line`` for a line that is not NAME=VALUE or a
            setting that is wrong.
    """
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, eq, value = line.partition("=")
        if not eq:
            raise Error(EINVAL, f"{path}:{n}: expected NAME=VALUE")
        try:
            apply(cfg, name.strip(), value, f"{path}:{n}")
        except Error as err:
            raise Error(EINVAL, f"{path}:{n}: {err.message}") from None


async def load() -> HeapConfig:
    """The calling process's settings: /etc/heap.conf, then its environment.

    Raises:
        Error: EINVAL for a bad setting (the message names it and where it was set).
    """
    cfg = HeapConfig()
    try:
        parse_conf((await kio.read_file(CONF_PATH)).decode(errors="replace"), cfg)
    except Error as err:
        if err.errno != ENOENT:
            raise
    env = await sys.environ()
    for name in sorted(env):
        if name == "LIBK_HEAP" or name.startswith("LIBK_HEAP_"):
            apply(cfg, name, env[name], "environment")
    return cfg
