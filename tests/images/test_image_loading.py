"""kernel.image's loading: YAML syntax errors with either loader, the error object,
reading image files, and fuzzed images that never raise anything but ImageError."""

from __future__ import annotations

import os
import pickle
import random

import pytest
import yaml
from test_image import error, parse

from images import default_image_path
from kernel import image
from kernel.image import ImageError, InitSpec, load_image, parse_image

LIBYAML = image._Loader is not yaml.SafeLoader


@pytest.mark.skipif(not LIBYAML, reason="libyaml words its syntax errors differently")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: m\ncpus: [1, 2\n",
            "m.yaml:3:1: while parsing a flow sequence, did not find expected ',' or ']'",
        ),
        (
            "name: m\n\tcpus: 2\n",
            (
                "m.yaml:2:1: while scanning a plain scalar, found a tab character that violates"
                " indentation"
            ),
        ),
        ("name: m\ncpus: *nope\n", "m.yaml:2:7: found undefined alias"),
        (
            "name: m\n---\nname: n\n",
            "m.yaml:2:1: expected a single document in the stream, but found another document",
        ),
    ],
)
def test_syntax_errors_are_located(text: str, expected: str) -> None:
    assert error(text) == expected


@pytest.mark.parametrize("loader", [yaml.SafeLoader, image._Loader])
def test_syntax_errors_with_either_loader(loader, monkeypatch) -> None:
    monkeypatch.setattr(image, "_Loader", loader)
    assert error("name: m\ncpus: 2\n  bad: [\n").startswith("m.yaml:3:")
    assert (
        error("name: m\ncpus: 1\ncpus: 2\n")
        == "m.yaml:3:1: duplicate key 'cpus' (first defined at line 2)"
    )


def test_error_attributes_and_pickling() -> None:
    with pytest.raises(ImageError) as info:
        parse("name: m\ncpus: 100\n")
    e = info.value
    assert (e.path, e.line, e.col) == ("m.yaml", 2, 7)
    assert e.message == "cpus: must be between 1 and 64, got 100"
    assert str(pickle.loads(pickle.dumps(e))) == str(e)


def test_missing_file(tmp_path) -> None:
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(ImageError) as info:
        load_image(path)
    assert str(info.value) == f"{path}:1:1: No such file or directory"


def test_directory_and_bad_encoding(tmp_path) -> None:
    with pytest.raises(ImageError, match=r":1:1: Is a directory$"):
        load_image(str(tmp_path))
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"name: m\nhostname: \xff\n")
    with pytest.raises(ImageError) as info:
        load_image(str(bad))
    assert str(info.value) == f"{bad}:2:11: not valid UTF-8 (byte 0xff)"


def test_load_image_reads_file(tmp_path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("\ufeffname: disk\ncpus: 2\n", encoding="utf-8")
    info = load_image(str(path))
    assert (info.source, info.name, info.cpus) == (str(path), "disk", 2)


def test_control_characters_are_located() -> None:
    assert error("name: m\nhostname: é\x01\n").startswith("m.yaml:2:12: ")
    assert error("name: m\nhostname: \ud800\n").startswith("m.yaml:2:11: ")


# -- never a traceback -----------------------------------------------------------------

_PIECES = [
    "name: m\n",
    "name:",
    "cpus:",
    "memory:",
    "page_size:",
    "clock:",
    "costs:",
    "speed:",
    "mode:",
    "users:",
    "files:",
    "mounts:",
    "init:",
    "params:",
    "procfs:",
    "scheduler:",
    "quantum:",
    "owner:",
    "group:",
    "type:",
    "target:",
    "content:",
    "command:",
    "seed:",
    " - ",
    "  ",
    "\n",
    "\t",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "'",
    '"',
    "&a ",
    "*a",
    "!!int ",
    "!!binary ",
    "!!str ",
    "!!python/object:os.system ",
    "!x ",
    "<<: ",
    "? ",
    "|",
    ">",
    "#",
    "---\n",
    "...\n",
    "0755",
    "755",
    "64MiB",
    "10ms",
    "1e3",
    "-1",
    "~",
    "null",
    "yes",
    "true",
    ".inf",
    ".nan",
    "0x1f",
    "1:30",
    "/etc/motd",
    "/a/../b",
    "/proc/x",
    "alice",
    "root",
    "/bin/sh -l",
    "2001-12-14",
    "\x00",
    "é",
    "\ud800",
    "\ufeff",
    "%YAML 1.1\n",
    "limits:",
    "nofile:",
    "stack:",
    "unlimited",
    "[1, 2]",
    "vm:",
    "overcommit_memory:",
    "memory: 2MiB\n",
    "x" * 5000,
]


def _fuzz_cases(rng: random.Random) -> list[str]:
    cases: list[str] = []
    with open(default_image_path(), encoding="utf-8") as f:
        default = f.read()
    for _ in range(150):
        cases.append("".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 40))))
    for _ in range(100):
        cases.append(rng.randbytes(rng.randint(0, 200)).decode("latin-1"))
    for _ in range(150):  # the default image with a few characters swapped or cut
        chars = list(default)
        for _ in range(rng.randint(1, 6)):
            chars[rng.randrange(len(chars))] = rng.choice(_PIECES)
        cases.append("".join(chars)[: rng.randint(0, len(chars))])
    return cases


@pytest.mark.parametrize("loader", ["default", "pure-python"])
def test_fuzz_never_raises_anything_but_image_error(loader: str, monkeypatch) -> None:
    if loader == "pure-python":
        monkeypatch.setattr(image, "_Loader", yaml.SafeLoader)
    for case in _fuzz_cases(random.Random(1234)):
        try:
            parse_image(case, "fuzz.yaml")
        except ImageError as e:
            assert e.line >= 1 and e.col >= 1 and str(e).startswith("fuzz.yaml:")


def test_readme_example_is_a_valid_image() -> None:
    with open(os.path.join(os.path.dirname(default_image_path()), "README.md")) as f:
        readme = f.read()
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    info = parse(example)
    assert info.init == InitSpec(("/home/bob/run.sh",), "bob", "poweroff")
