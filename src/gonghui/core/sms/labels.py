"""Names of SMS templates, providers and errors for the console (a person never reads a code).

``TEMPLATES`` is also the catalogue of the template keys that a deployment configures at its
providers (docs/deployment.md, SMS): the key, what the message says, and its parameters.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# key -> (label, parameters in the order of the provider template)
TEMPLATES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "members.otp": (_("Verification code"), ("code", "minutes")),
    "members.enrolment_received": (_("Application to join received"), ("org",)),
    "members.enrolment_approved": (_("Application to join approved"), ("org", "member_no")),
    "members.enrolment_rejected": (_("Application to join not approved"), ("org", "reason")),
    "members.transfer_approved": (_("Transfer approved"), ("from", "to")),
    "members.transfer_rejected": (_("Transfer not approved"), ("to", "reason")),
    "members.phone_changed": (_("Mobile number changed"), ("phone",)),
    "activities.waitlist_promoted": (_("Place freed up (waitlist)"), ("title", "time")),
    "activities.application_approved": (_("Activity application approved"), ("title",)),
    "activities.application_rejected": (
        _("Activity application not approved"),
        ("title", "reason"),
    ),
    "activities.draw_won": (_("Won the activity draw"), ("title",)),
    "activities.draw_waitlisted": (_("Not drawn, on the waitlist"), ("title", "n")),
    "codes.credential_locked": (_("Benefit code locked"), ("time",)),
    "assistance.review_due": (_("Hardship file review due"), ("pk", "org", "due")),
}

PROVIDERS: dict[str, Any] = {
    "aliyun": _("Alibaba Cloud SMS"),
    "tencent": _("Tencent Cloud SMS"),
    "console": _("Console (log only)"),
    "memory": _("Memory (tests)"),
}

# The start of a recorded error (core.sms.outbox) -> its name.
_ERRORS: tuple[tuple[str, Any], ...] = (
    ("rate_limited", _("Refused by the send limit")),
    ("expired", _("No longer valid, not sent")),
    ("report:", _("The provider reports it was not delivered")),
)


def template_label(key: str) -> Any:
    entry = TEMPLATES.get(key)
    return entry[0] if entry else _("Other notice")


def provider_label(name: str) -> Any:
    return PROVIDERS.get(name, _("Other provider"))


def error_label(error: str) -> str:
    """A readable summary of ``SmsMessage.last_error``, the provider's own codes in brackets
    (for the provider's support), e.g. 「服务商限流（aliyun: isv.BUSINESS_LIMIT_CONTROL）」."""
    for prefix, label in _ERRORS:
        if error.startswith(prefix):
            return f"{label}（{error}）" if prefix == "report:" else str(label)
    if "throttled" in error:
        return f"{_('The provider throttled the sending')}（{error}）"
    if "timeout" in error:
        return f"{_('The provider did not answer in time')}（{error}）"
    return f"{_('The provider refused or failed')}（{error}）"
