"""SMS one-time codes: hashing, expiry, attempt cap, rate limits, single use under concurrency."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from gonghui.core.errors import Refused
from gonghui.members import pii
from gonghui.members.models import OtpChallenge
from gonghui.members.otp import otp_request, otp_verify
from tests.conftest import postgres_only
from tests.members.enrol_helpers import last_code

PHONE = "13912345678"
pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch, settings):
    """Move time.time() (used by the rate limits and the local-memory cache) forward at will.

    Redis expires keys on its own clock, which a fake time.time() cannot move, so tests that
    travel in time use the local-memory cache."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()

    class Clock:
        offset = 0.0

        def advance(self, seconds: float) -> None:
            self.offset += seconds

    c = Clock()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + c.offset)
    return c


def refused(fn, **kw) -> Refused:
    with pytest.raises(Refused) as info:
        fn(**kw)
    return info.value


def test_code_is_sent_hashed_and_works_once(sms_outbox):
    otp_request(phone="+86 139-1234-5678", purpose="sign_in", ip="10.0.0.1")
    assert len(sms_outbox) == 1
    assert sms_outbox[0][0] == PHONE
    code = last_code(sms_outbox, PHONE)
    challenge = OtpChallenge.objects.get()
    assert challenge.phone_index == pii.phone_index(PHONE)
    assert code not in challenge.code_hash and PHONE not in challenge.code_hash
    assert len(challenge.code_hash) == 64
    assert otp_verify(phone="139 1234 5678", purpose="sign_in", code=code) == PHONE
    challenge.refresh_from_db()
    assert challenge.consumed_at is not None
    again = refused(otp_verify, phone=PHONE, purpose="sign_in", code=code)
    assert again.code == "otp_missing" and again.field == "code"


def test_code_is_bound_to_its_purpose(sms_outbox):
    otp_request(phone=PHONE, purpose="enrol", ip=None)
    code = last_code(sms_outbox, PHONE)
    assert refused(otp_verify, phone=PHONE, purpose="sign_in", code=code).code == "otp_missing"
    assert otp_verify(phone=PHONE, purpose="enrol", code=code) == PHONE


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("12345", "phone_invalid"),
        ("abc", "phone_format"),
        ("", "phone_required"),
        ("+1 650 253 0000", "phone_invalid"),
        ("057612345678", "phone_not_mobile"),
    ],
)
def test_bad_phone_is_refused_with_field(phone, code, sms_outbox):
    exc = refused(otp_request, phone=phone, purpose="sign_in", ip="10.0.0.1")
    assert (exc.code, exc.field) == (code, "phone")
    assert str(exc.message)
    assert OtpChallenge.objects.count() == 0
    assert sms_outbox == []


def test_unknown_purpose_is_refused(sms_outbox):
    exc = refused(otp_request, phone=PHONE, purpose="admin", ip=None)
    assert (exc.code, exc.field) == ("otp_purpose", "purpose")
    assert OtpChallenge.objects.count() == 0


