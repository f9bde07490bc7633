"""The file utilities that make and remove things: ls, cp, mv, rm, mkdir, rmdir, touch, ln.

Each test boots one machine and runs a batch of commands through its shell; stderr
goes to the console too, so messages appear in order with the output.
"""

from __future__ import annotations

import pytest

from tui.headless import run_command


def sh(cmd: str, stdin: bytes | None = None) -> str:
    return run_command(cmd, stdin=stdin)[0]


UTILITIES = ["ls", "cp", "mv", "rm", "mkdir", "rmdir", "touch", "ln"]


def test_help_and_bad_options() -> None:
    out = sh("; ".join(f"{u} --help >/dev/null; echo {u}=$?" for u in UTILITIES))
    assert out.split() == [f"{u}=0" for u in UTILITIES]
    out = sh("; ".join(f"{u} -Z; echo $?" for u in UTILITIES))
    for u in UTILITIES:
        assert f"{u}: invalid option -- 'Z'\nTry '{u} --help' for more information.\n" in out
    codes = [line for line in out.splitlines() if line.isdigit()]
    assert codes == ["2", "1", "1", "1", "1", "1", "1", "1"]


def test_ls_listing_formats() -> None:
    out = sh(
        "cd /tmp; mkdir d; echo hello > d/b; echo x > d/a; touch d/.hidden; mkdir d/sub; "
        "ln -s b d/link; "
        "ls d | cat; echo --; ls -a d | cat; echo --; ls -A d | cat; echo --; "
        "ls -1 d; echo --; ls -F d | cat; echo --; ls -r d | cat; echo --; ls -d d /etc; "
        "echo --; ls -l d"
    )
    parts = out.split("--\n")
    assert parts[0] == "a\nb\nlink\nsub\n"
    assert parts[1] == ".\n..\n.hidden\na\nb\nlink\nsub\n"
    assert parts[2] == ".hidden\na\nb\nlink\nsub\n"
    assert parts[3] == "a\nb\nlink\nsub\n"
    assert parts[4] == "a\nb\nlink@\nsub/\n"
    assert parts[5] == "sub\nlink\nb\na\n"
    assert parts[6] == "d\n/etc\n" or parts[6] == "/etc  d\n"
    lines = parts[7].splitlines()
    assert lines[0] == "total 6"  # 1 + 1 + 1 (the link) + 4 (the directory) 512-byte… in 1K
    assert lines[1].startswith("-rw-r--r-- 1 root root    2 Jan  1 00:00 a")
    assert lines[2].startswith("-rw-r--r-- 1 root root    6 ")
    assert lines[3].startswith("lrwxrwxrwx 1 root root    1 ") and lines[3].endswith("link -> b")
    assert lines[4].startswith("drwxr-xr-x 2 root root 4096 ") and lines[4].endswith(" sub")


def test_ls_sorting_and_sizes() -> None:
    out = sh(
        "cd /tmp; echo 1 > small; echo 123456789 > big; sleep 5; echo 12345 > mid; "
        "ls -S small big mid; echo --; ls -t small big mid; echo --; ls -tr small big mid; "
        "echo --; ls -Sr small big mid; echo --; yes 0123456789 | head -n 3000 > k; ls -lh k"
    )
    parts = out.split("--\n")
    assert parts[0].split() == ["big", "mid", "small"]
    assert parts[1].split() == ["mid", "big", "small"]
    assert parts[2].split() == ["small", "big", "mid"]
    assert parts[3].split() == ["small", "mid", "big"]
    assert " 33K " in parts[4]  # 33000 bytes, rounded up as GNU does


def test_ls_columns_on_a_terminal_and_recursion() -> None:
    out = sh("ls /dev")
    want = "blk0  console  fd  null  random  shm  stderr  stdin  stdout  tty  urandom  zero\n"
    assert out == want
    out = sh("cd /tmp; mkdir -p r/s/t; touch r/f r/s/g; ls -R r | cat")
    assert out == "r:\nf\ns\n\nr/s:\ng\nt\n\nr/s/t:\n"


