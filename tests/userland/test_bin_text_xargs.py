"""xargs: compared with the host's GNU xargs on the same input."""

from __future__ import annotations

from test_bin_text_helpers import compare, help_and_bad_option

FILES = {
    "words": b"a b  c\nd 'e f' \"g h\" i\\ j\n\nk\n",
    "nul": b"one\x00two words\x00three\x00",
    "lines": b"  first line\nsecond\n",
    "empty": b"",
    "quote": b"it's\n",
}


def test_help_and_bad_option() -> None:
    help_and_bad_option("xargs")


def test_xargs() -> None:
    compare(
        [
            "xargs < words",
            "xargs echo x < words",
            "xargs -n 2 < words",
            "xargs -n 1 echo item < words",
            "xargs -0 < nul",
            "xargs -0 -n 1 < nul",
            "xargs -d , < words",
            "xargs -I {} echo '<{}>' < lines",
            "xargs -I X echo X-X < lines",
            "xargs < empty",
            "xargs -r echo nothing < empty",
            "xargs -t echo < lines",
            "xargs false < lines",
            "xargs nope-command < lines",
            "xargs sh -c 'exit 255' < lines",
            "xargs sh -c 'kill -9 $$' < lines",
            "xargs < quote",
            "xargs -n 0 < words",
            "xargs cat < empty",
        ],
        FILES,
    )