def test_expired_code_is_refused(sms_outbox):
    otp_request(phone=PHONE, purpose="sign_in", ip=None)
    code = last_code(sms_outbox, PHONE)
    OtpChallenge.objects.update(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    exc = refused(otp_verify, phone=PHONE, purpose="sign_in", code=code)
    assert (exc.code, exc.field) == ("otp_expired", "code")


def test_ttl_comes_from_settings(settings, sms_outbox):
    settings.GONGHUI_OTP_TTL_SECONDS = 120
    before = dt.datetime.now(dt.UTC)
    otp_request(phone=PHONE, purpose="sign_in", ip=None)
    expires = OtpChallenge.objects.get().expires_at
    assert before + dt.timedelta(seconds=119) < expires <= before + dt.timedelta(seconds=121)
    assert "2 " in sms_outbox[0][1]  # "valid for 2 minutes"


def test_attempts_are_capped_then_the_code_is_dead(settings, sms_outbox):
    settings.GONGHUI_OTP_MAX_ATTEMPTS = 5
    otp_request(phone=PHONE, purpose="sign_in", ip=None)
    code = last_code(sms_outbox, PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    lefts = []
    for _ in range(5):
        exc = refused(otp_verify, phone=PHONE, purpose="sign_in", code=wrong)
        assert (exc.code, exc.field) == ("otp_invalid", "code")
        lefts.append(exc.data["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    # Even the right code no longer works.
    exc = refused(otp_verify, phone=PHONE, purpose="sign_in", code=code)
    assert exc.code == "otp_attempts"
    ch = OtpChallenge.objects.get()
    assert ch.attempts == 5 and ch.consumed_at is None


def test_malformed_code_is_refused_without_using_an_attempt(sms_outbox):
    otp_request(phone=PHONE, purpose="sign_in", ip=None)
    for bad in ("", "12345", "1234567", "abcdef"):
        exc = refused(otp_verify, phone=PHONE, purpose="sign_in", code=bad)
        assert (exc.code, exc.field) == ("otp_invalid", "code")
    assert OtpChallenge.objects.get().attempts == 0


def test_newest_code_replaces_older_ones(sms_outbox, clock):
    otp_request(phone=PHONE, purpose="sign_in", ip=None)
    old = last_code(sms_outbox, PHONE)
    clock.advance(61)
    otp_request(phone=PHONE, purpose="sign_in", ip=None)
    new = last_code(sms_outbox, PHONE)
    if old != new:
        assert refused(otp_verify, phone=PHONE, purpose="sign_in", code=old).code == "otp_invalid"
    assert otp_verify(phone=PHONE, purpose="sign_in", code=new) == PHONE


def test_rate_limit_per_phone_one_a_minute_five_an_hour(sms_outbox, clock):
    otp_request(phone=PHONE, purpose="sign_in", ip="10.0.0.1")
    exc = refused(otp_request, phone=PHONE, purpose="sign_in", ip="10.0.0.2")
    assert (exc.code, exc.status, exc.field) == ("rate_limited", 429, "phone")
    assert 55 <= exc.data["retry_after"] <= 60 and exc.data["scope"] == "phone"
    assert OtpChallenge.objects.count() == 1 and len(sms_outbox) == 1
    # The limit holds for the other purpose too: it is about the phone.
    assert refused(otp_request, phone=PHONE, purpose="enrol", ip=None).code == "rate_limited"

    for _ in range(4):
        clock.advance(61)
        otp_request(phone=PHONE, purpose="sign_in", ip="10.0.0.1")
    assert OtpChallenge.objects.count() == 5
    clock.advance(61)  # 305 s after the first: the hour's five are used
    exc = refused(otp_request, phone=PHONE, purpose="sign_in", ip="10.0.0.1")
    assert exc.code == "rate_limited"
    assert 3600 - 305 - 2 <= exc.data["retry_after"] <= 3600 - 305 + 1
    clock.advance(3600 - 305 + 1)  # the first one has left the window
    otp_request(phone=PHONE, purpose="sign_in", ip="10.0.0.1")
    assert OtpChallenge.objects.count() == 6


def test_rate_limit_per_ip_twenty_an_hour(sms_outbox, clock):
    for n in range(20):
        otp_request(phone=f"1390000{n:04d}", purpose="sign_in", ip="10.9.9.9")
    exc = refused(otp_request, phone="13900009999", purpose="sign_in", ip="10.9.9.9")
    assert (exc.code, exc.status, exc.data["scope"]) == ("rate_limited", 429, "ip")
    assert exc.field is None
    assert OtpChallenge.objects.count() == 20
    # The refused request did not use up that phone's own allowance.
    otp_request(phone="13900009999", purpose="sign_in", ip="10.9.9.8")
    clock.advance(3601)
    otp_request(phone="13900008888", purpose="sign_in", ip="10.9.9.9")
    assert OtpChallenge.objects.count() == 22


def test_rate_limits_work_on_redis(settings, sms_outbox):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/3", socket_connect_timeout=0.5).ping()
    except Exception:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    prefix = f"gh-h2a-test-{time.time_ns()}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/3",
            "KEY_PREFIX": prefix,
        }
    }
    from django.core.cache import cache

    try:
        otp_request(phone=PHONE, purpose="sign_in", ip="10.0.0.1")
        exc = refused(otp_request, phone=PHONE, purpose="sign_in", ip="10.0.0.1")
        assert exc.code == "rate_limited" and 55 <= exc.data["retry_after"] <= 60
        otp_request(phone="13912345679", purpose="sign_in", ip="10.0.0.1")
        assert OtpChallenge.objects.count() == 2
    finally:
        cache.clear()


def test_sms_failure_is_reported_and_nothing_is_sent(settings, sms_outbox, monkeypatch):
    from gonghui.core import sms

    def boom(**kw):
        raise OSError("gateway down")

    monkeypatch.setattr(sms, "sms_send", boom)
    exc = refused(otp_request, phone=PHONE, purpose="sign_in", ip=None)
    assert (exc.code, exc.status) == ("sms_failed", 503)


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_a_code_works_exactly_once_under_concurrency(sms_outbox):
    otp_request(phone=PHONE, purpose="sign_in", ip=None)
    code = last_code(sms_outbox, PHONE)
    workers = 10
    barrier = threading.Barrier(workers)

    def attempt(_: int) -> str:
        try:
            barrier.wait()
            return otp_verify(phone=PHONE, purpose="sign_in", code=code)
        except Refused as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(attempt, range(workers)))
    assert results.count(PHONE) == 1, results
    assert set(results) - {PHONE} <= {"otp_invalid", "otp_attempts", "otp_missing"}
    ch = OtpChallenge.objects.get()
    assert ch.consumed_at is not None and ch.attempts <= 5


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_wrong_codes_under_concurrency_use_exactly_the_cap(settings, sms_outbox):
    settings.GONGHUI_OTP_MAX_ATTEMPTS = 5
    otp_request(phone=PHONE, purpose="sign_in", ip=None)
    code = last_code(sms_outbox, PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    workers = 12
    barrier = threading.Barrier(workers)

    def attempt(_: int) -> str:
        try:
            barrier.wait()
            return otp_verify(phone=PHONE, purpose="sign_in", code=wrong)
        except Refused as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(attempt, range(workers)))
    assert results.count("otp_invalid") == 5, results
    assert results.count("otp_attempts") == workers - 5
    assert OtpChallenge.objects.get().attempts == 5


# --- Redis down: the limits move to database counters, they are not switched off ----------------
def test_codes_are_sent_and_limited_when_redis_is_down(dead_redis, sms_outbox):
    from gonghui.core.models import RateCounter

    otp_request(phone=PHONE, purpose="sign_in", ip="10.0.0.1")
    assert len(sms_outbox) == 1
    exc = refused(otp_request, phone=PHONE, purpose="sign_in", ip="10.0.0.2")
    assert (exc.code, exc.status, exc.field) == ("rate_limited", 429, "phone")
    assert 55 <= exc.data["retry_after"] <= 60 and exc.data["scope"] == "phone"
    assert len(sms_outbox) == 1 and OtpChallenge.objects.count() == 1
    assert RateCounter.objects.exists()
    # the code that was sent still signs in
    assert otp_verify(phone=PHONE, purpose="sign_in", code=last_code(sms_outbox, PHONE)) == PHONE


def test_ip_limit_holds_when_redis_is_down(dead_redis, sms_outbox):
    for n in range(20):
        otp_request(phone=f"1390000{n:04d}", purpose="sign_in", ip="10.9.9.9")
    exc = refused(otp_request, phone="13900009999", purpose="sign_in", ip="10.9.9.9")
    assert (exc.code, exc.status, exc.data["scope"]) == ("rate_limited", 429, "ip")
    assert OtpChallenge.objects.count() == 20
    # The refused request did not use up that phone's own allowance.
    otp_request(phone="13900009999", purpose="sign_in", ip="10.9.9.8")
    assert OtpChallenge.objects.count() == 21


def test_hourly_phone_limit_holds_when_redis_is_down(dead_redis, sms_outbox, monkeypatch):
    real = time.time
    offset = [0.0]
    monkeypatch.setattr(time, "time", lambda: real() + offset[0])
    for _ in range(5):
        otp_request(phone=PHONE, purpose="sign_in", ip=None)
        offset[0] += 61
    exc = refused(otp_request, phone=PHONE, purpose="sign_in", ip=None)
    assert exc.code == "rate_limited" and exc.data["scope"] == "phone"
    assert 3600 - 305 - 2 <= exc.data["retry_after"] <= 3600 - 305 + 1
    assert OtpChallenge.objects.count() == 5


def test_counters_never_hold_the_ip_or_phone_in_clear_when_redis_is_down(dead_redis, sms_outbox):
    # Issue #10 follow-up: one rate-limit mechanism (core.throttle), subjects stored as an HMAC.
    from gonghui.core.models import RateCounter

    otp_request(phone=PHONE, purpose="sign_in", ip="10.0.0.77")
    buckets = list(RateCounter.objects.values_list("bucket", flat=True))
    assert len(buckets) == 3
    index = pii.phone_index(PHONE)
    assert not any("10.0.0.77" in b or index in b for b in buckets), buckets
