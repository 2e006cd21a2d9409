"""The README shows the screenshots that `make screenshots` writes (issue #12): every picture it
names is committed, is a PNG, and the make target runs the script that writes them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {"h5-home", "h5-code", "h5-hardship-form", "pos", "console"}


def test_readme_pictures_exist_and_are_png():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"\]\((docs/screenshots/[^)]+\.png)\)", readme)
    assert {Path(n).stem for n in named} == EXPECTED
    for name in named:
        with open(ROOT / name, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", name


def test_make_target_and_script_agree():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^screenshots:.*\n\t.*scripts/screenshots\.py", makefile, re.M)
    script = (ROOT / "scripts" / "screenshots.py").read_text(encoding="utf-8")
    assert {m for m in re.findall(r'save\(\w+, "([a-z0-9-]+)"', script)} == EXPECTED
