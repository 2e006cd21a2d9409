"""Forms of the member H5 and the console: validate and normalise; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.core.forms import YuanField

from .models import BenefitCategory, RejectReason


class ClaimForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Benefit category"), queryset=BenefitCategory.objects.none(), empty_label=None
    )
    hospital = forms.CharField(label=_("Hospital"), max_length=120)
    invoice_no = forms.CharField(label=_("Invoice number"), max_length=40)
    invoice_date = forms.DateField(
        label=_("Invoice date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    amount = YuanField(
        label=_("Eligible amount (yuan)"),
        positive=True,
        help_text=_("The amount the plan may reimburse, as on the settlement sheet."),
    )

    def __init__(self, *args: Any, categories: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if categories is not None:
            self.fields["category"].queryset = categories  # type: ignore[attr-defined]
        for field in self.fields.values():
            css = "h5-select" if isinstance(field, forms.ModelChoiceField) else "h5-input"
            field.widget.attrs.setdefault("class", css)


class RejectForm(forms.Form):
    # No reason is preselected: a reviewer who clicks through must choose one (the empty choice
    # fails "required").
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Choose a reason")), *RejectReason.choices]
    )
    text = forms.CharField(label=_("Details"), max_length=300, required=False)
