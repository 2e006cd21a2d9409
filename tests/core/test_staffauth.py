"""Staff sign-in: throttled, audited admin login with an optional TOTP second factor."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.contrib import admin
from django.test import Client
from django.urls import resolve

from gonghui.core import crypto
from gonghui.core.models import PURPOSE_STAFF_TOTP, AuditEntry, StaffTotp
from gonghui.orgs.models import Org, Role
from gonghui.staffauth import services, throttle
from gonghui.staffauth.forms import StaffLoginForm
from gonghui.staffauth.views import staff_login
from tests.factories import make_staff, org_child, org_root

PASSWORD = "correct-Horse-77"
LOGIN = "/admin/login/"


def post_login(client: Client, username: str, password: str, code: str = "", ip: str = "10.0.0.1"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "otp_code": code, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def activate_totp(user) -> str:
    record = services.totp_enrol_start(user=user)
    secret = services.totp_secret(record)
    services.totp_confirm(user=user, code=pyotp.TOTP(secret).now())
    # Confirming used the current step; sign-in tests need a fresh one.
    StaffTotp.objects.filter(pk=record.pk).update(last_used_step=None)
    return secret


@pytest.fixture
def staff(db):
    fed = org_root()
    return make_staff(fed, Role.FEDERATION_ADMIN, username="alice", password=PASSWORD)


# --- wiring ---------------------------------------------------------------------------------
def test_admin_login_is_ours():
    assert resolve(LOGIN).func is staff_login
    assert admin.site.login_form is StaffLoginForm


@pytest.mark.django_db
def test_login_page_renders_code_field(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="otp_code"' in response.content
    assert b'name="password"' in response.content


# --- password -------------------------------------------------------------------------------
def test_right_password_signs_in_rotates_session_and_audits(client, staff):
    client.get(LOGIN)
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    response = post_login(client, "alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert signed_in(client)
    assert client.session.session_key != before
    entry = AuditEntry.objects.get(action="staffauth.login.success")
    assert entry.actor_id == staff.pk and entry.ip == "10.0.0.1"


@pytest.mark.parametrize("next_url", [None, "", "https://evil.example/phish", "//evil.example/"])
def test_sign_in_without_a_safe_next_lands_on_the_console(client, staff, next_url):
    """No ``next`` (or one pointing off-site) falls back to the console index, not to Django's
    LOGIN_REDIRECT_URL (/accounts/profile/, a 404 here)."""
    data = {"username": "alice", "password": PASSWORD, "otp_code": ""}
    if next_url is not None:
        data["next"] = next_url
    response = client.post(LOGIN, data, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get(response["Location"]).status_code == 200


def test_argon2_is_the_hasher(staff):
    assert staff.password.startswith("argon2")


def test_wrong_password_is_refused_and_audited_without_the_password(client, staff):
    response = post_login(client, "alice", "wrong-Secret-1")
    assert response.status_code == 200
    assert not signed_in(client)
    entry = AuditEntry.objects.get(action="staffauth.login.failure")
    assert entry.actor_label == "alice" and entry.actor_id is None
    assert entry.data == {"reason": "password"} and entry.ip == "10.0.0.1"
    every_field = " ".join(
        str(v) for v in AuditEntry.objects.values_list("actor_label", "data", "object_repr")
    )
    assert "wrong-Secret-1" not in every_field


def test_non_staff_with_right_password_is_refused(client, db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="bob", password=PASSWORD, is_staff=False)
    response = post_login(client, "bob", PASSWORD)
    assert response.status_code == 200 and not signed_in(client)
    assert AuditEntry.objects.get(action="staffauth.login.failure").data == {"reason": "not_staff"}


# --- throttling -----------------------------------------------------------------------------
def test_five_failures_lock_the_username_even_for_the_right_password(client, staff):
    for _ in range(4):
        assert post_login(client, "alice", "nope-nope-1").status_code == 200
    assert not AuditEntry.objects.filter(action="staffauth.login.lockout").exists()
    response = post_login(client, "alice", "nope-nope-1")
    assert response.status_code == 200 and response.context["form"].has_error("__all__", "locked")
    lockout = AuditEntry.objects.get(action="staffauth.login.lockout")
    assert lockout.actor_label == "alice" and lockout.data["scope"] == "username"
    assert lockout.data["seconds"] == 900

    # Right password, other IP, other case: still locked.
    response = post_login(Client(), "ALICE", PASSWORD, ip="10.9.9.9")
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action="staffauth.login.success").exists()
    assert (
        AuditEntry.objects.filter(action="staffauth.login.failure", data__reason="locked").count()
        == 1
    )
    assert AuditEntry.objects.filter(action="staffauth.login.failure").count() == 6


def test_lock_message_names_the_minutes(client, staff, settings):
    settings.LANGUAGE_CODE = "en"
    for _ in range(5):
        post_login(client, "alice", "nope-nope-1")
    response = client.post(
        LOGIN,
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "locked for 15 more minutes" in response.content.decode()


def test_lock_expires(client, staff, settings):
    settings.GONGHUI_STAFF_LOGIN_LOCKOUT_SECONDS = 1
    for _ in range(5):
        post_login(client, "alice", "nope-nope-1")
    other = Client()
    post_login(other, "alice", PASSWORD)
    assert not signed_in(other)
    time.sleep(1.2)
    post_login(other, "alice", PASSWORD)
    assert signed_in(other)


def test_success_clears_the_username_counter(client, staff):
    for _ in range(4):
        post_login(client, "alice", "nope-nope-1")
    post_login(client, "alice", PASSWORD)
    assert signed_in(client)
    other = Client()
    for _ in range(4):
        post_login(other, "alice", "nope-nope-1")
    assert not AuditEntry.objects.filter(action="staffauth.login.lockout").exists()


def test_ip_is_locked_after_many_usernames(client, staff, settings):
    settings.GONGHUI_STAFF_LOGIN_MAX_FAILURES_PER_IP = 3
    for name in ("u1", "u2", "u3"):
        post_login(client, name, "nope-nope-1", ip="10.6.6.6")
    lock = AuditEntry.objects.get(action="staffauth.login.lockout")
    assert lock.data["scope"] == "ip" and lock.ip == "10.6.6.6"
    post_login(client, "alice", PASSWORD, ip="10.6.6.6")
    assert not signed_in(client)
    post_login(client, "alice", PASSWORD, ip="10.7.7.7")
    assert signed_in(client)


def test_throttle_on_redis(monkeypatch, db):  # locks are also looked up in the database
    """Same limits through Django's Redis cache backend (what production uses with REDIS_URL)."""
    redis = pytest.importorskip("redis")
    location = "redis://127.0.0.1:6379/13"
    try:
        redis.Redis.from_url(location).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    from django.core.cache.backends.redis import RedisCache

    cache = RedisCache(location, {"KEY_PREFIX": "gonghui-test-staffauth"})
    monkeypatch.setattr(throttle, "cache", cache)
    throttle.lock_clear(username="carol", ip="10.1.1.1")
    try:
        started = []
        for _ in range(5):
            started += throttle.failure_register(username="carol", ip="10.1.1.1")
        assert [lock.scope for lock in started] == ["username"]
        lock = throttle.current_lock(username="Carol", ip="10.2.2.2")
        assert lock is not None and lock.scope == "username" and 890 <= lock.seconds_left <= 900
        assert throttle.current_lock(username="dave", ip="10.2.2.2") is None
    finally:
        throttle.lock_clear(username="carol", ip="10.1.1.1")