def test_ls_long_devices_links_and_errors() -> None:
    out = sh("ls -l /dev/null /dev/stdin; ls /nope; echo $?; ls -ld /tmp; ls -n -d /home/alice")
    lines = out.splitlines()
    assert lines[0].startswith("crw-rw-rw- 1 root root 1, 3 ")
    assert lines[1].endswith("/dev/stdin -> /proc/self/fd/0")
    assert lines[2] == "ls: cannot access '/nope': No such file or directory"
    assert lines[3] == "2"
    assert lines[4].startswith("drwxrwxrwt ")
    assert lines[5].startswith("drwxr-xr-x 2 1000 1000 4096 ")


def test_cp_files_and_directories() -> None:
    out = sh(
        "cd /tmp; echo data > a; cp a b; cat b; mkdir d; cp a b d/; ls d | cat; "
        "cp d e; echo $?; cp -r d e; ls e | cat; cp -r d e; ls e | cat; ls e/d | cat; "
        "cp a a; cp nope x; cp a; cp; cp a b c; cp -r d d/in; echo st=$?; "
        "cp /bin/ls /tmp/myls; /tmp/myls -d /etc; chmod 640 a; cp a f; stat -c %A f"
    )
    assert out.startswith("data\na\nb\n")
    assert "cp: -r not specified; omitting directory 'd'\n1\n" in out
    assert "a\nb\nd\n" in out  # the second cp -r copied d into the existing e
    assert "cp: 'a' and 'a' are the same file\n" in out
    assert "cp: cannot stat 'nope': No such file or directory\n" in out
    assert "cp: missing destination file operand after 'a'\n" in out
    assert "cp: missing file operand\n" in out
    assert "cp: target 'c': No such file or directory\n" in out
    assert "cp: cannot copy a directory, 'd', into itself, 'd/in'\nst=1\n" in out
    assert out.endswith("/etc\n-rw-r-----\n")  # the copy runs; a new file keeps the mode


def test_cp_preserve_and_modes() -> None:
    out = sh(
        "cd /tmp; echo x > a; chmod 751 a; chown alice a; touch -d '2026-06-01 12:00' a; "
        "cp a plain; cp -p a kept; stat -c '%a %U %y' plain kept; "
        "mkdir -p t/u; echo y > t/u/f; ln -s f t/u/l; cp -a t t2; stat -c %A t2/u/f t2/u/l"
    )
    lines = out.splitlines()
    assert lines[0].startswith("751 root ") and "2026-06-01" not in lines[0]
    assert lines[1] == "751 alice 2026-06-01 12:00:00.000000000 +0000"
    assert lines[2:] == ["-rw-r--r--", "lrwxrwxrwx"]


def test_mv_rename_across_mounts_and_errors() -> None:
    out = sh(
        "cd /root; echo hi > a; mv a b; ls; mkdir d; mv b d; ls d; "
        "mv d /tmp/moved; ls /tmp/moved; ls /root; cat /tmp/moved/b; "
        "mkdir -p x/y; mv x x/y; mv nope z; echo st=$?; touch f; mkdir g; mv g f; mv f g; ls g"
    )
    assert out.startswith("b\nb\nb\n")
    assert "cat" not in out and "hi\n" in out
    assert "mv: cannot move 'x' to a subdirectory of itself, 'x/y/x'\n" in out
    assert "mv: cannot stat 'nope': No such file or directory\nst=1\n" in out
    assert "mv: cannot overwrite non-directory 'f' with directory 'g'\n" in out
    assert out.endswith("f\n")


def test_rm() -> None:
    out = sh(
        "cd /tmp; touch a b c; mkdir d e; touch e/f; rm a; rm nope; echo st=$?; rm -f nope; "
        "echo st=$?; rm d; echo st=$?; rm -d d; rm e; rm -r e; ls -1; rm -r /; echo st=$?; "
        "rm -rf .; rm; echo st=$?; rm -f; echo st=$?; touch v; rm -v v; ls -1"
    )
    assert "rm: cannot remove 'nope': No such file or directory\nst=1\nst=0\n" in out
    assert "rm: cannot remove 'd': Is a directory\nst=1\n" in out
    assert "rm: cannot remove 'e': Is a directory\nb\nc\n" in out
    assert (
        "rm: it is dangerous to operate recursively on '/'\n"
        "rm: use --no-preserve-root to override this failsafe\nst=1\n"
    ) in out
    assert "rm: refusing to remove '.' or '..' directory: skipping '.'\n" in out
    assert "rm: missing operand\nTry 'rm --help' for more information.\nst=1\nst=0\n" in out
    assert out.endswith("removed 'v'\nb\nc\n")


