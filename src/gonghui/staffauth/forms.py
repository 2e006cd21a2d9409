"""The console's login form: throttled, audited, with the TOTP code when the user has one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.forms import AuthenticationForm as UnfoldAuthenticationForm
from unfold.widgets import BASE_INPUT_CLASSES

from gonghui.core.audit import client_ip

from . import services, throttle
from .selectors import totp_is_active


def lock_message(lock: throttle.Lock) -> str:
    if lock.scope == throttle.USERNAME:
        return gettext(
            "Too many failed sign-in attempts: this account is locked for %(minutes)d more "
            "minutes. Try again later, or ask a federation administrator."
        ) % {"minutes": lock.minutes_left}
    return gettext(
        "Too many failed sign-in attempts from this network: sign-in is blocked for "
        "%(minutes)d more minutes."
    ) % {"minutes": lock.minutes_left}


class StaffLoginForm(UnfoldAuthenticationForm):
    """Username + password (Argon2), then the TOTP code if the user has activated one.

    Order of checks: lock (refuses even the right password) → password → staff flag → code.
    Every failure counts towards the lock and is audited under the attempted username."""

    otp_code = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        max_length=8,
        help_text=_("Only if you have turned on two-factor authentication."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "class": " ".join(BASE_INPUT_CLASSES),
            }
        ),
    )

    error_messages = {
        **UnfoldAuthenticationForm.error_messages,
        "invalid_otp": _("Enter the current 6-digit code from your authenticator app."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        ip = client_ip(self.request)

        lock = throttle.current_lock(username=username, ip=ip)
        if lock is not None:
            services.login_failure_record(username=username, ip=ip, reason="locked")
            raise ValidationError(lock_message(lock), code="locked")
        if not username or not password:
            return self.cleaned_data

        user = authenticate(self.request, username=username, password=password)
        if user is None:
            self._fail(username, ip, "password")
            raise self.get_invalid_login_error()
        try:
            self.confirm_login_allowed(user)  # active, and is_staff (AdminAuthenticationForm)
        except ValidationError:
            self._fail(username, ip, "not_staff")
            raise
        if totp_is_active(user) and not services.totp_verify(
            user=user, code=self.cleaned_data.get("otp_code") or ""
        ):
            self._fail(username, ip, "totp")
            raise ValidationError(self.error_messages["invalid_otp"], code="invalid_otp")

        services.login_success_record(user=user, ip=ip)
        self.user_cache = user
        return self.cleaned_data

    def _fail(self, username: str, ip: str | None, reason: str) -> None:
        started = services.login_failure_record(username=username, ip=ip, reason=reason)
        for lock in started:
            if lock.scope == throttle.USERNAME:
                raise ValidationError(lock_message(lock), code="locked")


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": "",
                "class": " ".join(BASE_INPUT_CLASSES),
            }
        ),
    )
