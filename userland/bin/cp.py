"""``cp [-rRpafinvT] [--ring[=WHEN]] SOURCE… DEST``: copy files and directories.

Executables are ordinary files here, so a copy of /bin/ls runs like /bin/ls as long
as the execute bits come along (they do: a new file gets the source's mode minus the
umask). :class:`Copier` is also how ``mv`` moves a tree to another file system.

A file's bytes are copied with read(2) and write(2), or through a completion ring
(``--ring``, and on its own when the source or the destination is a block device,
unless ``--ring=never``): libk's ``ring_copy`` keeps several reads in flight and moves
each filled buffer into a positional write at the same offset. The bytes and the
messages are the same.
"""

from __future__ import annotations

from kernel.abi import (
    EEXIST,
    O_CREAT,
    O_RDONLY,
    O_TRUNC,
    O_WRONLY,
    S_IFMT,
    S_ISDIR,
    S_ISLNK,
    Error,
    Stat,
)
from userland.libk import args, sys, text
from userland.libk import io as kio
from userland.libk.ringcopy import is_block, ring_copy, take_ring_flag
from userland.libk.walk import join, listdir

USAGE = """Usage: cp [OPTION]... [-T] SOURCE DEST
  or:  cp [OPTION]... SOURCE... DIRECTORY
Copy SOURCE to DEST, or multiple SOURCE(s) to DIRECTORY.

  -a, --archive                same as -dR --preserve=all
  -d                           same as --no-dereference --preserve=links
  -f, --force                  if an existing destination file cannot be
                                 opened, remove it and try again
  -i, --interactive            prompt before overwrite
  -n, --no-clobber             do not overwrite an existing file
  -P, --no-dereference         never follow symbolic links in SOURCE
  -L, --dereference            always follow symbolic links in SOURCE
  -p                           same as --preserve=mode,ownership,timestamps
  -R, -r, --recursive          copy directories recursively
  -T, --no-target-directory    treat DEST as a normal file
  -v, --verbose                explain what is being done
      --ring[=WHEN]             copy through a completion ring, several requests in
                                 flight: always (no WHEN), never, or auto (the
                                 default: when SOURCE or DEST is a block device)
      --help                   display this help and exit
"""

LONG = {
    "archive": "a",
    "force": "f",
    "interactive": "i",
    "no-clobber": "n",
    "no-dereference": "P",
    "dereference": "L",
    "recursive": "R",
    "no-target-directory": "T",
    "verbose": "v",
}

CHUNK = 65536


def base_name(path: str) -> str:
    """The last component of ``path``."""
    return path.rstrip("/").rsplit("/", 1)[-1] or "/"


async def ask(prog: str, question: str) -> bool:
    """Print ``prog: question`` on stderr and read a yes/no answer from stdin."""
    await kio.write_all(2, f"{prog}: {question} ")
    line = await kio.LineReader(0).readline()
    return line.strip()[:1] in (b"y", b"Y")


def same_file(a: Stat, b: Stat) -> bool:
    """Same device and inode."""
    return a.st_dev == b.st_dev and a.st_ino == b.st_ino


