"""Form fields every app shares. Money is entered in yuan and kept as integer fen.

``YuanField`` is the one amount-in-yuan input of the H5 pages and the console: "1200.50",
"1,200.5", "¥1200" clean to ``120050`` (``core.money.parse_yuan``: at most two decimals); anything
else is refused with one message. Negative amounts are always refused; ``positive=True`` refuses
zero too. An optional field (``required=False``) left empty cleans to ``empty_fen`` (0 unless told).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .money import parse_yuan


class YuanField(forms.CharField):
    """An amount in yuan (up to two decimals), cleaned to integer fen."""

    default_error_messages = {
        "invalid": _("Enter an amount in yuan, e.g. 1200.50."),
        "negative": _("The amount cannot be negative."),
        "not_positive": _("The amount must be more than zero."),
    }

    def __init__(
        self,
        *,
        positive: bool = False,
        empty_fen: int | None = 0,
        max_length: int | None = 16,
        **kwargs: Any,
    ) -> None:
        self.positive = positive
        self.empty_fen = empty_fen
        super().__init__(max_length=max_length, **kwargs)

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().clean(value)  # required, max_length: on the text as typed
        if not text:
            return self.empty_fen
        try:
            fen = parse_yuan(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if fen < 0:
            raise forms.ValidationError(self.error_messages["negative"], code="negative")
        if self.positive and fen == 0:
            raise forms.ValidationError(self.error_messages["not_positive"], code="not_positive")
        return fen
