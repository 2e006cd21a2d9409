"""``{{ amount_fen|fen }}`` → ¥123.45 (money is formatted only at the edges)."""

from __future__ import annotations

from typing import Any

from django import template

from gonghui.core.money import format_fen

register = template.Library()


@register.filter(name="fen")
def fen(value: Any) -> str:
    try:
        return format_fen(int(value))
    except (TypeError, ValueError):
        return ""
