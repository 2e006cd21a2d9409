"""Security configuration: headers, cookies, CSRF, and production settings (`check --deploy`)."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from gonghui.core.middleware import CSP_ADMIN, CSP_DEFAULT
from tests.factories import make_staff, org_root

PASSWORD = "correct-Horse-77"
REPO = Path(__file__).resolve().parents[2]


# --- headers --------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/api/v1/docs", "/m/", "/no-such-page/"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "microphone=()" in response["Permissions-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "object-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_pages_outside_admin_get_the_strict_policy(client):
    csp = client.get("/m/")["Content-Security-Policy"]
    assert csp == CSP_DEFAULT
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe" not in csp


@pytest.mark.django_db
def test_admin_gets_the_admin_policy(client):
    assert client.get("/admin/login/")["Content-Security-Policy"] == CSP_ADMIN


# --- cookies and CSRF -----------------------------------------------------------------------
@pytest.mark.django_db
def test_session_and_csrf_cookies_are_httponly_and_samesite(client):
    make_staff(org_root(), "federation_admin", username="alice", password=PASSWORD)
    page = client.get("/admin/login/")
    csrf = page.cookies["csrftoken"]
    assert csrf["samesite"] == "Lax"
    response = client.post(
        "/admin/login/",
        {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": csrf.value},
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert int(session["max-age"]) <= 12 * 60 * 60


@pytest.mark.django_db
def test_csrf_is_enforced_on_post():
    make_staff(org_root(), "federation_admin", username="alice", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_csrf_token_makes_the_same_post_pass():
    make_staff(org_root(), "federation_admin", username="alice", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    token = client.get("/admin/login/").cookies["csrftoken"].value
    response = client.post(
        "/admin/login/", {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


# --- production settings (each in a fresh process) ------------------------------------------
def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GONGHUI_", "DATABASE_URL", "REDIS_URL", "DJANGO_"))
    }
    env.update(
        GONGHUI_ENV="production",
        GONGHUI_SECRET_KEY=secrets.token_urlsafe(50),
        GONGHUI_PII_KEYS=f"k1:{_key()}",
        GONGHUI_BLIND_INDEX_KEY=_key(),
        GONGHUI_ALLOWED_HOSTS="gonghui.example.org",
        DATABASE_URL="postgres://gonghui@db.invalid:5432/gonghui",
        GONGHUI_VAR_DIR=str(tmp_path / "var"),
        # Production refuses the console backend (it logs live sign-in codes): a provider's.
        GONGHUI_SMS_BACKEND="tests.core.sms_provider.ProviderSmsBackend",
        # The fresh process imports this checkout's code (and tests/), not whatever an
        # editable install points at.
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]),
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def gonghui(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gonghui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_in_production(tmp_path):
    result = gonghui("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # Production never falls back to generated keys.
    assert not (tmp_path / "var" / "secrets.json").exists()


def test_check_deploy_flags_debug_in_production(tmp_path):
    """The check is real: turning DEBUG on in production makes it fail."""
    env = production_env(tmp_path, GONGHUI_DEBUG="true")
    result = gonghui("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


@pytest.mark.parametrize(
    "name",
    [
        "GONGHUI_SECRET_KEY",
        "GONGHUI_PII_KEYS",
        "GONGHUI_BLIND_INDEX_KEY",
        "GONGHUI_ALLOWED_HOSTS",
        "DATABASE_URL",
    ],
)
def test_production_refuses_to_start_without(tmp_path, name):
    result = gonghui("check", env=production_env(tmp_path, **{name: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} (or {name}_FILE) must be set when GONGHUI_ENV=production" in result.stderr


def test_an_empty_secret_counts_as_missing(tmp_path):
    result = gonghui("check", env=production_env(tmp_path, GONGHUI_SECRET_KEY=""))
    assert result.returncode != 0
    assert "GONGHUI_SECRET_KEY (or GONGHUI_SECRET_KEY_FILE) must be set" in result.stderr


def _settings_probe(env: dict[str, str]) -> dict[str, str]:
    code = (
        "import json; from gonghui import settings as s; print(json.dumps({"
        "'SECRET_KEY': s.SECRET_KEY, 'GONGHUI_PII_KEYS': s.GONGHUI_PII_KEYS, "
        "'GONGHUI_BLIND_INDEX_KEY': s.GONGHUI_BLIND_INDEX_KEY, "
        "'ALLOWED_HOSTS': ','.join(s.ALLOWED_HOSTS), 'DATABASE_URL': s.DATABASE_URL}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout)


def test_secrets_can_come_from_files(tmp_path):
    values = {
        "GONGHUI_SECRET_KEY": secrets.token_urlsafe(50),
        "GONGHUI_PII_KEYS": f"k2:{_key()},k1:{_key()}",
        "GONGHUI_BLIND_INDEX_KEY": _key(),
        "GONGHUI_ALLOWED_HOSTS": "a.example.org,b.example.org",
        "DATABASE_URL": "postgres://gonghui@db.invalid:5432/from_file",
    }
    overrides: dict[str, str | None] = {}
    for name, value in values.items():
        path = tmp_path / f"{name.lower()}.txt"
        path.write_text(value + "\n", encoding="utf-8")  # trailing newline as editors leave it
        overrides[name] = None
        overrides[f"{name}_FILE"] = str(path)
    env = production_env(tmp_path, **overrides)
    seen = _settings_probe(env)
    assert seen == {
        "SECRET_KEY": values["GONGHUI_SECRET_KEY"],
        "GONGHUI_PII_KEYS": values["GONGHUI_PII_KEYS"],
        "GONGHUI_BLIND_INDEX_KEY": values["GONGHUI_BLIND_INDEX_KEY"],
        "ALLOWED_HOSTS": values["GONGHUI_ALLOWED_HOSTS"],
        "DATABASE_URL": values["DATABASE_URL"],
    }
    result = gonghui("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_variable_wins_over_its_file(tmp_path):
    path = tmp_path / "key.txt"
    path.write_text("from-the-file-" + secrets.token_urlsafe(40), encoding="utf-8")
    env = production_env(tmp_path, GONGHUI_SECRET_KEY_FILE=str(path))
    assert _settings_probe(env)["SECRET_KEY"] == env["GONGHUI_SECRET_KEY"]


def test_embedded_default_needs_no_variable(tmp_path):
    env = production_env(tmp_path)
    for name in list(env):
        if name.startswith(("GONGHUI_", "DATABASE_URL")):
            del env[name]
    env["GONGHUI_VAR_DIR"] = str(tmp_path / "embedded")
    first = _settings_probe(env)
    assert first["DATABASE_URL"].startswith("sqlite:///")
    stored = tmp_path / "embedded" / "secrets.json"
    assert stored.exists() and oct(stored.stat().st_mode & 0o777) == "0o600"
    assert _settings_probe(env) == first  # generated once, then reused


# --- client address behind reverse proxies --------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trusted", "header", "seen"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy configured: the header is ignored
        (1, "203.0.113.9", "203.0.113.9"),  # one nginx appended the client
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client's own claim is not trusted
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),  # CDN + nginx
        (2, "203.0.113.9", "10.0.0.2"),  # fewer hops than proxies: keep the peer
        (1, "not-an-ip", "10.0.0.2"),
    ],
)
def test_forwarded_for_sets_the_client_address(client, settings, trusted, header, seen):
    settings.GONGHUI_TRUSTED_PROXIES = trusted
    post = {"username": "mallory", "password": "x-Wrong-password-1"}
    client.post("/admin/login/", post, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=header)
    from gonghui.core.models import AuditEntry

    assert AuditEntry.objects.get(action="staffauth.login.failure").ip == seen


def test_trusted_proxies_from_the_environment(tmp_path):
    env = production_env(tmp_path, GONGHUI_TRUSTED_PROXIES="1")
    code = "from gonghui import settings as s; print(s.GONGHUI_TRUSTED_PROXIES, s.MIDDLEWARE[0])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == ["1", "gonghui.core.middleware.ForwardedForMiddleware"]
