"""Ancillary data of AF_UNIX messages (Linux's net/core/scm.c): SCM_RIGHTS passes
open file descriptions, SCM_CREDENTIALS passes checked credentials.

A sender's descriptors are looked up when it sends, and a reference to each open file
description travels in the message; the receiver gets new descriptors for the same
descriptions (sharing offset and status flags), and whatever is never received is
closed with the queue that held it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EINVAL,
    EPERM,
    MSG_CMSG_CLOEXEC,
    MSG_CTRUNC,
    SCM_CREDENTIALS,
    SCM_MAX_FD,
    SCM_RIGHTS,
    SOL_SOCKET,
    Error,
    Ucred,
)
from kernel.net.unix import drop

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.thread import Thread


def own_creds(t: Thread) -> Ucred:
    """The credentials a message carries when the sender names none (real ids)."""
    proc = t.proc
    return Ucred(proc.pid, proc.cred.uid, proc.cred.gid)


def peer_creds(t: Thread) -> Ucred:
    """What SO_PEERCRED reports of a process (effective ids, as Linux's)."""
    proc = t.proc
    return Ucred(proc.pid, proc.cred.euid, proc.cred.egid)


def prepare(t: Thread, ancdata: Any) -> tuple[list[File] | None, Ucred | None]:
    """Check a sendmsg's ancillary data; take a reference on each passed file.

    Returns:
        The passed files (None if there are none) and the credentials to send (the
        caller's own when it names none).

    Raises:
        Error: EINVAL (malformed, more than SCM_MAX_FD files), EBADF (a descriptor is
            not open), EPERM (credentials not the caller's, unless root).
    """
    cred = None
    fds: list[int] = []
    if ancdata is not None:
        if not isinstance(ancdata, list | tuple):
            raise Error(EINVAL, "sendmsg: ancillary data is a list of (level, type, data)")
        for item in ancdata:
            if not isinstance(item, list | tuple) or len(item) != 3:
                raise Error(EINVAL, "sendmsg: ancillary data is a list of (level, type, data)")
            level, kind, data = item
            if level != SOL_SOCKET:
                raise Error(EINVAL)
            if kind == SCM_RIGHTS:
                if not isinstance(data, list | tuple) or not all(
                    type(fd) is int and fd >= 0 for fd in data
                ):
                    raise Error(EINVAL, "SCM_RIGHTS: data is a list of descriptors")
                fds += data
            elif kind == SCM_CREDENTIALS:
                cred = check_creds(t, data)
            else:
                raise Error(EINVAL)
    if len(fds) > SCM_MAX_FD:
        raise Error(EINVAL)
    table = t.proc.fds
    files = [table.get(fd) for fd in fds]
    for f in files:
        f.get()
    return (files or None), (cred or own_creds(t))


def check_creds(t: Thread, data: Any) -> Ucred:
    """SCM_CREDENTIALS: only the caller's own pid and ids (real or effective), unless
    it is root (Linux's scm_check_creds).

    Raises:
        Error: EINVAL if not a Ucred; EPERM if they are not the caller's.
    """
    if not isinstance(data, Ucred) or not all(
        type(v) is int for v in (data.pid, data.uid, data.gid)
    ):
        raise Error(EINVAL, "SCM_CREDENTIALS: data is a Ucred(pid, uid, gid)")
    proc = t.proc
    c = proc.cred
    if not c.is_root and (
        data.pid != proc.pid or data.uid not in (c.uid, c.euid) or data.gid not in (c.gid, c.egid)
    ):
        raise Error(EPERM)
    return data


def deliver(
    t: Thread, rights: list[File] | None, cred: Ucred | None, passcred: bool, flags: int
) -> tuple[list[tuple[int, int, Any]], int]:
    """Install received files as new descriptors of the caller; the ancillary data to
    return and MSG_CTRUNC if some could not be installed (they are closed)."""
    anc: list[tuple[int, int, Any]] = []
    mflags = 0
    if passcred and cred is not None:
        anc.append((SOL_SOCKET, SCM_CREDENTIALS, cred))
    if rights:
        table = t.proc.fds
        fds: list[int] = []
        for i, f in enumerate(rights):
            try:
                fds.append(table.install(f, cloexec=bool(flags & MSG_CMSG_CLOEXEC)))
            except Error:
                drop(rights[i:])
                mflags |= MSG_CTRUNC
                break
            f.put()  # the in-flight reference; the descriptor holds its own
        anc.append((SOL_SOCKET, SCM_RIGHTS, fds))
    return anc, mflags
