"""Alibaba Cloud SMS (短信服务, Dysmsapi 2017-05-25) through its official SDK.

Settings (each also as ``<NAME>_FILE``): ``GONGHUI_SMS_ALIYUN_ACCESS_KEY_ID``,
``GONGHUI_SMS_ALIYUN_ACCESS_KEY_SECRET``, ``GONGHUI_SMS_ALIYUN_SIGN_NAME`` (the approved
signature, e.g. 玉环市总工会), ``GONGHUI_SMS_ALIYUN_TEMPLATES`` (JSON: template key → template
code, e.g. ``{"members.otp": "SMS_123456789"}``; the message's parameters are sent as
``TemplateParam`` under their own names) and ``GONGHUI_SMS_ALIYUN_ENDPOINT`` (default
``dysmsapi.aliyuncs.com``; ``http://127.0.0.1:port`` for a local stand-in).

Send: ``SendSms``; ``Code == "OK"`` answers the ``BizId``. Delivery: ``QuerySendDetails`` per
message (phone, BizId, the send date in China time): ``SendStatus`` 3 delivered, 2 failed,
1 waiting for the report.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar, NoReturn

from django.conf import settings

from .backends import (
    Sent,
    Sms,
    SmsProviderError,
    SmsThrottled,
    SmsTimeout,
    is_timeout,
    log,
    templates,
    timeout_seconds,
)

THROTTLE_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.SMS_OVER_LIMIT",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
    }
)
CN = dt.timezone(dt.timedelta(hours=8))


def _client() -> Any:
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    endpoint = str(settings.GONGHUI_SMS_ALIYUN_ENDPOINT or "dysmsapi.aliyuncs.com")
    protocol = "https"
    if "://" in endpoint:
        protocol, endpoint = endpoint.split("://", 1)
    ms = int(timeout_seconds() * 1000)
    return Client(
        Config(
            access_key_id=settings.GONGHUI_SMS_ALIYUN_ACCESS_KEY_ID or "",
            access_key_secret=settings.GONGHUI_SMS_ALIYUN_ACCESS_KEY_SECRET or "",
            endpoint=endpoint.rstrip("/"),
            protocol=protocol,
            read_timeout=ms,
            connect_timeout=ms,
        )
    )


def _runtime() -> Any:
    from darabonba.runtime import RuntimeOptions

    ms = int(timeout_seconds() * 1000)
    # One try per call: retries and backoff are the outbox's (core.sms.outbox).
    return RuntimeOptions(autoretry=False, max_attempts=1, read_timeout=ms, connect_timeout=ms)


def _raise(exc: Exception) -> NoReturn:
    if is_timeout(exc):
        raise SmsTimeout("timeout", str(exc)[:200]) from exc
    code = str(getattr(exc, "code", "") or type(exc).__name__)
    if code in THROTTLE_CODES or "throttl" in type(exc).__name__.lower():
        raise SmsThrottled(code, str(exc)[:200]) from exc
    raise SmsProviderError(code, str(exc)[:200]) from exc


class AliyunSmsBackend:
    name: ClassVar[str] = "aliyun"

    def send(self, sms: Sms) -> str:
        from alibabacloud_dysmsapi20170525 import models

        code = templates(settings.GONGHUI_SMS_ALIYUN_TEMPLATES).get(sms.template)
        if not code:
            raise SmsProviderError("template_not_configured", sms.template)
        request = models.SendSmsRequest(
            phone_numbers=sms.phone,
            sign_name=settings.GONGHUI_SMS_ALIYUN_SIGN_NAME or "",
            template_code=str(code),
            template_param=json.dumps(dict(sms.params), ensure_ascii=False),
        )
        try:
            body = _client().send_sms_with_options(request, _runtime()).body
        except Exception as exc:
            _raise(exc)
        if body is None:
            raise SmsProviderError("empty_answer")
        if body.code != "OK":
            err = str(body.code or "unknown")
            if err in THROTTLE_CODES:
                raise SmsThrottled(err, str(body.message or ""))
            raise SmsProviderError(err, str(body.message or ""))
        return str(body.biz_id or "")

    def poll(self, sent: list[Sent]) -> dict[str, tuple[bool, str]]:
        from alibabacloud_dysmsapi20170525 import models

        client, runtime = _client(), _runtime()
        reports: dict[str, tuple[bool, str]] = {}
        for item in sent:
            day = dt.datetime.fromtimestamp(item.sent_at_epoch, tz=CN).strftime("%Y%m%d")
            request = models.QuerySendDetailsRequest(
                phone_number=item.phone,
                biz_id=item.provider_message_id,
                send_date=day,
                page_size=10,
                current_page=1,
            )
            try:
                body = client.query_send_details_with_options(request, runtime).body
            except Exception as exc:  # asked again at the next poll
                log.warning("aliyun QuerySendDetails failed: %s", exc)
                continue
            if body is None or body.code != "OK" or body.sms_send_detail_dtos is None:
                continue
            for detail in body.sms_send_detail_dtos.sms_send_detail_dto or []:
                if detail.send_status == 3:
                    reports[item.provider_message_id] = (True, "")
                elif detail.send_status == 2:
                    reports[item.provider_message_id] = (False, str(detail.err_code or ""))
        return reports
