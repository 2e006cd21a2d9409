"""The SMS providers through their official SDKs, against a local stand-in of each API.

Alibaba Cloud and Tencent Cloud: success, a provider error (the fallback sends), a time-out (the
fallback sends), the provider's throttling (no fallback: retried, then failed), delivery reports
polled from each status API. Client time-outs are 1 s here."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection

from gonghui.core.models import SmsMessage
from gonghui.core.sms import MemorySmsBackend, sms_send
from gonghui.core.sms.outbox import sms_poll_delivery, sms_retry_due
from tests.core.sms_standin import StandIn

pytestmark = pytest.mark.django_db

ALIYUN = "gonghui.core.sms.AliyunSmsBackend"
TENCENT = "gonghui.core.sms.TencentSmsBackend"
MEMORY = "gonghui.core.sms.MemorySmsBackend"
PATHS = {"aliyun": ALIYUN, "tencent": TENCENT}
OTHER = {"aliyun": "tencent", "tencent": "aliyun"}
PHONE = "13912345678"
Status = SmsMessage.Status


@pytest.fixture
def standins(settings):
    servers = {"aliyun": StandIn("aliyun").start(), "tencent": StandIn("tencent").start()}
    settings.GONGHUI_SMS_TIMEOUT_SECONDS = 1
    settings.GONGHUI_SMS_FALLBACK = []
    settings.GONGHUI_SMS_ALIYUN_ENDPOINT = servers["aliyun"].endpoint
    settings.GONGHUI_SMS_ALIYUN_ACCESS_KEY_ID = "test-id"
    settings.GONGHUI_SMS_ALIYUN_ACCESS_KEY_SECRET = "test-secret"
    settings.GONGHUI_SMS_ALIYUN_SIGN_NAME = "玉环市总工会"
    settings.GONGHUI_SMS_ALIYUN_TEMPLATES = json.dumps(
        {"members.otp": "SMS_100000001", "members.enrolment_approved": "SMS_100000002"}
    )
    settings.GONGHUI_SMS_TENCENT_ENDPOINT = servers["tencent"].endpoint
    settings.GONGHUI_SMS_TENCENT_SECRET_ID = "test-id"
    settings.GONGHUI_SMS_TENCENT_SECRET_KEY = "test-key"
    settings.GONGHUI_SMS_TENCENT_SDK_APP_ID = "1400000000"
    settings.GONGHUI_SMS_TENCENT_SIGN_NAME = "玉环市总工会"
    settings.GONGHUI_SMS_TENCENT_TEMPLATES = json.dumps(
        {"members.otp": {"id": "2000001", "params": ["code", "minutes"]}}
    )
    yield servers
    for server in servers.values():
        server.stop()


def send_code(code: str = "123456") -> SmsMessage:
    row = sms_send(
        phone=PHONE,
        template="members.otp",
        params={"code": code, "minutes": 5},
        message=f"【测试】验证码{code}",
    )
    assert row is not None
    row.refresh_from_db()
    return row


def test_aliyun_sends_the_template_with_its_signature_and_parameters(settings, standins):
    settings.GONGHUI_SMS_BACKEND = ALIYUN
    row = send_code("246810")
    (sent,) = standins["aliyun"].sent
    assert sent["phone"] == PHONE and sent["sign"] == "玉环市总工会"
    assert sent["template"] == "SMS_100000001"
    assert sent["params"] == {"code": "246810", "minutes": "5"}
    assert (row.status, row.provider, row.attempts) == (Status.SENT, "aliyun", 1)
    assert row.provider_message_id == sent["id"] and row.sent_at is not None
    assert row.last_error == "" and MemorySmsBackend.outbox == []


def test_tencent_sends_the_template_parameters_in_their_places(settings, standins):
    settings.GONGHUI_SMS_BACKEND = TENCENT
    row = send_code("135790")
    (sent,) = standins["tencent"].sent
    assert sent["phone"] == "+86" + PHONE and sent["app"] == "1400000000"
    assert (sent["template"], sent["params"]) == ("2000001", ["135790", "5"])
    assert sent["sign"] == "玉环市总工会"
    assert (row.status, row.provider, row.provider_message_id) == (
        Status.SENT,
        "tencent",
        sent["id"],
    )


@pytest.mark.parametrize("failure", ["error", "slow"])
@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_provider_error_or_timeout_falls_back_and_the_code_arrives(
    settings, standins, provider, failure
):
    settings.GONGHUI_SMS_BACKEND = PATHS[provider]
    settings.GONGHUI_SMS_FALLBACK = [PATHS[OTHER[provider]]]
    standins[provider].mode = failure
    row = send_code("112233")
    assert standins[provider].sent == []
    (sent,) = standins[OTHER[provider]].sent
    code = sent["params"]["code"] if provider == "tencent" else sent["params"][0]
    assert code == "112233"
    assert (row.status, row.provider, row.attempts) == (Status.SENT, OTHER[provider], 1)
    expected = "timeout" if failure == "slow" else "Template"
    assert row.last_error.startswith(f"{provider}: ") and expected.lower() in row.last_error.lower()


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_throttling_waits_without_fallback_then_is_recorded_failed(settings, standins, provider):
    settings.GONGHUI_SMS_BACKEND = PATHS[provider]
    settings.GONGHUI_SMS_FALLBACK = [MEMORY]
    settings.GONGHUI_SMS_MAX_ATTEMPTS = 2
    standins[provider].mode = "throttle"
    row = send_code()
    assert MemorySmsBackend.outbox == []  # the provider's frequency control is not gone around
    assert (row.status, row.attempts) == (Status.QUEUED, 1)
    assert "throttled" in row.last_error and row.next_attempt_at is not None
    assert sms_retry_due() == 0  # not due yet: backoff
    SmsMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=row.next_attempt_at - dt.timedelta(hours=1)
    )
    assert sms_retry_due() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 2)
    assert row.failed_at is not None and "throttled" in row.last_error
    assert MemorySmsBackend.outbox == []


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_throttled_message_is_sent_on_a_later_retry(settings, standins, provider):
    settings.GONGHUI_SMS_BACKEND = PATHS[provider]
    standins[provider].mode = "throttle"
    row = send_code()
    assert row.status == Status.QUEUED
    standins[provider].mode = "ok"
    SmsMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=row.next_attempt_at - dt.timedelta(hours=1)
    )
    sms_retry_due()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.provider) == (Status.SENT, 2, provider)
    assert len(standins[provider].sent) == 1


def test_every_backend_failing_keeps_the_message_queued_then_failed(settings, standins):
    settings.GONGHUI_SMS_BACKEND = ALIYUN
    settings.GONGHUI_SMS_FALLBACK = [TENCENT]
    settings.GONGHUI_SMS_MAX_ATTEMPTS = 2
    standins["aliyun"].mode = standins["tencent"].mode = "error"
    row = send_code()
    assert (
        row.status == Status.QUEUED and "aliyun" in row.last_error and "tencent" in row.last_error
    )
    SmsMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=row.next_attempt_at - dt.timedelta(hours=1)
    )
    sms_retry_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 2)


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_delivery_reports_are_polled_from_the_status_api(settings, standins, provider):
    settings.GONGHUI_SMS_BACKEND = PATHS[provider]
    delivered, lost = send_code("111111"), send_code("222222")
    waiting = send_code("333333")
    standin = standins[provider]
    standin.reports = {delivered.provider_message_id: True, lost.provider_message_id: False}
    assert sms_poll_delivery() == 2
    for row in (delivered, lost, waiting):
        row.refresh_from_db()
    assert delivered.status == Status.DELIVERED and delivered.delivered_at is not None
    assert lost.status == Status.FAILED and lost.last_error.startswith("report:")
    assert waiting.status == Status.SENT
    expected = "QuerySendDetails" if provider == "aliyun" else "PullSmsSendStatus"
    assert expected in standin.calls


def test_a_template_without_a_code_at_the_provider_falls_back(settings, standins):
    settings.GONGHUI_SMS_BACKEND = TENCENT
    settings.GONGHUI_SMS_FALLBACK = [ALIYUN]
    row = sms_send(
        phone=PHONE,
        template="members.enrolment_approved",
        params={"org": "一厂工会", "member_no": "M0001"},
        message="欢迎",
    )
    assert row is not None
    row.refresh_from_db()
    assert (row.status, row.provider) == (Status.SENT, "aliyun")
    assert "template_not_configured" in row.last_error
    assert standins["aliyun"].sent[0]["params"] == {"org": "一厂工会", "member_no": "M0001"}


def test_the_outbox_seals_phone_parameters_and_text(settings, standins):
    settings.GONGHUI_SMS_BACKEND = ALIYUN
    row = send_code("987654")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone, params, text, phone_masked FROM core_smsmessage WHERE id = %s",
            [row.pk],
        )
        phone, params, text, masked = cursor.fetchone()
    for column in (phone, params, text):
        assert column.startswith("v1.") and PHONE not in column and "987654" not in column
    assert masked == "139****5678"
    assert row.phone == PHONE and json.loads(row.params)["code"] == "987654"
