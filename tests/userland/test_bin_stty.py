"""stty: GNU's reports of the console's settings and window size, and changing them."""

from __future__ import annotations

from tui.headless import run_command

ALL = (
    "speed 38400 baud; rows {rows}; columns {cols}; line = 0;\n"
    "intr = ^C; quit = ^\\; erase = ^?; kill = ^U; eof = ^D; susp = ^Z; werase = ^W;\n"
    "icrnl\n"
    "opost onlcr\n"
    "isig icanon iexten {echo} echoe echok echoctl\n"
)


def test_size_all_and_changes() -> None:
    out, status = run_command(
        "stty sane; stty size; stty; stty -a; stty cols 100 rows 30 -echo intr ^X; stty -a; "
        "stty size; stty raw; stty; stty -raw intr undef; stty; stty sane; stty speed"
    )
    assert status == 0
    assert out == (
        "24 80\n"
        "speed 38400 baud; line = 0;\n"
        + ALL.format(rows=24, cols=80, echo="echo")
        + ALL.format(rows=30, cols=100, echo="-echo").replace("intr = ^C", "intr = ^X")
        + "30 100\n"
        "speed 38400 baud; line = 0;\n"
        "intr = ^X;\n-icrnl\n-opost\n-isig -icanon -echo\n"
        "speed 38400 baud; line = 0;\n"
        "intr = <undef>;\n-echo\n"
        "38400\n"
    )


def test_errors() -> None:
    out, _ = run_command(
        "stty bogus; echo st=$?; stty rows x; echo st=$?; stty cols; echo st=$?; "
        "stty -a -echo; echo st=$?; stty size < /dev/null; echo st=$?; "
        "stty -F /nope; echo st=$?; stty --help | head -1"
    )
    hint = "Try 'stty --help' for more information.\n"
    assert out == (
        f"stty: invalid argument 'bogus'\n{hint}st=1\n"
        f"stty: invalid integer argument: 'x'\n{hint}st=1\n"
        f"stty: missing argument to 'cols'\n{hint}st=1\n"
        "stty: the options for verbose and stty-readable output styles are\n"
        f"mutually exclusive\n{hint}st=1\n"
        "stty: 'standard input': Inappropriate ioctl for device\nst=1\n"
        "stty: '/nope': No such file or directory\nst=1\n"
        "Usage: stty [-F DEVICE | --file=DEVICE] [SETTING]...\n"
    )


def test_ls_follows_the_size_stty_sets() -> None:
    out, _ = run_command(
        "mkdir /tmp/d; cd /tmp/d; touch aaaaaaaaaa bbbbbbbbbb cccccccccc; stty cols 20; ls -C"
    )
    assert out == "aaaaaaaaaa\nbbbbbbbbbb\ncccccccccc\n"