def test_sign_in_works_and_locks_hold_when_redis_is_down(client, staff, dead_redis):
    """A Redis outage degrades staff sign-in to database counters: no 500, and the fifth
    failure still locks the username, even against the right password."""
    response = post_login(client, "alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    client.logout()
    for _ in range(5):
        response = post_login(client, "alice", "wrong-Password-1")
        assert response.status_code == 200
    assert "locked" in response.content.decode().lower() or "锁定" in response.content.decode()
    assert AuditEntry.objects.filter(action="staffauth.login.lockout").count() == 1
    post_login(client, "ALICE", PASSWORD)
    assert not signed_in(client)
    assert throttle.current_lock(username="alice", ip=None).scope == "username"
    throttle.lock_clear(username="alice")
    post_login(client, "alice", PASSWORD)
    assert signed_in(client)


def test_ip_lock_holds_when_redis_is_down(client, staff, settings, dead_redis):
    settings.GONGHUI_STAFF_LOGIN_MAX_FAILURES_PER_IP = 3
    for n in range(3):
        post_login(client, f"nobody{n}", "wrong-Password-1", ip="10.6.6.6")
    post_login(client, "alice", PASSWORD, ip="10.6.6.6")
    assert not signed_in(client)
    post_login(client, "alice", PASSWORD, ip="10.7.7.7")
    assert signed_in(client)


def test_a_lock_taken_during_an_outage_outlives_it(staff, settings):
    """Locks written to the database while Redis was down still hold once the cache is back."""
    dead = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    settings.CACHES = dead
    for _ in range(5):
        throttle.failure_register(username="alice", ip="10.1.1.1")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    lock = throttle.current_lock(username="alice", ip="10.2.2.2")
    assert lock is not None and lock.scope == "username" and 890 <= lock.seconds_left <= 900
    throttle.lock_clear(username="alice")
    assert throttle.current_lock(username="alice", ip="10.2.2.2") is None


# --- TOTP enrolment -------------------------------------------------------------------------
def test_enrol_page_shows_qr_and_secret_encrypted_at_rest(client, staff):
    client.force_login(staff)
    response = client.get("/admin/security/totp/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'src="data:image/svg+xml' in html
    record = StaffTotp.objects.get(user=staff)
    secret = crypto.decrypt(record.secret_cipher, purpose=PURPOSE_STAFF_TOTP)
    assert len(secret) == 32 and secret not in record.secret_cipher
    assert record.secret_cipher.startswith("v1.")
    grouped = " ".join(secret[i : i + 4] for i in range(0, 32, 4))
    assert grouped in html
    assert record.confirmed_at is None
    # The same pending secret until confirmed (a reload does not change what was scanned).
    client.get("/admin/security/totp/")
    assert StaffTotp.objects.get(user=staff).secret_cipher == record.secret_cipher


def test_secret_cannot_be_moved_to_another_purpose(staff):
    record = services.totp_enrol_start(user=staff)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(record.secret_cipher, purpose="members.phone")


def test_confirm_needs_a_valid_code(client, staff):
    client.force_login(staff)
    client.get("/admin/security/totp/")
    secret = services.totp_secret(StaffTotp.objects.get(user=staff))
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    response = client.post("/admin/security/totp/", {"action": "confirm", "code": wrong})
    assert response.status_code == 200
    assert StaffTotp.objects.get(user=staff).confirmed_at is None
    response = client.post(
        "/admin/security/totp/", {"action": "confirm", "code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 302
    assert StaffTotp.objects.get(user=staff).confirmed_at is not None
    entry = AuditEntry.objects.get(action="staffauth.totp.activate")
    assert entry.actor_id == staff.pk and secret not in str(entry.data)


def test_restart_makes_a_new_secret(client, staff):
    client.force_login(staff)
    client.get("/admin/security/totp/")
    first = StaffTotp.objects.get(user=staff).secret_cipher
    client.post("/admin/security/totp/", {"action": "restart"})
    assert StaffTotp.objects.get(user=staff).secret_cipher != first


def test_enrol_page_needs_a_staff_session(client, db):
    response = client.get("/admin/security/totp/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- TOTP at sign-in ------------------------------------------------------------------------
def test_active_totp_requires_a_code_at_login(client, staff):
    secret = activate_totp(staff)
    post_login(client, "alice", PASSWORD)
    assert not signed_in(client)
    assert (
        AuditEntry.objects.filter(action="staffauth.login.failure", data__reason="totp").count()
        == 1
    )
    post_login(
        client,
        "alice",
        PASSWORD,
        code="000000" if pyotp.TOTP(secret).now() != "000000" else "111111",
    )
    assert not signed_in(client)
    post_login(client, "alice", PASSWORD, code=pyotp.TOTP(secret).now())
    assert signed_in(client)


def test_a_code_works_once(staff):
    secret = activate_totp(staff)
    totp = pyotp.TOTP(secret)
    step = totp.timecode(services.now())
    code = totp.generate_otp(step)
    assert services.totp_verify(user=staff, code=code) is True
    assert services.totp_verify(user=staff, code=code) is False  # replay
    assert services.totp_verify(user=staff, code=totp.generate_otp(step - 1)) is False  # older
    assert services.totp_verify(user=staff, code=totp.generate_otp(step + 1)) is True  # next step
    assert services.totp_verify(user=staff, code=totp.generate_otp(step + 2)) is False  # too far


def test_replayed_code_at_login_is_refused(client, staff):
    secret = activate_totp(staff)
    code = pyotp.TOTP(secret).now()
    post_login(client, "alice", PASSWORD, code=code)
    assert signed_in(client)
    second = Client()
    post_login(second, "alice", PASSWORD, code=code)
    assert not signed_in(second)


def test_wrong_codes_count_towards_the_lock(client, staff):
    secret = activate_totp(staff)
    now_code = pyotp.TOTP(secret).now()
    bad = "123456" if now_code != "123456" else "654321"
    for _ in range(5):
        post_login(client, "alice", PASSWORD, code=bad)
    assert AuditEntry.objects.filter(action="staffauth.login.lockout").count() == 1
    post_login(client, "alice", PASSWORD, code=pyotp.TOTP(secret).now())
    assert not signed_in(client)


def test_user_can_turn_totp_off_with_a_code(client, staff):
    secret = activate_totp(staff)
    client.force_login(staff)
    client.post("/admin/security/totp/", {"action": "disable", "code": "not-a-code"})
    assert StaffTotp.objects.filter(user=staff, confirmed_at__isnull=False).exists()
    response = client.post(
        "/admin/security/totp/", {"action": "disable", "code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 302
    assert not StaffTotp.objects.filter(user=staff).exists()
    assert AuditEntry.objects.filter(action="staffauth.totp.disable", actor=staff).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_use_of_one_code_succeeds_once():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://… (SQLite serialises writers)")
    fed = org_root()
    user = make_staff(fed, Role.FEDERATION_ADMIN, username="racer", password=PASSWORD)
    secret = activate_totp(user)
    code = pyotp.TOTP(secret).now()
    workers = 20
    barrier = threading.Barrier(workers)

    def attempt(_: int) -> bool:
        try:
            barrier.wait()
            return services.totp_verify(user=user, code=code)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(attempt, range(workers)))
    assert results.count(True) == 1


# --- reset by a federation admin ------------------------------------------------------------
@pytest.fixture
def tree(db):
    fed = org_root()
    district = org_child(fed, kind=Org.Kind.DISTRICT)
    union = org_child(district)
    other_fed = org_root()
    return {
        "fed": fed,
        "district": district,
        "union": union,
        "fed_admin": make_staff(fed, Role.FEDERATION_ADMIN, username="fedadmin", password=PASSWORD),
        "district_admin": make_staff(
            district, Role.FEDERATION_ADMIN, username="distadmin", password=PASSWORD
        ),
        "union_admin": make_staff(
            union, Role.UNION_ADMIN, username="unionadmin", password=PASSWORD
        ),
        "other_admin": make_staff(
            other_fed, Role.FEDERATION_ADMIN, username="otheradmin", password=PASSWORD
        ),
    }


def test_federation_admin_resets_totp_in_subtree(client, tree):
    target = tree["union_admin"]
    activate_totp(target)
    client.force_login(tree["fed_admin"])
    listing = client.get("/admin/security/totp/reset/")
    assert listing.status_code == 200 and "unionadmin" in listing.content.decode()
    assert "otheradmin" not in listing.content.decode()
    response = client.post(f"/admin/security/totp/reset/{target.pk}/")
    assert response.status_code == 302
    assert not StaffTotp.objects.filter(user=target).exists()
    entry = AuditEntry.objects.get(action="staffauth.totp.reset")
    assert entry.actor_id == tree["fed_admin"].pk
    assert entry.object_id == str(target.pk) and entry.org_id == tree["union"].pk
    # The target signs in with the password alone again.
    post_login(Client(), "unionadmin", PASSWORD)


def test_reset_outside_subtree_answers_404(client, tree):
    activate_totp(tree["other_admin"])
    activate_totp(tree["fed_admin"])
    client.force_login(tree["district_admin"])
    for target in (tree["other_admin"], tree["fed_admin"]):
        assert client.post(f"/admin/security/totp/reset/{target.pk}/").status_code == 404
    assert StaffTotp.objects.count() == 2
    assert not AuditEntry.objects.filter(action="staffauth.totp.reset").exists()


def test_union_admin_cannot_reset(client, tree):
    activate_totp(tree["district_admin"])
    client.force_login(tree["union_admin"])
    assert client.get("/admin/security/totp/reset/").status_code == 404
    assert (
        client.post(f"/admin/security/totp/reset/{tree['district_admin'].pk}/").status_code == 404
    )
    assert StaffTotp.objects.count() == 1


def test_superuser_is_out_of_a_federation_admins_scope(client, tree):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    activate_totp(root)
    client.force_login(tree["fed_admin"])
    assert client.post(f"/admin/security/totp/reset/{root.pk}/").status_code == 404
    assert StaffTotp.objects.filter(user=root).exists()


def test_account_menu_links(rf, tree):
    from gonghui.staffauth.views import account_links

    request = rf.get("/admin/")
    request.user = tree["fed_admin"]
    assert [link["link"] for link in account_links(request)] == [
        "/admin/security/totp/",
        "/admin/security/totp/reset/",
    ]
    request.user = tree["union_admin"]
    assert [link["link"] for link in account_links(request)] == ["/admin/security/totp/"]


# --- key rotation ---------------------------------------------------------------------------
def test_rotate_totp_key_reencrypts_under_the_new_key(staff, settings):
    import base64
    import io
    import os

    from django.core.management import call_command

    secret = activate_totp(staff)
    old_spec = settings.GONGHUI_PII_KEYS
    old_kid = crypto.active_key_id()
    new_key = base64.b64encode(os.urandom(32)).decode()
    settings.GONGHUI_PII_KEYS = f"k9:{new_key},{old_spec}"
    out = io.StringIO()
    call_command("rotate_totp_key", stdout=out)
    assert "'k9': 1" in out.getvalue()
    record = StaffTotp.objects.get(user=staff)
    assert record.secret_cipher.startswith("v1.k9.") and old_kid != "k9"
    settings.GONGHUI_PII_KEYS = f"k9:{new_key}"  # the old key is gone: the factor still works
    assert services.totp_secret(record) == secret
    assert services.totp_verify(user=staff, code=pyotp.TOTP(secret).now())
    call_command("rotate_totp_key", stdout=(again := io.StringIO()))
    assert "'k9': 0" in again.getvalue()
    assert AuditEntry.objects.filter(action="staffauth.totp.rotate_key").count() == 2


def test_totp_codes_are_nfkc_normalised_and_only_ascii_digits_count(staff):
    # Issue #10 follow-up: full-width digits (a Chinese IME) are the same code; other digits
    # (Arabic-Indic, which str.isdigit() takes) are refused, never a server error.
    secret = activate_totp(staff)
    totp = pyotp.TOTP(secret)
    code = totp.now()
    arabic = "".join(chr(0x0660 + int(d)) for d in code)
    assert services.totp_verify(user=staff, code=arabic) is False
    full_width = "".join(chr(0xFF10 + int(d)) for d in code)
    assert services.totp_verify(user=staff, code=f" {full_width[:3]}\u3000{full_width[3:]} ")
    assert services.totp_verify(user=staff, code=code) is False  # the same code, used once