class Copier:
    """Copies files and trees with one set of options; counts failures in ``status``.

    Args:
        prog: the name for messages (``cp`` or ``mv``).
        recursive: copy directories.
        preserve: keep mode, ownership and times (``-p``).
        deref: follow symbolic links in sources (``None``: only on the command line).
        force: remove a destination that cannot be opened and retry.
        interactive: ask before overwriting.
        no_clobber: never overwrite.
        verbose: print ``'a' -> 'b'`` for each copy.
        ring: copy files' bytes through a completion ring: True always, False never,
            None when the source or the destination is a block device.
    """

    def __init__(
        self,
        prog: str = "cp",
        *,
        recursive: bool = False,
        preserve: bool = False,
        deref: bool | None = None,
        force: bool = False,
        interactive: bool = False,
        no_clobber: bool = False,
        verbose: bool = False,
        ring: bool | None = None,
    ) -> None:
        self.prog = prog
        self.recursive = recursive
        self.preserve = preserve
        self.deref = deref
        self.force = force
        self.interactive = interactive
        self.no_clobber = no_clobber
        self.verbose = verbose
        self.ring = ring
        self.umask = 0o022
        self.status = 0

    async def setup(self) -> None:
        """Learn the umask (new files get the source's mode minus it)."""
        self.umask = await sys.umask(0)
        await sys.umask(self.umask)

    async def fail(self, message: str) -> None:
        await kio.warn(self.prog, message)
        self.status = 1

    async def copy(self, src: str, dst: str, *, top: bool = True) -> bool:
        """Copy ``src`` to exactly ``dst``. Reports its own errors; True on success."""
        follow = self.deref if self.deref is not None else (top and not self.recursive)
        try:
            st = await (sys.stat(src) if follow else sys.lstat(src))
        except Error as err:
            await self.fail(f"cannot stat '{src}': {err.message}")
            return False
        try:
            dst_st: Stat | None = await sys.stat(dst)
        except Error:
            dst_st = None
        if dst_st is not None and same_file(st, dst_st):
            await self.fail(f"'{src}' and '{dst}' are the same file")
            return False
        if S_ISDIR(st.st_mode):
            if not self.recursive:
                await self.fail(f"-r not specified; omitting directory '{src}'")
                return False
            return await self.copy_dir(src, dst, st, dst_st)
        if dst_st is not None:
            if S_ISDIR(dst_st.st_mode):
                await self.fail(
                    f"cannot overwrite directory '{dst}' with non-directory '{src}'"
                    if self.prog == "cp"
                    else f"cannot overwrite directory '{dst}' with non-directory"
                )
                return False
            if self.no_clobber:
                return True
            if self.interactive and not await ask(self.prog, f"overwrite '{dst}'?"):
                return True
        if dst.endswith("/") and dst_st is None:
            await self.fail(f"cannot create regular file '{dst}': Not a directory")
            return False
        if S_ISLNK(st.st_mode):
            ok = await self.copy_link(src, dst, st)
        elif st.st_mode & S_IFMT in (0o100000, 0o020000) or not self.recursive:
            ok = await self.copy_file(src, dst, st, exists=dst_st is not None)
        else:
            await self.fail(f"cannot create special file '{dst}': Operation not supported")
            return False
        if ok and self.verbose:
            await kio.write_all(1, f"'{src}' -> '{dst}'\n")
        return ok

    async def copy_link(self, src: str, dst: str, st: Stat) -> bool:
        target = await sys.readlink(src)
        try:
            await sys.symlink(target, dst)
        except Error as err:
            if err.errno != EEXIST:
                await self.fail(f"cannot create symbolic link '{dst}': {err.message}")
                return False
            try:
                await sys.unlink(dst)
                await sys.symlink(target, dst)
            except Error as err2:
                await self.fail(f"cannot create symbolic link '{dst}': {err2.message}")
                return False
        if self.preserve:
            await self.keep_owner(dst, st)
        return True

    async def copy_file(self, src: str, dst: str, st: Stat, *, exists: bool) -> bool:
        try:
            inp = await sys.open(src, O_RDONLY)
        except Error as err:
            await self.fail(f"cannot open '{src}' for reading: {err.message}")
            return False
        try:
            mode = st.st_mode & 0o7777 & ~self.umask if not self.preserve else st.st_mode & 0o777
            try:
                out = await sys.open(dst, O_WRONLY | O_CREAT | O_TRUNC, mode)
            except Error as err:
                if not (exists and self.force):
                    verb = "create regular file" if not exists else "open"
                    tail = "" if not exists else " for writing"
                    await self.fail(f"cannot {verb} '{dst}'{tail}: {err.message}")
                    return False
                try:
                    await sys.unlink(dst)
                    out = await sys.open(dst, O_WRONLY | O_CREAT | O_TRUNC, mode)
                except Error as err2:
                    await self.fail(f"cannot create regular file '{dst}': {err2.message}")
                    return False
            try:
                use_ring = self.ring
                if use_ring is None:
                    use_ring = await self.on_block_device(inp, out)
                if use_ring:
                    await ring_copy(inp, out)
                else:
                    while chunk := await sys.read(inp, CHUNK):
                        await kio.write_all(out, chunk)
            except Error as err:
                await self.fail(f"error copying '{src}' to '{dst}': {err.message}")
                return False
            finally:
                await sys.close(out)
        finally:
            await sys.close(inp)
        if self.preserve:
            await self.keep_attrs(dst, st)
        return True

    async def on_block_device(self, inp: int, out: int) -> bool:
        """Is either end a block device (where the ring path pays off)?"""
        for fd in (inp, out):
            if is_block((await sys.fstat(fd)).st_mode):
                return True
        return False

    async def copy_dir(self, src: str, dst: str, st: Stat, dst_st: Stat | None) -> bool:
        if dst_st is not None and not S_ISDIR(dst_st.st_mode):
            await self.fail(f"cannot overwrite non-directory '{dst}' with directory '{src}'")
            return False
        if await self.inside(src, dst):
            await self.fail(f"cannot copy a directory, '{src}', into itself, '{dst}'")
            return False
        if dst_st is None:
            try:
                await sys.mkdir(dst, (st.st_mode & 0o777) | 0o700)
            except Error as err:
                await self.fail(f"cannot create directory '{dst}': {err.message}")
                return False
            if self.verbose:
                await kio.write_all(1, f"'{src}' -> '{dst}'\n")
        try:
            names = await listdir(src)
        except Error as err:
            await self.fail(f"cannot access '{src}': {err.message}")
            return False
        ok = True
        for name in names:
            ok = await self.copy(join(src, name), join(dst, name), top=False) and ok
        if dst_st is None or self.preserve:
            mode = st.st_mode & 0o7777
            if not self.preserve:
                mode &= ~self.umask
            try:
                await sys.chmod(dst, mode)
            except Error:
                pass
        if self.preserve:
            await self.keep_attrs(dst, st)
        return ok

    async def inside(self, src: str, dst: str) -> bool:
        """Is ``dst`` (or where it would be made) ``src`` itself or below it?"""
        try:
            src_st = await sys.stat(src)
        except Error:
            return False
        parent = dst.rstrip("/").rsplit("/", 1)[0] if "/" in dst.rstrip("/") else "."
        probe = parent or "/"
        for _ in range(256):
            try:
                pst = await sys.stat(probe)
            except Error:
                return False
            if same_file(pst, src_st):
                return True
            try:
                up = await sys.stat(join(probe, ".."))
            except Error:
                return False
            if same_file(up, pst):
                return False
            probe = join(probe, "..")
        return False

    async def keep_owner(self, dst: str, st: Stat) -> None:
        try:
            await sys.chown(dst, st.st_uid, st.st_gid)
        except Error:
            pass  # GNU cp -p quietly keeps the copier's ownership when it may not chown

    async def keep_attrs(self, dst: str, st: Stat) -> None:
        """``-p``: ownership, mode (set-id bits only if the chown worked), times."""
        try:
            await sys.chown(dst, st.st_uid, st.st_gid)
            mode = st.st_mode & 0o7777
        except Error:
            mode = st.st_mode & 0o777
        try:
            await sys.chmod(dst, mode)
        except Error as err:
            await self.fail(f"preserving permissions for '{dst}': {err.message}")
        utimens = getattr(sys, "utimens", None)
        if utimens is not None:
            try:
                await utimens(dst, st.st_atime_ns, st.st_mtime_ns)
            except Error as err:
                await self.fail(f"preserving times for '{dst}': {err.message}")


