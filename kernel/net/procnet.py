"""/proc/net: ``unix``, every live AF_UNIX socket in Linux's format (net/unix/af_unix.c's
unix_seq_show), so that ss, netstat, lsof and psutil can read it::

    Num       RefCount Protocol Flags    Type St Inode Path
    0000000000000000: 00000002 00000000 00010000 0001 01 1234 /tmp/s

Num is the kernel address, which Linux shows as zeros to whoever may not see kernel
pointers (kptr_restrict): libk shows zeros to everyone. Flags is 00010000 for a
listening socket; Type is SOCK_*; St is SS_UNCONNECTED (01), SS_CONNECTING (02: a
connection not yet accepted) or SS_CONNECTED (03); Inode is the socket's inode number
(``socket:[N]`` in /proc/<pid>/fd); Path is the bound name, ``@`` for an abstract
name's NUL bytes, absent for an unnamed socket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import SO_ACCEPTCON_FLAG, display_address
from kernel.net.names import net_of

if TYPE_CHECKING:
    from kernel.fs.vfs import Inode

#: The inode numbers of /proc/net's files start after this one.
NET_INO_BASE = 0x4E45_0000
HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n"


def unix_text(k: Any) -> str:
    """The text of /proc/net/unix."""
    lines = [HEADER]
    for sock in list(net_of(k).sockets.values()):
        flags = SO_ACCEPTCON_FLAG if sock.listening else 0
        refs = 1 if sock.embryo else 2
        line = (
            f"0000000000000000: {refs:08X} {0:08X} {flags:08X} {sock.type:04X}"
            f" {sock.st_code():02X} {sock.ino:5d}"
        )
        name = display_address(sock.name)
        lines.append(f"{line} {name}\n" if name else line + "\n")
    return "".join(lines)


def net_dir(procfs: Any) -> Inode:
    """``/proc/net/``, made once per /proc (its inode numbers never change)."""
    from kernel.fs.procfs import ProcDir

    d = getattr(procfs, "_net", None)
    if d is None:
        unix = procfs._file(lambda: unix_text(procfs.k))
        unix.ino = NET_INO_BASE + 1
        entries = {"unix": unix}
        d = ProcDir(procfs, None, "", lambda: list(entries), entries.get)
        procfs._net = d
    return d
