"""Forms of the member H5 pages (/m/). They validate and normalise; services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gonghui.core.identifiers import (
    IdNumber,
    InvalidIdentifier,
    is_ascii_digits,
    normalize_digits,
    normalize_phone,
    parse_id_number,
)
from gonghui.core.timeutil import local_today

from .models import ADDRESS_MAX_LENGTH, EmploymentType, GigTrade

# The reasons of core.identifiers, translated at the edge (same English text as the msgids).
IDENTIFIER_MESSAGES = {
    "id_length": _("An ID number has 18 characters."),
    "id_chars": _("An ID number is 17 digits followed by a digit or X."),
    "id_region": _("An ID number cannot start with 0."),
    "id_birth_date": _("The birth date in the ID number is not a real, past date."),
    "id_check": _("The check character of the ID number is wrong. Please check each digit."),
    "phone_format": _("This is not a phone number."),
    "phone_invalid": _("This is not a valid mainland China phone number."),
    "phone_not_mobile": _("A mobile number is needed to receive SMS codes."),
}


def identifier_message(exc: InvalidIdentifier) -> Any:
    return IDENTIFIER_MESSAGES.get(exc.code, exc.reason)


class H5Form(forms.Form):
    """Big inputs for thumbs: every widget gets the H5 input class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "h5-input"
            if isinstance(field.widget, forms.Select):
                css = "h5-select"
            elif isinstance(field.widget, (forms.CheckboxInput, forms.RadioSelect)):
                # checkboxes, radio buttons and groups of either (CheckboxSelectMultiple)
                css = "h5-check"
            field.widget.attrs.setdefault("class", css)


class PhoneField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Mobile phone"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "inputmode": "tel",
                    "autocomplete": "tel",
                    "placeholder": _("11-digit mobile number"),
                }
            ),
        )
        kwargs.setdefault("error_messages", {"required": _("Please enter your mobile number.")})
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        try:
            return normalize_phone(value)
        except InvalidIdentifier as exc:
            raise forms.ValidationError(identifier_message(exc), code=exc.code) from None


class PhoneForm(H5Form):
    """Asking for a code: the phone alone."""

    phone = PhoneField()


class PhoneCodeForm(H5Form):
    """Signing in or proving a phone: phone and the six-digit code from the SMS."""

    phone = PhoneField()
    code = forms.CharField(
        label=_("SMS code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "placeholder": _("6 digits"),
            }
        ),
        error_messages={
            "required": _("Please enter the code from the SMS."),
            "max_length": _("The code has 6 digits."),
        },
    )

    def clean_code(self) -> str:
        # Full-width digits and spaces typed by an input method count as the digits they show.
        code = normalize_digits(self.cleaned_data["code"])
        if len(code) != 6 or not is_ascii_digits(code):
            raise forms.ValidationError(_("The code has 6 digits."), code="code_format")
        return code


class PhoneChangeForm(PhoneCodeForm):
    """The profile page: a new mobile phone and the code sent to it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].label = _("New mobile phone")
        self.fields["phone"].error_messages["required"] = _("Please enter your new mobile number.")


class AddressForm(H5Form):
    """The profile page: the member's home address (optional; empty clears it)."""

    address = forms.CharField(
        label=_("Home address"),
        max_length=ADDRESS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "autocomplete": "street-address",
                "placeholder": _("e.g. No. 8 Jidian Road, Yucheng Street, Yuhuan"),
            }
        ),
        help_text=_("Optional. Used by your union to reach you; stored encrypted."),
        error_messages={
            "max_length": _("An address has at most %(limit_value)d characters."),
        },
    )


class PersonForm(H5Form):
    """Step 2 of joining: who you are and how you work."""

    name = forms.CharField(
        label=_("Full name"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Please enter your name as on your ID card.")},
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        help_text=_("18 characters; residence-permit numbers (81, 82, 83) are accepted."),
        error_messages={"required": _("Please enter your ID number.")},
    )
    employment_type = forms.ChoiceField(
        label=_("Employment type"),
        choices=EmploymentType.choices,
        initial=EmploymentType.EMPLOYEE,
        error_messages={"invalid_choice": _("Please choose your employment type.")},
    )
    gig_trade = forms.ChoiceField(
        label=_("Trade"),
        choices=[("", _("Choose your trade"))] + [(v, label) for v, label in GigTrade.choices if v],
        required=False,
        help_text=_("For riders, couriers, drivers and other gig workers."),
        error_messages={"invalid_choice": _("Please choose your trade.")},
    )
    consent = forms.BooleanField(
        label=_(
            "I have read the privacy notice and agree that the union processes my ID number and "
            "mobile phone number to handle my membership."
        ),
        error_messages={
            "required": _("Please read the privacy notice and agree before you continue.")
        },
    )

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.parsed_id: IdNumber | None = None

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Please enter your full name."), code="name_length")
        if any(c.isdigit() for c in name):
            raise forms.ValidationError(_("A name cannot contain digits."), code="name_digits")
        return name

    def clean_id_number(self) -> str:
        try:
            parsed = parse_id_number(
                self.cleaned_data["id_number"], today=self.today or local_today()
            )
        except InvalidIdentifier as exc:
            raise forms.ValidationError(identifier_message(exc), code=exc.code) from None
        self.parsed_id = parsed
        return parsed.number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("employment_type") == EmploymentType.GIG:
            if not data.get("gig_trade") and "gig_trade" not in self.errors:
                self.add_error(
                    "gig_trade",
                    forms.ValidationError(
                        _("Please choose your trade."), code="gig_trade_required"
                    ),
                )
        else:
            data["gig_trade"] = ""
        return data


class UnionSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Union or employer name"),
        max_length=60,
        required=False,
        widget=forms.TextInput(
            attrs={
                "class": "h5-input",
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("e.g. the name of your company"),
            }
        ),
    )


class ChooseUnionForm(forms.Form):
    """Step 3 of joining and the transfer page: a union, or an employer (which names its union)."""

    org = forms.IntegerField(required=False, min_value=1)
    enterprise = forms.IntegerField(required=False, min_value=1)
    employer_name = forms.CharField(
        label=_("Employer (if not listed)"),
        max_length=120,
        required=False,
        help_text=_("Fill in first, then tap your union below."),
        widget=forms.TextInput(attrs={"class": "h5-input"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("org") and not data.get("enterprise"):
            raise forms.ValidationError(_("Please choose a union."), code="union_required")
        return data


class TransferForm(ChooseUnionForm):
    note = forms.CharField(
        label=_("Note for the union (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "h5-input"}),
    )