async def target_dir(path: str) -> bool:
    """Is ``path`` an existing directory (following links)?"""
    try:
        return S_ISDIR((await sys.stat(path)).st_mode)
    except Error:
        return False


async def plan(prog: str, operands: list[str], no_target: bool) -> list[tuple[str, str]] | None:
    """Pair sources with destinations the way cp and mv do; None after an error message."""
    if not operands:
        await text.usage_error(prog, "missing file operand")
        return None
    if len(operands) == 1:
        await text.usage_error(prog, f"missing destination file operand after '{operands[0]}'")
        return None
    *sources, dest = operands
    if no_target:
        if len(sources) > 1:
            await text.usage_error(prog, f"extra operand '{operands[2]}'")
            return None
        return [(sources[0], dest)]
    if await target_dir(dest):
        return [(s, join(dest, base_name(s))) for s in sources]
    if len(sources) > 1:
        try:
            await sys.stat(dest)
            await kio.warn(prog, f"target '{dest}' is not a directory")
        except Error as err:
            await kio.warn(prog, f"target '{dest}': {err.message}")
        return None
    return [(sources[0], dest)]


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        argv, ring = take_ring_flag(argv)
    except args.UsageError as err:
        return await text.usage_error("cp", err)
    opts = await text.options("cp", argv, "adfinPLpRrTv", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    deref: bool | None = None
    interactive = no_clobber = False
    for flag, _ in opts.seen:
        if flag in ("a", "d", "P"):
            deref = False
        elif flag == "L":
            deref = True
        elif flag == "i":
            interactive, no_clobber = True, False
        elif flag == "n":
            interactive, no_clobber = False, True
    copier = Copier(
        "cp",
        recursive=opts.has("r") or opts.has("R") or opts.has("a"),
        preserve=opts.has("p") or opts.has("a"),
        deref=deref,
        force=opts.has("f"),
        interactive=interactive,
        no_clobber=no_clobber,
        verbose=opts.has("v"),
        ring=ring,
    )
    await copier.setup()
    pairs = await plan("cp", opts.operands, opts.has("T"))
    if pairs is None:
        return 1
    for src, dst in pairs:
        await copier.copy(src, dst)
    return copier.status
