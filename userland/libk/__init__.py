"""libk, the user library: what programs on the machine use instead of libc.

System calls return their value or raise the one error type, :class:`Error`, which
carries ``errno`` and ``message`` (no global errno). ``sys`` has every call; ``io``
buffered reading and writing; ``args`` option parsing; ``proc`` wait statuses; ``sync``
mutexes, condition variables, semaphores, once, barriers and channels on futexes.
"""

from __future__ import annotations

from kernel.abi import Error, checkpoint, strerror
from userland.libk import args, io, proc, sync, sys

__all__ = ["Error", "args", "checkpoint", "io", "proc", "strerror", "sync", "sys"]
