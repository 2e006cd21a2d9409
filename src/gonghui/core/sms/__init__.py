"""SMS: templates with parameters, an outbox, provider backends and a fallback order.

``sms_send(phone=, template=, params=, message=)`` is the one way to send (``core.sms.outbox``):
``template`` is the key of the provider template (``members.otp``…), ``params`` its parameters,
``message`` the same text rendered in the site's language for the console and memory backends.
Backends: ``ConsoleSmsBackend`` (the log; development), ``MemorySmsBackend`` (tests),
``AliyunSmsBackend`` and ``TencentSmsBackend`` (the providers' official SDKs). The backend is
``GONGHUI_SMS_BACKEND``; ``GONGHUI_SMS_FALLBACK`` lists the ones tried after a provider error or
a time-out. See docs/deployment.md (SMS) for the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .aliyun import AliyunSmsBackend
from .backends import (
    ConsoleSmsBackend,
    MemorySmsBackend,
    Sms,
    SmsBackend,
    SmsError,
    SmsProviderError,
    SmsThrottled,
    SmsTimeout,
)
from .tencent import TencentSmsBackend

if TYPE_CHECKING:
    from ..models import SmsMessage

__all__ = [
    "AliyunSmsBackend",
    "ConsoleSmsBackend",
    "MemorySmsBackend",
    "Sms",
    "SmsBackend",
    "SmsError",
    "SmsProviderError",
    "SmsThrottled",
    "SmsTimeout",
    "TencentSmsBackend",
    "sms_send",
]


def sms_send(
    *,
    phone: str,
    template: str,
    params: Mapping[str, Any],
    message: str,
    org_id: int | None = None,
    ip: str | None = None,
    valid_for: int | None = None,
    check_limits: bool = True,
) -> SmsMessage | None:
    """Record an SMS in the outbox and have it sent; never raises (see ``core.sms.outbox``)."""
    from .outbox import sms_send as send

    return send(
        phone=phone,
        template=template,
        params=params,
        message=message,
        org_id=org_id,
        ip=ip,
        valid_for=valid_for,
        check_limits=check_limits,
    )
