"""``more`` (the pager) and ``man``'s line length and pager, on the machine's console."""

from __future__ import annotations

from kernel.abi import ECHO, ICANON, ISIG, O_RDWR, TCGETS
from kernel.boot import boot, load, with_init
from kernel.exec import find_program, register_program
from kernel.host import HostClient
from kernel.kernel import HALTED, IDLE
from userland.bin import more
from userland.bin.man import layout

if find_program("more") is None:  # until pyproject.toml lists it as an entry point
    register_program("more", more.main)

COOKED = ICANON | ECHO | ISIG


def console(script: str, keys: list[bytes] = ()) -> tuple[str, int]:  # type: ignore[assignment]
    """Run ``sh -c script`` on the console, typing each key whenever the machine waits
    for input; the output (CRLF as LF) and the console's lflag at the end."""
    k = boot(with_init(load(None), ["/bin/sh", "-c", script]))
    out = bytearray()
    pending = list(keys)
    for _ in range(5_000):
        state = k.run(budget=5_000)
        out += k.console.drain()
        if state == HALTED:
            break
        if state == IDLE:
            if pending:
                k.console.feed(pending.pop(0))
            else:
                k.console.hangup()
    else:
        raise AssertionError("machine did not halt: " + out.decode(errors="replace"))
    host = HostClient(k)
    fd = host.open("/dev/console", O_RDWR)
    try:
        lflag = host.ioctl(fd, TCGETS).lflag
    finally:
        host.close(fd)
    assert not pending, f"keys left over: {pending}"
    return out.decode(errors="replace").replace("\r\n", "\n"), lflag


def test_more_pages_a_pipe_and_takes_its_keys_from_the_terminal() -> None:
    out, lflag = console(
        "seq 1 60 | more; echo rc=$?", [b"\r", b" ", b"b", b"/^4", b"\r", b"x", b"q"]
    )
    lines = out.split("\n")
    # 24 rows: 23 lines, then the prompt; the bottom line 23 is 60 of the 171 bytes.
    assert lines[:23] == [str(n) for n in range(1, 24)]
    assert lines[23].startswith("\x1b[7m--More--(35%)\x1b[0m\r\x1b[K24")  # Enter: one line
    assert "--More--(36%)" in out  # ...then space: a page
    assert "...back 1 page\n3\n4\n" in out  # b: back to the page before
    assert "...skipping\n38\n39\n40\n" in out  # /^4: two lines above the match
    assert "[Press 'h' for instructions.]" in out  # an unknown key
    assert out.endswith("\x1b[K\nrc=0\n") or out.endswith("\x1b[Krc=0\n")
    assert "\n60\n" not in out  # q quit before the end
    assert lflag & COOKED == COOKED  # the terminal's modes are back


def test_more_is_cat_when_output_is_not_a_terminal() -> None:
    out, _ = console(
        "cd /tmp; seq 1 3 > a; echo x > b; seq 1 50 | more | wc -l; more a | cat; "
        "more a b | cat; more nofile; echo rc=$?; more; echo rc=$?"
    )
    assert out.startswith("50\n1\n2\n3\n::::::::::::::\na\n::::::::::::::\n1\n2\n3\n")
    assert "::::::::::::::\nb\n::::::::::::::\nx\n" in out
    assert "more: cannot open nofile: No such file or directory\nrc=1\n" in out
    assert out.endswith("more: bad usage\nTry 'more --help' for more information.\nrc=1\n")


def test_man_lays_pages_out_for_the_width() -> None:
    out, _ = console(
        "man ls | head -1; echo @@; MANWIDTH=50 man ls | cat; echo @@; "
        "COLUMNS=70 man ls | head -1; stty cols 60; PAGER=cat man ls | head -1; echo @@; "
        "PAGER=cat man ls"
    )
    first, narrow, rest, paged = out.split("@@\n")
    header80 = first.split("\n")[0]
    assert len(header80) == 80 and header80.startswith("LS(1)") and header80.endswith("LS(1)")
    assert max(len(line) for line in narrow.split("\n")) <= 50
    assert narrow.split("\n")[0] == "LS(1)" + " " * 14 + "libk Manual" + " " * 15 + "LS(1)"
    assert len(rest.split("\n")[0]) == 70
    assert len(rest.split("\n")[1]) == 80  # a pipe: 80, whatever the terminal says
    assert len(paged.split("\n")[0]) == 60  # a terminal: its width
    assert "\x1b[1mDESCRIPTION\x1b[0m" in paged
    plain = paged.replace("\x1b[1m", "").replace("\x1b[0m", "")
    assert max(len(line) for line in plain.split("\n")) <= 60


def test_man_on_a_terminal_goes_through_more() -> None:
    out, lflag = console("stty rows 10; man ls; echo rc=$?", [b" ", b"q"])
    assert out.count("--More--(") == 2
    assert "ls - list directory contents" in out
    assert "SEE ALSO" not in out  # quit before the end
    assert out.endswith("rc=0\n")
    assert lflag & COOKED == COOKED


def test_layout_refills_paragraphs_and_keeps_tables_and_synopsis() -> None:
    page = (
        "NAME\n       x - a long enough description of a program that wraps around\n\n"
        "SYNOPSIS\n       x [-a] [-b] [--long-option-name] FILE...\n\n"
        "DESCRIPTION\n"
        "       One paragraph that the author filled to about seventy-six columns,\n"
        "       then went on to the next line.\n\n"
        "       -a, --all   do it all, every single time that it can be done at\n"
        "                   all\n"
        "       $ x -a\n"
        "       done\n"
    )
    got = layout(page, 42).split("\n")  # 40 columns and a margin of 2
    assert got[1:3] == [
        "       x - a long enough description of",
        "       a program that wraps around",
    ]
    assert got[5:7] == ["       x [-a] [-b] [--long-option-name]", "       FILE..."]  # folded
    assert got[got.index("DESCRIPTION") + 1 :] == [
        "       One paragraph that the author",
        "       filled to about seventy-six",
        "       columns, then went on to the next",
        "       line.",
        "",
        "       -a, --all   do it all, every",
        "                   single time that it",
        "                   can be done at all",
        "       $ x -a",
        "       done",
    ]
    narrow = layout(page, 30).split("\n")  # the option's column would be too narrow
    assert narrow[narrow.index("       -a, --all") + 1] == "           do it all, every"
