"""Tencent Cloud SMS (短信, API 2021-01-11) through its official SDK.

Settings (each also as ``<NAME>_FILE``): ``GONGHUI_SMS_TENCENT_SECRET_ID``,
``GONGHUI_SMS_TENCENT_SECRET_KEY``, ``GONGHUI_SMS_TENCENT_SDK_APP_ID`` (the SmsSdkAppId),
``GONGHUI_SMS_TENCENT_SIGN_NAME``, ``GONGHUI_SMS_TENCENT_REGION`` (default ``ap-guangzhou``),
``GONGHUI_SMS_TENCENT_TEMPLATES`` (JSON: template key → ``{"id": "1234567", "params": ["code",
"minutes"]}``: Tencent's templates number their parameters ``{1}``, ``{2}``…, so the table says
which of the message's parameters goes in which place) and ``GONGHUI_SMS_TENCENT_ENDPOINT``
(default ``sms.tencentcloudapi.com``; ``http://127.0.0.1:port`` for a local stand-in).

Send: ``SendSms``; the number's ``SendStatusSet`` entry answers ``Code == "Ok"`` and the
``SerialNo``. Delivery: ``PullSmsSendStatus`` (a queue: each report is pulled once), matched by
``SerialNo``; ``ReportStatus`` ``SUCCESS`` or ``FAIL``.
"""

from __future__ import annotations

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

THROTTLE_PREFIXES = ("LimitExceeded.PhoneNumber", "LimitExceeded.DeliveryFrequencyLimit")
THROTTLE_CODES = frozenset({"RequestLimitExceeded", "LimitExceeded.DailyLimit"})


def _is_throttle(code: str) -> bool:
    return code in THROTTLE_CODES or code.startswith(THROTTLE_PREFIXES)


def _client() -> Any:
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import sms_client

    endpoint = str(settings.GONGHUI_SMS_TENCENT_ENDPOINT or "sms.tencentcloudapi.com")
    protocol = "https"
    if "://" in endpoint:
        protocol, endpoint = endpoint.split("://", 1)
    http = HttpProfile(
        protocol=protocol, endpoint=endpoint.rstrip("/"), reqTimeout=timeout_seconds()
    )
    cred = credential.Credential(
        settings.GONGHUI_SMS_TENCENT_SECRET_ID or "", settings.GONGHUI_SMS_TENCENT_SECRET_KEY or ""
    )
    return sms_client.SmsClient(
        cred, settings.GONGHUI_SMS_TENCENT_REGION or "ap-guangzhou", ClientProfile(httpProfile=http)
    )


def _raise(exc: Exception) -> NoReturn:
    code = str(getattr(exc, "code", "") or type(exc).__name__)
    if is_timeout(exc):
        raise SmsTimeout("timeout", str(exc)[:200]) from exc
    if _is_throttle(code):
        raise SmsThrottled(code, str(exc)[:200]) from exc
    raise SmsProviderError(code, str(exc)[:200]) from exc


class TencentSmsBackend:
    name: ClassVar[str] = "tencent"

    def send(self, sms: Sms) -> str:
        from tencentcloud.sms.v20210111 import models

        entry = templates(settings.GONGHUI_SMS_TENCENT_TEMPLATES).get(sms.template)
        if not entry or not isinstance(entry, dict) or not entry.get("id"):
            raise SmsProviderError("template_not_configured", sms.template)
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{sms.phone}"]
        request.SmsSdkAppId = str(settings.GONGHUI_SMS_TENCENT_SDK_APP_ID or "")
        request.SignName = str(settings.GONGHUI_SMS_TENCENT_SIGN_NAME or "")
        request.TemplateId = str(entry["id"])
        request.TemplateParamSet = [
            str(sms.params.get(name, "")) for name in entry.get("params", [])
        ]
        try:
            response = _client().SendSms(request)
        except Exception as exc:
            _raise(exc)
        statuses = list(response.SendStatusSet or [])
        if not statuses:
            raise SmsProviderError("empty_answer")
        status = statuses[0]
        code = str(status.Code or "unknown")
        if code != "Ok":
            if _is_throttle(code):
                raise SmsThrottled(code, str(status.Message or ""))
            raise SmsProviderError(code, str(status.Message or ""))
        return str(status.SerialNo or "")

    def poll(self, sent: list[Sent]) -> dict[str, tuple[bool, str]]:
        from tencentcloud.sms.v20210111 import models

        wanted = {item.provider_message_id for item in sent}
        request = models.PullSmsSendStatusRequest()
        request.Limit = 100
        request.SmsSdkAppId = str(settings.GONGHUI_SMS_TENCENT_SDK_APP_ID or "")
        try:
            response = _client().PullSmsSendStatus(request)
        except Exception as exc:  # asked again at the next poll
            log.warning("tencent PullSmsSendStatus failed: %s", exc)
            return {}
        reports: dict[str, tuple[bool, str]] = {}
        for report in response.PullSmsSendStatusSet or []:
            serial = str(report.SerialNo or "")
            if serial not in wanted:
                continue
            if report.ReportStatus == "SUCCESS":
                reports[serial] = (True, "")
            else:
                reports[serial] = (False, str(report.Description or report.ReportStatus or ""))
        return reports
