"""SMS is pluggable (``GONGHUI_SMS_BACKEND``); the default prints the message to the log."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("gonghui.sms")


class SmsBackend(Protocol):
    def send(self, *, phone: str, message: str) -> None: ...


class ConsoleSmsBackend:
    def send(self, *, phone: str, message: str) -> None:
        log.info("SMS to %s: %s", phone, message)


class MemorySmsBackend:
    """For tests: keeps what was sent in ``outbox``."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, phone: str, message: str) -> None:
        MemorySmsBackend.outbox.append((phone, message))


@lru_cache(maxsize=4)
def _backend(path: str) -> SmsBackend:
    return import_string(path)()


def sms_send(*, phone: str, message: str) -> None:
    _backend(settings.GONGHUI_SMS_BACKEND).send(phone=phone, message=message)
