"""The file utilities that inspect and change attributes: stat, chmod, chown, find, du, df,
readlink, realpath, basename, dirname. Where the host has the same GNU tool and the
answer does not depend on the machine, the outputs are compared with the host's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tui.headless import run_command

UTILITIES = [
    "stat",
    "chmod",
    "chown",
    "find",
    "du",
    "df",
    "readlink",
    "realpath",
    "basename",
    "dirname",
]

# A tree built the same way on the host and in the machine (under $R).
TREE = (
    "mkdir -p $R/d/e/f $R/g; echo hello > $R/d/a.txt; echo x > $R/d/e/B.TXT; "
    ": > $R/d/e/f/empty; echo data > $R/g/c.sh; ln -s a.txt $R/d/link; "
    "ln -s ../d $R/g/up"
)


def sh(cmd: str) -> str:
    return run_command(cmd)[0]


def host(cmd: str, root: Path) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "R": str(root)}
    done = subprocess.run(
        ["/bin/sh", "-c", cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=root,
        check=False,
    )
    return done.stdout.replace("\u2018", "'").replace("\u2019", "'")


needs_gnu = pytest.mark.skipif(shutil.which("find") is None, reason="no GNU tools on the host")


def test_help_and_bad_options() -> None:
    out = sh("; ".join(f"{u} --help >/dev/null; echo {u}=$?" for u in UTILITIES))
    assert out.split() == [f"{u}=0" for u in UTILITIES]
    out = sh("; ".join(f"{u} -Z; echo $?" for u in UTILITIES if u != "find"))
    for u in UTILITIES:
        if u != "find":
            assert f"{u}: invalid option -- 'Z'\nTry '{u} --help' for more information.\n" in out
    assert [x for x in out.splitlines() if x.isdigit()] == ["1"] * (len(UTILITIES) - 1)


@needs_gnu
@pytest.mark.parametrize(
    "args",
    [
        "/usr/bin/sort",
        "/usr/bin/",
        "stdio.h .h",
        ".h .h",
        "/",
        "//",
        "a",
        "-a x/y.c z/w.c",
        "-s .c x/y.c z/w.c",
        "",
    ],
)
def test_basename_matches_gnu(args: str, tmp_path: Path) -> None:
    ours = sh(f"basename {args}; echo $?")
    assert ours == host(f"basename {args}; echo $?", tmp_path)


@needs_gnu
def test_dirname_matches_gnu(tmp_path: Path) -> None:
    names = "/usr/bin/ a / // //a ///a a/b/ a//b ./x ../x /a/b/c"
    cmd = f"dirname {names}; dirname; echo $?"
    assert sh(cmd) == host(cmd, tmp_path)


@needs_gnu
def test_realpath_and_readlink_match_gnu(tmp_path: Path) -> None:
    host(TREE, tmp_path)
    probes = (
        "realpath $R/g/up/a.txt $R/g/up/../g/./c.sh $R/d/link; "
        "realpath -m $R/nope/x/../y; realpath -s $R/g/up/..; "
        "readlink $R/d/link $R/g/up; readlink -f $R/g/up/link; readlink -e $R/nope; echo st=$?; "
        "readlink -m $R/d/nope/../a.txt; readlink $R/d; echo st=$?; realpath -e $R/d/nope; "
        "echo st=$?"
    )
    theirs = host(probes, tmp_path).replace(str(tmp_path), "ROOT")
    ours = sh(f"R=/tmp/r; {TREE}; {probes}").replace("/tmp/r", "ROOT")
    assert ours == theirs


@needs_gnu
def test_stat_formats_match_gnu(tmp_path: Path) -> None:
    host(TREE + "; chmod 4751 $R/g/c.sh; chmod 1777 $R/g", tmp_path)
    fmt = "'%a %A %s %F %h %n|%N|%04a|%-6s|%5h|%#a'"
    probe = (
        f"cd $R; stat -c {fmt} d/a.txt d/link d/e/f/empty g/c.sh g; "
        "stat --printf '%s\\t%n\\n' d/a.txt"
    )
    theirs = host(probe, tmp_path)
    ours = sh(f"R=/tmp/r; {TREE}; chmod 4751 $R/g/c.sh; chmod 1777 $R/g; {probe}")
    # Directory sizes differ between file systems; compare everything else.
    assert ours.splitlines()[:4] == theirs.splitlines()[:4]
    assert ours.splitlines()[5:] == theirs.splitlines()[5:]
    assert ours.splitlines()[4].split()[:2] == theirs.splitlines()[4].split()[:2]


def test_stat_default_layout_and_errors() -> None:
    out = sh("echo hi > /tmp/a; stat /tmp/a /dev/null; stat /nope; echo st=$?; stat -t /tmp/a")
    lines = out.splitlines()
    assert lines[0] == "  File: /tmp/a"
    assert lines[1].startswith(
        "  Size: 3         \tBlocks: 1          IO Block: 4096   regular file"
    )
    assert lines[2].startswith("Device: ") and "\tInode: " in lines[2] and "Links: 1" in lines[2]
    assert lines[3] == "Access: (0644/-rw-r--r--)  Uid: (    0/    root)   Gid: (    0/    root)"
    assert lines[4].startswith("Access: 2026-01-01 00:00:00.") and lines[4].endswith(" +0000")
    assert [x[:7] for x in lines[5:8]] == ["Modify:", "Change:", " Birth:"]
    assert lines[7] == " Birth: -"
    assert "Device type: 1,3" in lines[10]
    assert lines[11].startswith("Access: (0666/crw-rw-rw-)")
    assert lines[16:18] == ["stat: cannot statx '/nope': No such file or directory", "st=1"]
    assert lines[18].startswith("/tmp/a 3 1 81a4 0 0 ")


@needs_gnu
def test_chmod_matches_gnu(tmp_path: Path) -> None:
    specs = [
        "u+x",
        "go-w",
        "a=r",
        "u=rwx,g=rx,o=",
        "+x",
        "-w",
        "=r",
        "g=u",
        "o+t",
        "u+s",
        "a+X",
        "755",
        "4755",
        "ug+rw,o-r",
        "go=u-w",
    ]
    starts = ["644", "755", "600", "4755", "1777", "000"]
    script = "umask 022; touch f; mkdir dd; " + "; ".join(
        f"chmod {s0} f dd; chmod -- {spec} f dd; stat -c '%a' f dd"
        for s0 in starts
        for spec in specs
    )
    assert sh(f"cd /tmp; {script}") == host(script, tmp_path)


def test_chmod_recursive_messages_and_errors() -> None:
    out = sh(
        "cd /tmp; mkdir -p t/u; touch t/u/f; ln -s f t/u/l; chmod -R go-rx t; "
        "stat -c '%a %n' t t/u t/u/f; chmod -v 600 t/u/f; chmod -c 600 t/u/f; echo --; "
        "chmod zz t; chmod 755; chmod; chmod 644 /nope; echo st=$?; chmod -x /tmp/t/u/f; "
        "cp /bin/ls x; chmod -x x; ./x; echo st=$?"
    )
    assert out.startswith("700 t\n700 t/u\n600 t/u/f\n")
    assert "mode of 't/u/f' retained as 0600 (rw-------)\n--\n" in out
    assert "chmod: invalid mode: 'zz'\n" in out
    assert "chmod: missing operand after '755'\n" in out
    assert "chmod: missing operand\n" in out
    assert "chmod: cannot access '/nope': No such file or directory\nst=1\n" in out
    assert out.endswith("st=126\n")


def test_chown() -> None:
    out = sh(
        "cd /tmp; touch a; mkdir -p d/e; touch d/e/f; chown alice a; stat -c %U:%G a; "
        "chown alice:alice a; stat -c %U:%G a; chown :root a; stat -c %U:%G a; "
        "chown 1234:55 a; stat -c %u:%g a; chown root: a; stat -c %U:%G a; "
        "chown -R alice d; stat -c %U d d/e d/e/f; chown bob a; chown alice:nog a; chown; "
        "chown root; chown -v alice a; chown root /nope; echo st=$?"
    )
    assert out.startswith(
        "alice:root\nalice:alice\nalice:root\n1234:55\nroot:root\nalice\nalice\nalice\n"
    )
    assert "chown: invalid user: 'bob'\n" in out
    assert "chown: invalid group: 'alice:nog'\n" in out
    assert "chown: missing operand\n" in out
    assert "chown: missing operand after 'root'\n" in out
    assert "changed ownership of 'a' from root to alice\n" in out
    assert out.endswith("chown: cannot access '/nope': No such file or directory\nst=1\n")


FIND_PROBES = [
    "find $R",
    "find $R -name '*.txt'",
    "find $R -iname '*.txt'",
    "find $R -type d",
    "find $R -type l",
    "find $R -type f,l",
    "find $R -maxdepth 1",
    "find $R -mindepth 2 -maxdepth 2",
    "find $R ! -type d",
    "find $R -not -name 'e*' -type f -print",
    "find $R \\( -name a.txt -o -name c.sh \\)",
    "find $R -name e -prune -o -print",
    "find $R -empty",
    "find $R -path '*/e/*'",
    "find $R -size -1",
    "find $R -type f -exec echo X {} \\;",
    "find $R/ -maxdepth 1",
    "find $R -depth -type d",
    "find $R -perm -644 -type f",
    "find $R -links 1 -type f",
]


@needs_gnu
def test_find_matches_gnu(tmp_path: Path) -> None:
    host(TREE, tmp_path)
    # Directory order differs between file systems: compare each probe's lines sorted.
    script = "; ".join(f"{p}; echo --" for p in FIND_PROBES)
    theirs = host(script, tmp_path).replace(str(tmp_path), "ROOT")
    ours = sh(f"R=/tmp/r; {TREE}; {script}").replace("/tmp/r", "ROOT")

    def blocks(text: str) -> list[list[str]]:
        return [sorted(b.splitlines()) for b in text.split("--\n")]

    assert blocks(ours) == blocks(theirs)


def test_find_exec_plus_depth_order_and_errors() -> None:
    out = sh(
        "cd /tmp; mkdir -p d/e; touch d/a d/e/b; find d -type f -exec echo Y {} +; "
        "find . -maxdepth 1 -name d; find /nope; echo st=$?; find d -foo; find d -name; "
        "find d -maxdepth x; find d -type f zz; echo st=$?; find d -type q; find d -exec echo; "
        "find d -name b -delete; find d -type f; find d -name c.sh -quit; echo done"
    )
    lines = out.splitlines()
    assert lines[0].startswith("Y ") and sorted(lines[0].split()[1:]) == ["d/a", "d/e/b"]
    assert lines[1] == "./d"
    assert lines[2:4] == ["find: '/nope': No such file or directory", "st=1"]
    assert lines[4] == "find: unknown predicate `-foo'"
    assert lines[5] == "find: missing argument to `-name'"
    assert (
        lines[6] == "find: Expected a positive decimal integer argument to -maxdepth, but got `x'"
    )
    assert lines[7:9] == ["find: paths must precede expression: `zz'", "st=1"]
    assert lines[9] == "find: Unknown argument to -type: q"
    assert lines[10] == "find: missing argument to `-exec'"
    assert lines[11:] == ["d/a", "done"]


@needs_gnu
def test_du_apparent_sizes_match_gnu(tmp_path: Path) -> None:
    make = (
        "mkdir -p $R/t/s; yes 0123456789 | head -n 300 > $R/t/a; echo x > $R/t/s/b; "
        "yes abc | head -n 5000 > $R/t/s/c; ln $R/t/a $R/t/hard"
    )
    host(make, tmp_path)
    probe = "cd $R; du -ab t/a t/s/b t/s/c; du -b --apparent-size t/a t/s/c -c"
    theirs = host(probe, tmp_path)
    ours = sh(f"R=/tmp/r; {make}; {probe}")
    assert ours == theirs


def test_du_blocks_and_options() -> None:
    out = sh(
        "cd /tmp; mkdir -p d/e; echo hello > d/a; echo x > d/e/b; ln d/a d/hard; "
        "du d; echo --; du -a d; echo --; du -s d; du -sh d; du -c d d; echo --; du -d 0 d; "
        "du /nope; echo st=$?; du -sa d"
    )
    parts = out.split("--\n")
    # Directories take 8 blocks (4K); each small file one 512-byte block, rounded up.
    assert parts[0] == "5\td/e\n9\td\n"
    assert parts[1] == "1\td/e/b\n5\td/e\n1\td/a\n9\td\n"
    assert parts[2] == "9\td\n9.0K\td\n5\td/e\n9\td\n9\ttotal\n"  # d twice counts once
    assert parts[3].startswith("9\td\ndu: cannot access '/nope': No such file or directory\nst=1\n")
    assert parts[3].endswith(
        "du: cannot both summarize and show all entries\nTry 'du --help' for more information.\n"
    )


def test_df() -> None:
    out = sh("df; echo --; df -h /tmp; echo --; df -aT; echo --; df -i /; df /nope; echo st=$?")
    parts = out.split("--\n")
    lines = parts[0].splitlines()
    assert lines[0].split() == [
        "Filesystem",
        "1K-blocks",
        "Used",
        "Available",
        "Use%",
        "Mounted",
        "on",
    ]
    assert [ln.split()[-1] for ln in lines[1:]] == ["/", "/dev/shm", "/tmp"]
    for ln in lines[1:]:
        _, size, used, avail, pct, _ = ln.split()
        assert int(size) == int(used) + int(avail) or int(size) >= int(used)
        assert pct == f"{-(-int(used) * 100 // (int(used) + int(avail)))}%"
    assert parts[1].splitlines()[0].split()[:4] == ["Filesystem", "Size", "Used", "Avail"]
    assert parts[1].splitlines()[1].split()[0] == "tmpfs"
    assert parts[1].splitlines()[1].endswith("% /tmp")
    all_lines = parts[2].splitlines()
    assert all_lines[0].split()[:2] == ["Filesystem", "Type"]
    assert any(ln.split()[-1] == "/proc" and ln.split()[-2] == "-" for ln in all_lines)
    assert parts[3].splitlines()[0].split()[1:4] == ["Inodes", "IUsed", "IFree"]
    assert parts[3].endswith("df: /nope: No such file or directory\nst=1\n")


@pytest.mark.parametrize("util", UTILITIES)
def test_man_page_exists(util: str) -> None:
    page = Path(__file__).parents[2] / "userland" / "man" / "man1" / f"{util}.1"
    text = page.read_text()
    assert text.startswith("NAME\n       " + util + " - ")
    assert all(len(line) <= 78 for line in text.splitlines())
    for heading in ("SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
        assert f"\n{heading}\n" in text


def test_find_reports_malformed_expressions_instead_of_crashing() -> None:
    out = sh(
        "find /etc \\(; echo rc=$?; find /etc -name x ,; echo rc=$?; find /etc \\); echo rc=$?"
    )
    lines = out.splitlines()
    assert lines[0].startswith("find: invalid expression; expected to find a ')'")
    assert lines[1:4] == ["rc=1", "find: expected an expression after ','", "rc=1"]
    assert lines[-1] == "rc=1" and "Segmentation" not in out
