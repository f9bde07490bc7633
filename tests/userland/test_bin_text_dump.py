"""od and hexdump: compared with the host's GNU od and util-linux hexdump."""

from __future__ import annotations

from test_bin_text_helpers import compare, help_and_bad_option

FILES = {
    "h": b"hello world\n\x00\x01\x7f\xff",
    "zeros": b"0" * 40 + b"tail",
    "odd": b"abc",
    "all": bytes(range(256)),
    "empty": b"",
}


def test_help_and_bad_option() -> None:
    help_and_bad_option("od")


def test_od() -> None:
    compare(
        [
            "od h",
            "od -c h",
            "od -b h",
            "od -d h",
            "od -x h",
            "od -t x1 -A d h",
            "od -t x1 -t c h",
            "od -t a all",
            "od -c all",
            "od -t d2 h",
            "od -t o4 -t x1 h",
            "od -t u8 all",
            "od -t d1 -A x all",
            "od -A n -t x1 h",
            "od zeros",
            "od -v zeros",
            "od odd",
            "od -t x2 odd",
            "od -j 3 -N 5 -c h",
            "od empty",
            "od h odd",
            "od < h",
            "od nope h",
            "od -t q h",
            "od -A z h",
        ],
        FILES,
    )


def test_hexdump() -> None:
    compare(
        [
            "hexdump h",
            "hexdump -C h",
            "hexdump -C all",
            "hexdump zeros",
            "hexdump -C zeros",
            "hexdump -Cv zeros",
            "hexdump odd",
            "hexdump -C odd",
            "hexdump -C -s 4 -n 6 h",
            "hexdump empty",
            "hexdump -C empty",
            "hexdump -C < h",
            "hexdump -C h odd",
        ],
        FILES,
    )
