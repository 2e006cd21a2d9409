"""What the page walk looks for in a page, as plain functions over its HTML.

Rules (kept narrow so that a finding is a real defect, not noise):

- **codes**: a registered ``app.kind`` code (service-event kinds, ledger kinds, audit actions, code
  contexts, and the values of those columns in the loaded demo) or an ``app.model:pk`` object
  reference, as a whole token of the visible text;
- **msgids**: a visible text node (whitespace collapsed) that *equals* a msgid of our zh-hans
  catalogs whose msgstr is different, when the msgid has at least two ASCII letters and more than
  three characters (so ``OK``, ``ID`` or a bare number never count);
- **attribute labels**: a column header (``<th>``) or form label (``<label>``, the admin's
  read-only field label) that equals ``capfirst(name.replace("_", " "))`` of a field or
  ``list_display`` attribute of our models: the label Django makes up when no ``verbose_name``
  was given (``Pk``, ``Source type``, ``Waitlist counter``).

Visible text: the text nodes of the page outside ``<script>``, ``<style>``, ``<template>`` and
``<noscript>``; attribute values are never text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

SKIP = {"script", "style", "template", "noscript", "title"}
LABEL_TAGS = {"th", "label"}
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


@dataclass
class Text:
    nodes: list[str] = field(default_factory=list)  # every visible text node, collapsed
    labels: list[str] = field(default_factory=list)  # the text of each <th>/<label>/…

    @property
    def joined(self) -> str:
        return "\n".join(self.nodes)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Text()
        self.skip = 0
        self.label_depth = 0
        self.label_buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        if tag in SKIP:
            self.skip += 1
        classes = (dict(attrs).get("class") or "").split()
        if tag in LABEL_TAGS or (tag == "div" and "readonly-label" in classes):
            if self.label_depth == 0:
                self.label_buf = []
            self.label_depth += 1
        elif self.label_depth:
            self.label_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if tag in SKIP and self.skip:
            self.skip -= 1
        if self.label_depth:
            self.label_depth -= 1
            if self.label_depth == 0:
                text = collapse(" ".join(self.label_buf)).rstrip(":：").strip()
                if text:
                    self.out.labels.append(text)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        text = collapse(data)
        if text:
            self.out.nodes.append(text)
            if self.label_depth:
                self.label_buf.append(text)


def collapse(text: str) -> str:
    return " ".join(text.split())


def visible(html: str) -> Text:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return parser.out


# ---------------------------------------------------------------- codes

OBJECT_REF = re.compile(r"(?<![\w./])[a-z_]+\.[a-z_]+:\d+\b")


def code_finder(codes: Iterable[str]):
    """A function text -> the codes it shows, each as a whole token."""
    codes = sorted({c for c in codes if c}, key=len, reverse=True)
    if not codes:
        return lambda text: []
    pattern = re.compile(
        r"(?<![\w./:-])(" + "|".join(re.escape(c) for c in codes) + r")(?![\w/:-]|\.\w)"
    )

    def find(text: str) -> list[str]:
        found = pattern.findall(text) + OBJECT_REF.findall(text)
        return sorted(set(found))

    return find


# ---------------------------------------------------------------- msgids


def parse_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file (singular entries; plural and context entries skipped)."""
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    ctx = plural = False

    def flush() -> None:
        if msgid is not None and msgstr is not None and not ctx and not plural:
            key = "".join(msgid)
            if key:
                entries[key] = "".join(msgstr)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~"):
            continue
        if line.startswith("msgctxt"):
            flush()
            msgid = msgstr = None
            ctx, plural = True, False
            current = None
        elif line.startswith("msgid_plural"):
            plural = True
            current = None
        elif line.startswith("msgid "):
            if msgid is not None and msgstr is not None:
                flush()
                ctx = False
            plural = False
            msgid, msgstr = [_unquote(line[6:])], None
            current = msgid
        elif line.startswith("msgstr"):
            if line.startswith("msgstr["):
                current = None
                continue
            msgstr = [_unquote(line[6:].lstrip())]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(_unquote(line))
    flush()
    return entries


def _unquote(s: str) -> str:
    s = s.strip()
    if s.startswith('"') and s.endswith('"'):
        s = s[1:-1]
    return s.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")


def untranslated_ids(po_files: Iterable[Path]) -> set[str]:
    """The msgids that must never be seen verbatim: their zh-hans text differs."""
    ids: set[str] = set()
    for path in po_files:
        for msgid, msgstr in parse_po(path).items():
            text = collapse(msgid)
            if (
                msgstr
                and collapse(msgstr) != text
                and len(text) > 3
                and len(re.findall(r"[A-Za-z]", text)) >= 2
                and "%(" not in text
                and "{" not in text
            ):
                ids.add(text)
    return ids
