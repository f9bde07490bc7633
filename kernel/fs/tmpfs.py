"""tmpfs: the in-memory file system at / and /tmp.

Its files are the VFS's in-memory inodes, whose bytes live in page frames (their page
caches, counted as ``shmem``), so a full machine answers ENOSPC, /proc/meminfo shows
what the files hold, and mapping a file maps the very frames ``read`` and ``write`` use.
"""

from __future__ import annotations

from typing import Any

from kernel.fs.vfs import DirInode, FileSystem
from kernel.mm.frames import FrameAllocator


class TmpFS(FileSystem):
    """An in-memory file system whose files are held in the machine's frames."""

    fstype = "tmpfs"

    def __init__(
        self, dev: int, kernel: Any, frames: FrameAllocator | None, mode: int = 0o755
    ) -> None:
        super().__init__(dev, kernel)
        self.frames = frames
        self.root = DirInode(self, mode)
