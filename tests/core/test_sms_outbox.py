"""The SMS outbox: send limits, the Celery path, a sign-in code through the fallback provider,
the console (scoped, masked, statuses by name), and the production refusal of the console
backend's stand-ins."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse

from gonghui.core import sms
from gonghui.core.models import SmsMessage
from gonghui.core.prodcheck import sms_backend_problem
from gonghui.core.sms import MemorySmsBackend, sms_send
from gonghui.core.sms.outbox import sms_retry_due
from gonghui.members.otp import otp_request, otp_verify
from gonghui.orgs.models import Org, Role
from tests.core.sms_standin import StandIn
from tests.factories import make_staff, org_child, org_root

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
Status = SmsMessage.Status
LIST = "admin:core_smsmessage_changelist"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def notice(phone: str = PHONE, *, ip: str | None = None, org_id: int | None = None):
    return sms_send(
        phone=phone,
        template="members.phone_changed",
        params={"phone": "139****0000"},
        message="您的手机号已变更",
        ip=ip,
        org_id=org_id,
    )


def test_sms_to_one_phone_beyond_the_hourly_limit_is_recorded_failed(settings):
    settings.GONGHUI_SMS_PER_PHONE_HOUR = 2
    rows = [notice() for _ in range(3)]
    for row in rows:
        row.refresh_from_db()
    assert [r.status for r in rows] == [Status.SENT, Status.SENT, Status.FAILED]
    assert rows[2].last_error == "rate_limited: core.sms.phone.hour"
    assert len(MemorySmsBackend.outbox) == 2
    notice("13912340000").refresh_from_db()  # another phone still receives
    assert len(MemorySmsBackend.outbox) == 3


def test_the_per_ip_limit_counts_in_the_database_when_redis_is_down(settings, dead_redis):
    settings.GONGHUI_SMS_PER_IP_HOUR = 2
    rows = [notice(f"1391234000{i}", ip="10.1.2.3") for i in range(3)]
    statuses = [SmsMessage.objects.get(pk=r.pk).status for r in rows]
    assert statuses == [Status.SENT, Status.SENT, Status.FAILED]
    assert SmsMessage.objects.get(pk=rows[2].pk).last_error == "rate_limited: core.sms.ip.hour"
    assert notice("13912349999", ip="10.9.9.9") is not None
    assert len(MemorySmsBackend.outbox) == 3


def test_with_a_broker_the_task_is_queued_after_commit_and_a_lost_task_is_swept(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    from gonghui.core import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued: list[int] = []
    monkeypatch.setattr(tasks.sms_send_task, "delay", lambda pk: queued.append(pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = notice()
    assert MemorySmsBackend.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert queued == [row.pk]
    assert tasks.sms_send_task.apply(args=[row.pk]).get() == Status.SENT
    assert MemorySmsBackend.outbox == [(PHONE, "您的手机号已变更")]

    def broker_down(pk: int) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.sms_send_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        lost = notice()
    assert SmsMessage.objects.get(pk=lost.pk).status == Status.QUEUED  # kept, not lost
    assert sms_retry_due() == 1
    assert SmsMessage.objects.get(pk=lost.pk).status == Status.SENT
    assert len(MemorySmsBackend.outbox) == 2


def test_a_message_that_cannot_be_recorded_is_reported_to_the_caller(monkeypatch):
    from gonghui.core.sms import outbox

    def broken(**kw):
        raise RuntimeError("database gone")

    monkeypatch.setattr(outbox.SmsMessage.objects, "create", broken)
    assert notice() is None  # never raises into the request; otp answers 503 on None


def test_a_sign_in_code_arrives_through_the_fallback_provider(settings):
    primary, fallback = StandIn("aliyun").start(), StandIn("tencent").start()
    try:
        settings.GONGHUI_SMS_TIMEOUT_SECONDS = 1
        settings.GONGHUI_SMS_BACKEND = "gonghui.core.sms.AliyunSmsBackend"
        settings.GONGHUI_SMS_FALLBACK = ["gonghui.core.sms.TencentSmsBackend"]
        settings.GONGHUI_SMS_ALIYUN_ENDPOINT = primary.endpoint
        settings.GONGHUI_SMS_ALIYUN_ACCESS_KEY_ID = "test-id"
        settings.GONGHUI_SMS_ALIYUN_ACCESS_KEY_SECRET = "test-secret"
        settings.GONGHUI_SMS_TENCENT_SECRET_ID = "test-id"
        settings.GONGHUI_SMS_TENCENT_SECRET_KEY = "test-key"
        settings.GONGHUI_SMS_ALIYUN_TEMPLATES = json.dumps({"members.otp": "SMS_1"})
        settings.GONGHUI_SMS_TENCENT_ENDPOINT = fallback.endpoint
        settings.GONGHUI_SMS_TENCENT_TEMPLATES = json.dumps(
            {"members.otp": {"id": "2000001", "params": ["code", "minutes"]}}
        )
        primary.mode = "error"
        otp_request(phone=PHONE, purpose="sign_in", ip="10.0.0.1")
        (sent,) = fallback.sent
        code, minutes = sent["params"]
        assert primary.sent == [] and minutes == "5"
        assert otp_verify(phone=PHONE, purpose="sign_in", code=code) == PHONE
        row = SmsMessage.objects.get()
        assert (row.template, row.status, row.provider) == ("members.otp", Status.SENT, "tencent")
        assert row.expires_at is not None  # a code is not sent after it expired
    finally:
        primary.stop()
        fallback.stop()


def test_an_expired_code_is_failed_not_sent(settings):
    settings.GONGHUI_SMS_BACKEND = "gonghui.core.sms.AliyunSmsBackend"  # no endpoint: fails
    settings.GONGHUI_SMS_ALIYUN_TEMPLATES = ""
    row = sms_send(
        phone=PHONE, template="members.otp", params={"code": "1"}, message="x", valid_for=60
    )
    assert row is not None
    SmsMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=row.created_at, expires_at=row.created_at
    )
    settings.GONGHUI_SMS_BACKEND = "gonghui.core.sms.MemorySmsBackend"
    sms_retry_due()
    row.refresh_from_db()
    assert (row.status, row.last_error) == (Status.FAILED, "expired")
    assert MemorySmsBackend.outbox == []


@pytest.fixture
def world():
    city = org_root(name="市总")
    town = org_child(city, Org.Kind.DISTRICT, name="镇总")
    union = org_child(town, name="一厂工会")
    sibling = org_child(city, Org.Kind.DISTRICT, name="邻镇总")
    rows = {
        "union": notice("13900000001", org_id=union.pk),
        "sibling": notice("13900000002", org_id=sibling.pk),
        "code": sms_send(
            phone="13900000003",
            template="members.otp",
            params={"code": "424242", "minutes": 5},
            message="验证码424242",
        ),
    }
    return {"city": city, "town": town, "union": union, "sibling": sibling, "rows": rows}


def listed(response) -> set[int]:
    return {m.pk for m in response.context["cl"].result_list}


def test_console_outbox_is_scoped_masked_and_named_in_chinese(client, world, django_user_model):
    rows = world["rows"]
    client.force_login(make_staff(world["town"], Role.AUDITOR))
    response = client.get(reverse(LIST))
    assert listed(response) == {rows["union"].pk}
    page = response.content.decode()
    assert "139****0001" in page and "13900000001" not in page
    assert "手机号变更" in page and "已发送" in page
    # Sign-in codes (no org): federation administrators (superusers) only; never the code.
    client.force_login(make_staff(world["city"], Role.AUDITOR))
    assert listed(client.get(reverse(LIST))) == {rows["union"].pk, rows["sibling"].pk}
    client.force_login(django_user_model.objects.create_superuser("root", password="x-Pass-123"))
    response = client.get(reverse(LIST))
    assert listed(response) == {r.pk for r in rows.values()}
    detail = client.get(reverse("admin:core_smsmessage_change", args=[rows["code"].pk]))
    assert detail.status_code == 200
    assert "424242" not in detail.content.decode() and "验证码" in detail.content.decode()
    other = client.get(reverse("admin:core_smsmessage_change", args=[rows["sibling"].pk]))
    assert other.status_code == 200
    client.force_login(make_staff(world["town"], Role.AUDITOR))
    hidden = client.get(reverse("admin:core_smsmessage_change", args=[rows["sibling"].pk]))
    assert hidden.status_code == 404


def test_production_accepts_the_providers_and_refuses_the_console_backends():
    assert sms_backend_problem("gonghui.core.sms.AliyunSmsBackend") is None
    assert sms_backend_problem("gonghui.core.sms.TencentSmsBackend") is None
    assert sms_backend_problem("gonghui.core.sms.ConsoleSmsBackend")
    assert sms_backend_problem("gonghui.core.sms.MemorySmsBackend")
    assert sms.ConsoleSmsBackend.name == "console"


def test_deploy_check_names_the_missing_provider_settings(settings):
    from gonghui.core.checks import check_sms_providers

    settings.GONGHUI_SMS_BACKEND = "gonghui.core.sms.AliyunSmsBackend"
    settings.GONGHUI_SMS_FALLBACK = ["gonghui.core.sms.TencentSmsBackend"]
    settings.GONGHUI_SMS_ALIYUN_ACCESS_KEY_ID = "id"
    settings.GONGHUI_SMS_ALIYUN_ACCESS_KEY_SECRET = "secret"
    settings.GONGHUI_SMS_ALIYUN_SIGN_NAME = "玉环市总工会"
    settings.GONGHUI_SMS_ALIYUN_TEMPLATES = "members.otp=SMS_1"  # not JSON
    problems = [e.msg for e in check_sms_providers()]
    assert {e.id for e in check_sms_providers()} == {"core.E105"}
    assert any("GONGHUI_SMS_ALIYUN_TEMPLATES is not a JSON object" in m for m in problems)
    assert any("GONGHUI_SMS_TENCENT_SECRET_ID" in m for m in problems)
    settings.GONGHUI_SMS_ALIYUN_TEMPLATES = '{"members.otp": "SMS_1"}'
    settings.GONGHUI_SMS_FALLBACK = []
    assert check_sms_providers() == []


def test_gonghui_sms_dispatch_sends_what_is_due_and_the_outbox_is_rotated_with_the_keys():
    from django.core.management import call_command

    from gonghui.core.sealed import registered_columns

    row = notice()
    SmsMessage.objects.filter(pk=row.pk).update(
        status=Status.QUEUED, next_attempt_at=row.created_at
    )
    MemorySmsBackend.outbox.clear()
    call_command("sms_dispatch", stdout=io.StringIO())
    assert SmsMessage.objects.get(pk=row.pk).attempts == 2
    assert MemorySmsBackend.outbox == [(PHONE, "您的手机号已变更")]
    (entry,) = [e for e in registered_columns() if e.model is SmsMessage]
    assert {column for column, _purpose in entry.columns} == {"phone", "params", "text"}
