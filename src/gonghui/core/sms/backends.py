"""What a backend is, the errors it raises, and the two backends that send nothing.

A message (``Sms``) carries both forms: the provider's template key with its parameters (what
Alibaba Cloud and Tencent Cloud send, with the signature configured for the deployment) and the
rendered text in the site's language (what the console and memory backends show).

A backend's ``send`` answers the provider's message id (``""`` when there is none) or raises:

- ``SmsTimeout``: the provider did not answer in time (the next backend of the fallback order is
  tried);
- ``SmsProviderError``: the provider refused or failed (the next backend is tried);
- ``SmsThrottled``: the provider's own frequency control refused this phone or account (no
  fallback: the message waits and is retried with backoff).

A backend that can report delivery has ``poll(sent)``: for the messages it sent (``Sent``) it
answers ``{provider_message_id: (delivered, error)}`` for those whose report has come in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from django.conf import settings

log = logging.getLogger("gonghui.sms")


@dataclass(frozen=True)
class Sms:
    phone: str  # normalised mainland mobile, 11 digits
    template: str  # e.g. "members.otp"
    params: Mapping[str, str] = field(default_factory=dict)
    text: str = ""  # rendered in the site's language


@dataclass(frozen=True)
class Sent:
    phone: str
    provider_message_id: str
    sent_at_epoch: float


class SmsError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class SmsTimeout(SmsError):
    pass


class SmsProviderError(SmsError):
    pass


class SmsThrottled(SmsError):
    pass


class SmsBackend(Protocol):
    name: ClassVar[str]

    def send(self, sms: Sms) -> str: ...


class ConsoleSmsBackend:
    """Prints the text to the log (development; refused in production by ``core.prodcheck``)."""

    name: ClassVar[str] = "console"

    def send(self, sms: Sms) -> str:
        log.info("SMS to %s: %s", sms.phone, sms.text)
        return ""


class MemorySmsBackend:
    """For tests: keeps ``(phone, text)`` of what was sent in ``outbox``."""

    name: ClassVar[str] = "memory"
    outbox: ClassVar[list[tuple[str, str]]] = []

    def send(self, sms: Sms) -> str:
        MemorySmsBackend.outbox.append((sms.phone, sms.text))
        return ""


# --- configuration shared by the providers ----------------------------------------------------
def timeout_seconds() -> float:
    return float(settings.GONGHUI_SMS_TIMEOUT_SECONDS)


def templates(value: Any) -> dict[str, Any]:
    """A provider's template table: a dict, or its JSON text (from the environment)."""
    if not value:
        return {}
    if isinstance(value, str):
        parsed = json.loads(value)
        if not isinstance(parsed, dict):
            raise ValueError("an SMS template table is a JSON object")
        return parsed
    return dict(value)


def is_timeout(exc: BaseException) -> bool:
    """Whether an SDK's exception (or one it wraps) is a time-out."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = f"{type(current).__name__} {current}".lower()
        if "timeout" in text or "timed out" in text:
            return True
        current = current.__cause__ or current.__context__
    return False
