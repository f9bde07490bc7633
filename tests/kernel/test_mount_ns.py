"""Mount namespaces, bind mounts, propagation, chroot, setns and mountinfo (issue 11,
part 4): isolation, the same inode through a bind mount, shared and private
propagation, ``..`` at a chroot, a namespace freed with its last process, EPERM for
users, and /proc/<pid>/mountinfo parsed as util-linux's libmount does."""

from __future__ import annotations

from typing import Any

from kernel.abi import (
    CLONE_NEWNS,
    EACCES,
    EBUSY,
    EINVAL,
    ENOENT,
    EPERM,
    MS_BIND,
    MS_PRIVATE,
    MS_REC,
    MS_SHARED,
    O_CREAT,
    O_RDONLY,
    O_WRONLY,
    SpawnAttr,
)
from tests.kernel.ksim import errno_of, machine, ok, register, run, run_body
from userland.libk import io as kio
from userland.libk import sys

INIT = 4026531840  # the initial mount namespace's number


# ---------------------------------------------------------------- a libmount-style parser
def unescape(text: str) -> str:
    """libmount's unmangle: ``\\ooo`` octal escapes back to characters."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1 : i + 4].isdigit() and i + 4 <= len(text):
            out.append(chr(int(text[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[dict[str, Any]]:
    """Each line as proc(5) describes it: id, parent, maj:min, root, target, options,
    optional fields ended by ``-``, then type, source, super options."""
    rows = []
    for line in text.splitlines():
        f = line.split(" ")
        sep = f.index("-", 6)
        major, minor = f[2].split(":")
        rows.append(
            {
                "id": int(f[0]),
                "parent": int(f[1]),
                "dev": (int(major), int(minor)),
                "root": unescape(f[3]),
                "target": unescape(f[4]),
                "vfs": f[5].split(","),
                "optional": dict(x.partition(":")[::2] for x in f[6:sep]),  # shared:N
                "fstype": f[sep + 1],
                "source": unescape(f[sep + 2]),
                "fs": f[sep + 3].split(","),
            }
        )
    return rows


async def text(path: str) -> str:
    return (await kio.read_file(path)).decode()


async def wait(pid: int) -> int:
    _, status = await sys.wait4(pid, 0)
    return status


async def spawn(path: str, attr: SpawnAttr | None = None) -> int:
    """Start a program registered (before the machine booted) with ``register``."""
    return await sys.spawn(path, [path], None, None, None, attr)


# ---------------------------------------------------------------- tests
def test_a_mount_in_a_new_namespace_is_invisible_outside() -> None:
    out: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        await sys.mount("none", "/mnt", "tmpfs", 0, None)
        fd = await sys.open("/mnt/inside", O_WRONLY | O_CREAT)
        await sys.close(fd)
        out["child_ns"] = await sys.readlink("/proc/self/ns/mnt")
        out["child_info"] = await text("/proc/self/mountinfo")
        out["child_mounts"] = await text("/proc/mounts")
        return 0

    async def self_unshare(argv: list[str]) -> int:  # unshare(2) on itself
        await sys.unshare(CLONE_NEWNS)
        await sys.mount("none", "/", None, MS_REC | MS_PRIVATE, None)
        await sys.mount("none", "/mnt", "tmpfs", 0, None)
        out["self_ns"] = await sys.readlink("/proc/self/ns/mnt")
        return 0

    paths = register(child), register(self_unshare)

    async def body(seen: dict[str, Any]) -> None:
        await wait(await spawn(paths[0], SpawnAttr(unshare=CLONE_NEWNS, propagation=MS_PRIVATE)))
        seen["ns"] = await sys.readlink("/proc/self/ns/mnt")
        seen["gone"] = await errno_of(sys.stat("/mnt/inside"))
        seen["info"] = await text("/proc/self/mountinfo")
        seen["mounts"] = await text("/proc/mounts")
        await wait(await spawn(paths[1]))
        seen["after"] = await text("/proc/self/mountinfo")

    seen = run_body(body) | out
    assert seen["ns"] == "mnt:[4026531840]"
    assert seen["child_ns"].startswith("mnt:[") and seen["child_ns"] != seen["ns"]
    assert seen["self_ns"] not in (seen["ns"], seen["child_ns"])
    inside = [r for r in parse_mountinfo(seen["child_info"]) if r["target"] == "/mnt"]
    assert len(inside) == 1 and inside[0]["fstype"] == "tmpfs"
    assert "none /mnt tmpfs rw 0 0" in seen["child_mounts"]
    assert seen["gone"] == ENOENT
    assert "/mnt" not in seen["info"] and "/mnt" not in seen["mounts"]
    assert "/mnt" not in seen["after"]


def test_mountinfo_parsed_as_findmnt_would() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.mount("none", "/tmp", None, MS_SHARED, None)
        await sys.mkdir("/tmp/a b")
        await sys.mount("scratch", "/tmp/a b", "tmpfs", 0, "mode=0700")  # shared too
        seen["info"] = await text("/proc/self/mountinfo")
        seen["st"] = await sys.stat("/tmp/a b")

    seen = run_body(body)
    rows = parse_mountinfo(seen["info"])
    by_target = {r["target"]: r for r in rows}
    ids = [r["id"] for r in rows]
    assert min(ids) >= 21 and len(set(ids)) == len(ids)
    root = by_target["/"]
    assert root["root"] == "/" and root["parent"] not in ids  # the tree's top, as findmnt
    for r in rows:
        if r is not root:  # every other mount hangs from one in the table
            assert r["parent"] in ids
    mnt = by_target["/tmp/a b"]  # the space came escaped as \040
    assert "\\040" in seen["info"]
    assert mnt["parent"] == by_target["/tmp"]["id"]
    assert mnt["fstype"] == "tmpfs" and mnt["source"] == "scratch"
    assert mnt["vfs"] == ["rw"] and mnt["fs"] == ["rw", "mode=0700"]
    assert mnt["dev"] == (0, seen["st"].st_dev)
    assert "shared" in by_target["/tmp"]["optional"] and "shared" in mnt["optional"]
    assert by_target["/proc"]["fstype"] == "proc"
    assert by_target["/dev"]["fstype"] == "devtmpfs"


def test_a_bind_mount_shows_the_same_inode() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.mkdir("/tmp/a")
        await sys.mkdir("/tmp/a/b")
        await sys.mkdir("/tmp/c")
        await sys.close(await sys.open("/tmp/a/b/f", O_WRONLY | O_CREAT))
        await sys.close(await sys.open("/tmp/file", O_WRONLY | O_CREAT))
        await sys.close(await sys.open("/tmp/target", O_WRONLY | O_CREAT))
        await sys.mount("/tmp/a/b", "/tmp/c", None, MS_BIND, None)
        await sys.mount("/tmp/file", "/tmp/target", None, MS_BIND, None)
        seen["same"] = [(await sys.stat(p)).st_ino for p in ("/tmp/a/b/f", "/tmp/c/f")]
        seen["file"] = [(await sys.stat(p)).st_ino for p in ("/tmp/file", "/tmp/target")]
        seen["up"] = [(await sys.stat(p)).st_ino for p in ("/tmp/c/..", "/tmp")]
        await sys.mount("devtmpfs", "/mnt", "devtmpfs", 0, None)  # devtmpfs twice
        seen["dev"] = [(await sys.stat(p)).st_ino for p in ("/mnt/null", "/dev/null")]
        seen["info"] = await text("/proc/self/mountinfo")
        await sys.umount("/tmp/c")
        seen["unmounted"] = await errno_of(sys.stat("/tmp/c/f"))
        seen["not_mounted"] = await errno_of(sys.umount("/tmp/c"))

    seen = run_body(body)
    assert seen["same"][0] == seen["same"][1]
    assert seen["file"][0] == seen["file"][1]
    assert seen["up"][0] == seen["up"][1]  # .. at a bind mount's root: where it is mounted
    assert seen["dev"][0] == seen["dev"][1]
    rows = {r["target"]: r for r in parse_mountinfo(seen["info"])}
    assert rows["/tmp/c"]["root"] == "/a/b" and rows["/tmp/target"]["root"] == "/file"
    assert rows["/mnt"]["fstype"] == rows["/dev"]["fstype"] == "devtmpfs"
    assert seen["unmounted"] == ENOENT and seen["not_mounted"] == EINVAL


def test_a_working_directory_in_a_bind_mount_keeps_its_path() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.mkdir("/tmp/d")
        await sys.mkdir("/mnt/x")
        await sys.mount("/tmp", "/mnt/x", None, MS_BIND, None)
        await sys.chdir("/mnt/x/d")
        seen["cwd"] = await sys.getcwd()
        seen["link"] = await sys.readlink("/proc/self/cwd")
        seen["up"] = (await sys.stat("..")).st_ino == (await sys.stat("/mnt/x")).st_ino
        seen["busy"] = await errno_of(sys.umount("/mnt/x"))  # this mount, not /tmp's
        await sys.chdir("/")
        seen["free"] = await errno_of(sys.umount("/mnt/x"))

    seen = run_body(body)
    assert seen["cwd"] == seen["link"] == "/mnt/x/d"  # as Linux's getcwd: the path walked
    assert seen["up"] and seen["busy"] == EBUSY and seen["free"] == 0


def test_shared_propagation_reaches_the_peer_and_private_does_not() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await sys.mkdir("/tmp/d")
        await sys.mkdir("/tmp/e")
        await sys.mount("none", "/tmp", None, MS_SHARED, None)
        orig = await sys.open("/proc/self/ns/mnt", O_RDONLY)
        await sys.unshare(CLONE_NEWNS)  # a copy: /tmp in it is a peer of ours
        shared = await sys.open("/proc/self/ns/mnt", O_RDONLY)
        await sys.setns(orig, CLONE_NEWNS)
        await sys.unshare(CLONE_NEWNS)
        await sys.mount("none", "/", None, MS_REC | MS_PRIVATE, None)
        private = await sys.open("/proc/self/ns/mnt", O_RDONLY)
        await sys.setns(orig, 0)
        await sys.mount("x", "/tmp/d", "tmpfs", 0, None)  # under the shared /tmp
        await sys.setns(shared, CLONE_NEWNS)
        seen["peer"] = await text("/proc/self/mountinfo")
        await sys.mount("y", "/tmp/e", "tmpfs", 0, None)  # and back the other way
        await sys.setns(private, CLONE_NEWNS)
        seen["private"] = await text("/proc/self/mountinfo")
        await sys.setns(orig, CLONE_NEWNS)
        seen["orig"] = await text("/proc/self/mountinfo")
        await sys.umount("/tmp/d")  # an unmount propagates too
        await sys.setns(shared, CLONE_NEWNS)
        seen["peer_after"] = await text("/proc/self/mountinfo")
        await sys.setns(orig, CLONE_NEWNS)

    seen = run_body(body)
    peer = {r["target"]: r for r in parse_mountinfo(seen["peer"])}
    orig = {r["target"]: r for r in parse_mountinfo(seen["orig"])}
    assert peer["/tmp/d"]["source"] == "x"
    assert peer["/tmp/d"]["optional"]["shared"] == orig["/tmp/d"]["optional"]["shared"]
    assert orig["/tmp/e"]["source"] == "y"
    assert "/tmp/d" not in seen["private"] and "/tmp/e" not in seen["private"]
    assert "shared:" not in seen["private"]
    assert "/tmp/d" not in seen["peer_after"]


def test_chroot_confines_dotdot_and_is_inherited() -> None:
    out: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        out["child"] = [(await sys.stat(p)).st_ino for p in ("/", "/..", "/sub/../..")]
        out["child_root"] = await errno_of(sys.stat("/inside"))
        return 0

    child_path = register(child)

    async def jailed(argv: list[str]) -> int:
        await sys.chroot("/tmp/jail")
        await sys.chdir("/")
        out["cwd"] = await sys.getcwd()
        out["escape"] = await errno_of(sys.stat("../../etc/hostname"))
        out["inode"] = [(await sys.stat(p)).st_ino for p in ("/", "..", "/sub/../..")]
        await wait(await spawn(child_path))  # found in the jail's /bin, a bind mount
        return 0

    jailed_path = register(jailed)

    async def body(seen: dict[str, Any]) -> None:
        await sys.mkdir("/tmp/jail")
        await sys.mkdir("/tmp/jail/sub")
        await sys.close(await sys.open("/tmp/jail/inside", O_WRONLY | O_CREAT))
        await sys.mkdir("/tmp/jail/bin")
        await sys.mount("/bin", "/tmp/jail/bin", None, MS_BIND, None)
        await wait(await spawn(jailed_path))
        seen["jail"] = (await sys.stat("/tmp/jail")).st_ino

    seen = run_body(body) | out
    jail = seen["jail"]
    assert seen["cwd"] == "/"
    assert seen["escape"] == ENOENT
    assert seen["inode"] == [jail] * 3
    assert seen["child"] == [jail] * 3 and seen["child_root"] == 0


def test_a_namespace_is_freed_when_its_last_process_exits() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        seen.setdefault("ns", []).append(await sys.readlink("/proc/self/ns/mnt"))
        return 0

    child_path = register(child)

    async def main(argv: list[str]) -> int:
        await wait(await spawn(child_path, SpawnAttr(unshare=CLONE_NEWNS)))
        seen["live_after_exit"] = sorted(k.root_ns.ids.live)
        await wait(await spawn(child_path))  # spawn frees what no process uses any more
        seen["live_after_spawn"] = sorted(k.root_ns.ids.live)
        return 0

    k = machine(main)
    ok(run(k))
    first = int(seen["ns"][0][5:-1])
    assert first != INIT and seen["ns"][1] == f"mnt:[{INIT}]"
    assert seen["live_after_spawn"] == [INIT]
    assert first not in seen["live_after_spawn"]


def test_setns_joins_another_process_namespace() -> None:
    pipes: list[int] = []

    async def holder(argv: list[str]) -> int:
        await sys.mount("held", "/mnt", "tmpfs", 0, None)
        await sys.write(pipes[1], b"ready")
        await sys.read(pipes[2], 1)  # stay until told
        return 0

    holder_path = register(holder)

    async def body(seen: dict[str, Any]) -> None:
        r, w = await sys.pipe()
        r2, w2 = await sys.pipe()
        pipes.extend((r, w, r2, w2))
        pid = await spawn(holder_path, SpawnAttr(unshare=CLONE_NEWNS))
        await sys.read(r, 5)
        fd = await sys.open(f"/proc/{pid}/ns/mnt", O_RDONLY)
        seen["same_ino"] = (await sys.fstat(fd)).st_ino
        await sys.chdir("/tmp")
        await sys.setns(fd, CLONE_NEWNS)
        await sys.close(fd)
        seen["ns"] = await sys.readlink("/proc/self/ns/mnt")
        seen["theirs"] = await sys.readlink(f"/proc/{pid}/ns/mnt")
        seen["cwd"] = await sys.getcwd()
        seen["mounts"] = await text("/proc/self/mounts")
        seen["bad"] = await errno_of(sys.setns(0, 0))
        await sys.write(w2, b"x")
        await wait(pid)

    seen = run_body(body)
    assert seen["ns"] == seen["theirs"] != "mnt:[4026531840]"
    assert seen["ns"] == f"mnt:[{seen['same_ino']}]"
    assert seen["cwd"] == "/"
    assert "held /mnt tmpfs" in seen["mounts"]
    assert seen["bad"] == EINVAL


def test_only_root_mounts_unshares_setns_and_chroots() -> None:
    out: dict[str, Any] = {}

    fds: list[int] = []

    async def user(argv: list[str]) -> int:
        fd = fds[0]  # opened by root, inherited
        out["unshare"] = await errno_of(sys.unshare(CLONE_NEWNS))
        out["setns"] = await errno_of(sys.setns(fd, CLONE_NEWNS))
        out["chroot"] = await errno_of(sys.chroot("/tmp"))
        out["bind"] = await errno_of(sys.mount("/tmp", "/mnt", None, MS_BIND, None))
        out["make"] = await errno_of(sys.mount("none", "/tmp", None, MS_PRIVATE, None))
        out["spawn"] = await errno_of(
            sys.spawn("/bin/true", ["true"], None, None, None, SpawnAttr(unshare=CLONE_NEWNS))
        )
        out["open"] = await errno_of(sys.open("/proc/1/ns/mnt", O_RDONLY))
        return 0

    user_path = register(user)

    async def body(seen: dict[str, Any]) -> None:
        fds.append(await sys.open("/proc/self/ns/mnt", O_RDONLY))
        await wait(await spawn(user_path, SpawnAttr(uid=1000, gid=1000)))

    run_body(body)
    assert out == {
        "unshare": EPERM,
        "setns": EPERM,
        "chroot": EPERM,
        "bind": EPERM,
        "make": EPERM,
        "spawn": EPERM,
        "open": EACCES,
    }
