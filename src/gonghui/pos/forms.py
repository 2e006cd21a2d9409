"""The cashier's sign-in form: the console's (throttled, audited, TOTP), for merchant staff too."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gonghui.staffauth.forms import StaffLoginForm

from .selectors import terminals_for_cashier


class CashierLoginForm(StaffLoginForm):
    """Username, password and (if turned on) the TOTP code. Unlike the console, the account need
    not be a union staff account; it must be able to operate at least one terminal."""

    error_messages = {
        **StaffLoginForm.error_messages,
        "no_terminal": _(
            "This account cannot operate any terminal. Ask your merchant or union to add you "
            "as a cashier."
        ),
    }

    def confirm_login_allowed(self, user: Any) -> None:
        if not user.is_active:
            raise ValidationError(self.error_messages["inactive"], code="inactive")
        if not terminals_for_cashier(user).exists():
            raise ValidationError(self.error_messages["no_terminal"], code="no_terminal")
