"""``{% load h5_icons %}``: ``{% h5_icon "qr-code" %}`` inlines a Lucide SVG from the vendor
folder (``scripts/build-assets.sh`` copies them from the ``lucide-static`` npm package), so the
icon takes the text colour (``stroke="currentColor"``); CSP needs no exception for inline SVG."""

from __future__ import annotations

import functools
import re

from django import template
from django.contrib.staticfiles import finders
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_NAME = re.compile(r"^[a-z0-9-]+$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def icon_path(name: str) -> str | None:
    """The file of icon ``name`` found by the static finders, or None."""
    if not _NAME.match(name):
        return None
    found = finders.find(f"vendor/icons/{name}.svg")
    return found if isinstance(found, str) else None


@functools.lru_cache(maxsize=64)
def _svg(name: str) -> str:
    path = icon_path(name)
    if path is None:
        return ""
    with open(path, encoding="utf-8") as f:
        svg = _COMMENT.sub("", f.read()).strip()
    return svg.replace("<svg", '<svg aria-hidden="true" focusable="false"', 1)


@register.simple_tag
def h5_icon(name: str) -> SafeString:
    # The file is our own build output (a pinned npm package), never user input.
    return mark_safe(_svg(name))  # noqa: S308
