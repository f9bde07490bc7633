"""The console pane's terminal emulator (tui/term.py), without Textual."""

from __future__ import annotations

from tui.term import PLAIN, Terminal, spans


def test_text_cr_lf_backspace_and_tab() -> None:
    t = Terminal(20, 5)
    t.feed(b"hello\r\nab\bX\tY\r\nabc\rZ")
    assert t.text_lines()[:3] == ["hello", "aX      Y", "Zbc"]
    assert (t.cursor_row, t.cursor_col) == (2, 1)


def test_long_lines_wrap_and_scroll_into_bounded_scrollback() -> None:
    t = Terminal(4, 2, scrollback=3)
    t.feed(b"abcdefgh\r\n")
    assert t.text_lines() == ["abcd", "efgh", ""]
    t.feed(b"1\r\n2\r\n3\r\n4\r\n5")
    assert len(t.scrollback) == 3  # bounded
    assert t.text_lines(scrollback=False) == ["4", "5"]


def test_sgr_colours_and_attributes() -> None:
    t = Terminal(20, 2)
    t.feed(b"\x1b[1;31mred\x1b[0m \x1b[38;5;200mx\x1b[48;2;1;2;3my\x1b[7mz\x1b[m.")
    runs = spans(t.screen[0])
    assert runs[0][0] == "red" and runs[0][1].fg == 1 and runs[0][1].bold
    assert runs[1] == (" ", PLAIN)
    assert runs[2][1].fg == 200
    assert runs[3][1].bg == (1, 2, 3) and runs[3][1].fg == 200
    assert runs[4][1].reverse
    assert runs[5][0].startswith(".") and runs[5][1] == PLAIN


def test_clear_screen_and_home_as_clear_prints_it() -> None:
    t = Terminal(10, 3)
    t.feed(b"one\r\ntwo\r\n\x1b[H\x1b[2Jtop")
    assert t.text_lines(scrollback=False) == ["top", "", ""]
    t.feed(b"\x1b[3J")
    assert not t.scrollback


def test_cursor_positioning_and_erase_line_like_top() -> None:
    t = Terminal(10, 4)
    t.feed(b"xxxxxxxxxx\r\nyyyyyyyyyy")
    t.feed(b"\x1b[1;3HAB\x1b[K\x1b[2;5H\x1b[1K\x1b[4;1Hbottom\x1b[2A!")
    assert t.text_lines(scrollback=False) == ["xxAB", "     y!yyy", "", "bottom"]


def test_insert_delete_lines_and_chars_and_scroll_region() -> None:
    t = Terminal(5, 4)
    t.feed(b"a\r\nb\r\nc\r\nd\x1b[2;1H\x1b[L")
    assert t.text_lines(scrollback=False) == ["a", "", "b", "c"]
    t.feed(b"\x1b[M\x1b[1;1H\x1b[2@\x1b[P")
    assert t.text_lines(scrollback=False) == [" a", "b", "c", ""]
    t.feed(b"\x1b[2;3r\x1b[3;1H\n\n")  # scrolling inside rows 2..3 only
    assert t.text_lines(scrollback=False) == [" a", "", "", ""]
    assert not t.scrollback  # a region scroll keeps nothing


def test_alternate_screen_restores_the_main_one() -> None:
    t = Terminal(10, 3)
    t.feed(b"$ top\r\n")
    t.feed(b"\x1b[?1049h\x1b[?25l\x1b[Hfull screen")
    assert t.alternate and not t.cursor_visible
    assert t.text_lines(scrollback=False)[0] == "full scree"
    t.feed(b"\x1b[?1049l\x1b[?25h")
    assert t.text_lines(scrollback=False)[0] == "$ top"
    assert (t.cursor_row, t.cursor_col) == (1, 0)


def test_utf8_split_across_feeds_and_osc_ignored() -> None:
    t = Terminal(10, 2)
    data = "é→".encode()
    t.feed(data[:1])
    t.feed(data[1:] + b"\x1b]0;title\x07!")
    assert t.text_lines()[0] == "é→!"


def test_resize_keeps_the_cursor_line_and_moves_lines_to_scrollback() -> None:
    t = Terminal(10, 4)
    t.feed(b"1\r\n2\r\n3\r\n4")
    t.resize(8, 2)
    assert t.text_lines(scrollback=False) == ["3", "4"]
    assert (t.cursor_row, t.cursor_col) == (1, 1)
    t.resize(8, 4)
    assert t.text_lines(scrollback=False) == ["1", "2", "3", "4"]
    v = t.version
    t.resize(8, 4)
    assert t.version == v


def test_save_restore_cursor_and_cursor_line_text() -> None:
    t = Terminal(20, 3)
    t.feed(b"root@libk:~# \x1b7abc\x1b8X")
    assert t.text_lines()[0] == "root@libk:~# Xbc"
    assert t.cursor_line_text() == "root@libk:~# X"


def test_narrowing_and_widening_keeps_every_column() -> None:
    t = Terminal(20, 4)
    t.feed(b"0123456789abcdefghij\r\nshort\r\n$ ")
    t.resize(8, 4)
    assert t.text_lines(scrollback=False)[:2] == ["01234567", "short"]  # cut at the edge
    t.feed(b"ls\r\nout\r\n$ ")  # output at the narrow width
    t.resize(8, 2)  # shorter too: the top lines go to the scrollback, whole
    assert t.text_lines(scrollback=False) == ["out", "$"]
    assert (t.cursor_row, t.cursor_col) == (1, 2)
    t.resize(20, 6)
    assert t.text_lines(scrollback=False) == [
        "0123456789abcdefghij",
        "short",
        "$ ls",
        "out",
        "$",
        "",
    ]
    assert (t.cursor_row, t.cursor_col) == (4, 2)
    t.feed(b"\x1b[1;5H\x1b[K")  # erasing a line erases its hidden part too
    t.resize(4, 6)
    t.resize(20, 6)
    assert t.text_lines(scrollback=False)[0] == "0123"


def test_resize_under_the_alternate_screen_keeps_the_main_one() -> None:
    t = Terminal(20, 6)
    t.feed(b"a\r\nb\r\nc\r\nd\r\n$ top\r\n")
    t.feed(b"\x1b[?1049h\x1b[Hfull screen")
    t.resize(10, 3)  # the main screen's top lines go to the scrollback, not away
    t.resize(20, 6)
    t.feed(b"\x1b[?1049l")
    assert t.text_lines() == ["a", "b", "c", "d", "$ top", ""]
    assert (t.cursor_row, t.cursor_col) == (5, 0)