def test_rm_interactive_reads_answers_from_stdin() -> None:
    out = sh("cd /tmp; touch a b; echo y > ans; echo n >> ans; rm -i a b < ans; ls -1")
    assert "rm: remove regular empty file 'a'? rm: remove regular empty file 'b'? " in out
    assert out.endswith("ans\nb\n")


def test_mkdir_and_rmdir() -> None:
    out = sh(
        "cd /tmp; mkdir a; mkdir a; mkdir -p a/b/c; mkdir -p a/b/c; echo st=$?; "
        "mkdir -m 700 m; mkdir -m u=rwx,g=rx q; mkdir -m 4777 s; stat -c '%A %n' m q s; "
        "touch f; mkdir -p f/x; mkdir x/y; mkdir -pv n/o; mkdir -m zz w; mkdir; "
        "rmdir a; rmdir -p a/b/c; ls -d a; rmdir nope; rmdir f; rmdir -pv n/o"
    )
    assert out.startswith("mkdir: cannot create directory 'a': File exists\nst=0\n")
    assert "drwx------ m\ndrwxr-xrwx q\ndrwsrwxrwx s\n" in out
    assert "mkdir: cannot create directory 'f': Not a directory\n" in out
    assert "mkdir: cannot create directory 'x/y': No such file or directory\n" in out
    assert "mkdir: created directory 'n'\nmkdir: created directory 'n/o'\n" in out
    assert "mkdir: invalid mode 'zz'\n" in out
    assert "mkdir: missing operand\n" in out
    assert "rmdir: failed to remove 'a': Directory not empty\n" in out
    assert "ls: cannot access 'a': No such file or directory\n" in out
    assert "rmdir: failed to remove 'nope': No such file or directory\n" in out
    assert "rmdir: failed to remove 'f': Not a directory\n" in out
    assert out.endswith("rmdir: removing directory, 'n/o'\nrmdir: removing directory, 'n'\n")


def test_touch() -> None:
    out = sh(
        "cd /tmp; touch a; sleep 90; touch b; ls -1t; touch a; ls -1t; touch -c nope; ls -1; "
        "touch -d '2026-03-04 05:06:07' a; stat -c %y a; touch -t 202602030405.06 b; "
        "stat -c %y b; touch -r a c; stat -c %y c; touch -m -d '2026-05-01' c; "
        "stat -c '%x|%y' c; touch -d junk a; touch /nope/x; echo st=$?"
    )
    lines = out.splitlines()
    assert lines[:6] == ["b", "a", "a", "b", "a", "b"]
    assert lines[6] == "2026-03-04 05:06:07.000000000 +0000"
    assert lines[7] == "2026-02-03 04:05:06.000000000 +0000"
    assert lines[8] == lines[6]
    assert lines[9] == f"{lines[6]}|2026-05-01 00:00:00.000000000 +0000"
    assert lines[10] == "touch: invalid date format 'junk'"
    assert lines[11:] == ["touch: cannot touch '/nope/x': No such file or directory", "st=1"]


def test_ln() -> None:
    out = sh(
        "cd /tmp; echo hi > a; ln a b; stat -c '%h %i' a b; ln a b; "
        "ln -s a s; readlink s; ln -sf b s; readlink s; ln -s a s; ln nope z; mkdir d; "
        "ln a d; ls d; ln -sv /etc e; ln -f a a; ln -s x y z; cat e/hostname"
    )
    first, second = out.splitlines()[:2]
    assert first == second and first.startswith("2 ")
    assert "ln: failed to create hard link 'b': File exists\na\nb\n" in out
    assert "ln: failed to create symbolic link 's': File exists\n" in out
    assert "ln: failed to access 'nope': No such file or directory\n" in out
    assert "a\n'e' -> '/etc'\n" in out
    assert "ln: 'a' and 'a' are the same file\n" in out
    assert "ln: target 'z' is not a directory\n" in out
    assert out.endswith("libk\n")


@pytest.mark.parametrize("util", UTILITIES)
def test_man_page_exists(util: str) -> None:
    from pathlib import Path

    page = Path(__file__).parents[2] / "userland" / "man" / "man1" / f"{util}.1"
    text = page.read_text()
    assert text.startswith("NAME\n       " + util + " - ")
    assert all(len(line) <= 78 for line in text.splitlines())
