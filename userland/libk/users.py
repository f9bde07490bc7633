"""User and group names from /etc/passwd and /etc/group, read once per lookup table."""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import io as kio


async def _table(path: str) -> dict[int, str]:
    try:
        text = (await kio.read_file(path)).decode(errors="replace")
    except Error:
        return {}
    out: dict[int, str] = {}
    for line in text.splitlines():
        f = line.split(":")
        if len(f) >= 3 and f[2].isdigit():
            out.setdefault(int(f[2]), f[0])
    return out


async def user_names() -> dict[int, str]:
    """uid -> user name."""
    return await _table("/etc/passwd")


async def group_names() -> dict[int, str]:
    """gid -> group name."""
    return await _table("/etc/group")
