"""The published test vectors (docs/code-protocol.md) against the server and the page's generator.

The vectors are parsed out of the doc, so the doc cannot drift from either side."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gonghui.codes import protocol

DOC = Path(__file__).resolve().parents[2] / "docs" / "code-protocol.md"
GENERATOR = Path(__file__).resolve().parents[2] / "src/gonghui/codes/static/codes/generator.js"


def vectors() -> list[dict]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- vectors:begin -->", 1)[1].split("<!-- vectors:end -->", 1)[0]
    rows = []
    for line in block.splitlines():
        m = re.match(
            r"^\|\s*`([0-9a-f]{64})`\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*`(\d{20})`\s*\|$",
            line.strip(),
        )
        if m:
            rows.append(
                {"seed": m[1], "id": int(m[2]), "step": int(m[3]), "seq": int(m[4]), "code": m[5]}
            )
    return rows


def test_doc_has_vectors():
    assert len(vectors()) >= 8


@pytest.mark.parametrize("v", vectors(), ids=lambda v: v["code"])
def test_server_matches_vectors(v):
    seed = bytes.fromhex(v["seed"])
    assert (
        protocol.encode(seed=seed, credential_id=v["id"], step=v["step"], seq=v["seq"]) == v["code"]
    )
    d = protocol.decode(v["code"])
    assert d.credential_id == v["id"] and d.seq == v["seq"]
    step = protocol.full_step(step_low=d.step_low, server_step=v["step"])
    assert protocol.mac_valid(seed=seed, credential_id=v["id"], step=step, seq=v["seq"], mac=d.mac)


@pytest.mark.browser
@pytest.mark.django_db
def test_page_generator_matches_vectors(page, live_server):
    """The page's own generator.js, in Debian's Chromium (a secure context: localhost)."""
    page.goto(f"{live_server.url}/api/v1/health")
    # The file as the site serves it (an inline copy would be blocked by the CSP, rightly).
    page.add_script_tag(url=f"{live_server.url}/static/codes/generator.js")
    served = page.evaluate("fetch('/static/codes/generator.js').then(r => r.text())")
    assert served == GENERATOR.read_text(encoding="utf-8")
    rows = vectors()
    got = page.evaluate(
        """async (rows) => {
            const out = [];
            for (const v of rows) { out.push(await window.GonghuiCode.codeFor(v.seed, v.id, v.step, v.seq)); }
            return out;
        }""",
        rows,
    )
    assert got == [v["code"] for v in rows]
    # The non-extractable key path (what the page stores) gives the same codes.
    got_key = page.evaluate(
        """async (v) => {
            const key = await window.GonghuiCode.importSeed(v.seed, false);
            return [await window.GonghuiCode.codeFor(key, v.id, v.step, v.seq), key.extractable];
        }""",
        rows[0],
    )
    assert got_key == [rows[0]["code"], False]
