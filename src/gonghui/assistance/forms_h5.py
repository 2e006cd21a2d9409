"""The member's hardship application form (H5)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.core.forms import YuanField
from gonghui.members.forms_h5 import H5Form

from .models import Category, Cause, HouseholdMember, Housing, WorkerType

HOUSEHOLD_ROWS = 6


def _choose(choices: Any) -> list[tuple[str, Any]]:
    """Choices behind an empty "please choose": nothing is preselected, so a required field left
    alone is refused instead of filed with its first choice."""
    return [("", _("Please choose")), *choices]


class ApplyForm(H5Form):
    category = forms.ChoiceField(label=_("Category"), choices=_choose(Category.choices))
    worker_type = forms.ChoiceField(label=_("Type"), choices=_choose(WorkerType.choices))
    main_cause = forms.ChoiceField(label=_("Main cause"), choices=_choose(Cause.choices))
    secondary_causes = forms.MultipleChoiceField(
        label=_("Secondary causes (at most three)"),
        choices=Cause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    applicant_income = YuanField(
        label=_("Your income over the last 12 months (yuan)"),
        required=True,
        help_text=_("Type 0 if you had none."),
    )
    other_income = YuanField(
        required=False,
        label=_("Other household income over the last 12 months (yuan)"),
        help_text=_("Pensions, allowances, rent and the like."),
    )
    housing = forms.ChoiceField(label=_("Housing"), choices=_choose(Housing.choices))
    housing_note = forms.CharField(label=_("Housing details"), max_length=200, required=False)
    health_note = forms.CharField(label=_("Health"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        causes = data.get("secondary_causes") or []
        if len(causes) > 3:
            self.add_error("secondary_causes", _("At most three secondary causes."))
        if data.get("main_cause") in causes:
            self.add_error("secondary_causes", _("A secondary cause cannot be the main cause."))
        return data


class HouseholdRowForm(H5Form):
    relation = forms.ChoiceField(
        label=_("Relation"),
        choices=[("", "—"), *HouseholdMember.Relation.choices],
        required=False,
    )
    name = forms.CharField(label=_("Full name"), max_length=60, required=False)
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    health = forms.ChoiceField(
        label=_("Health"), choices=[("", "—"), *HouseholdMember.Health.choices], required=False
    )
    income = YuanField(required=False, label=_("Income over the last 12 months (yuan)"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = data.get("name") or data.get("relation")
        if filled and not (data.get("name") and data.get("relation") and data.get("birth_date")):
            raise forms.ValidationError(
                _("A household member needs relation, name and birth date.")
            )
        return data


HouseholdFormSet = forms.formset_factory(
    HouseholdRowForm, extra=HOUSEHOLD_ROWS, max_num=HOUSEHOLD_ROWS
)
