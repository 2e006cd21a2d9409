"""Production refuses what is unsafe: personal-data keys that are not 32 bytes of base64 and the
console SMS backend (it logs live sign-in codes), at start-up and in ``check --deploy``."""

from __future__ import annotations

import base64
import secrets

import pytest
from django.core import checks

from tests.core.test_security import gonghui, production_env

GOOD = base64.b64encode(secrets.token_bytes(32)).decode()
GOOD2 = base64.b64encode(secrets.token_bytes(32)).decode()
SHORT = base64.b64encode(secrets.token_bytes(16)).decode()  # valid base64, 16 bytes
LONG = base64.b64encode(secrets.token_bytes(48)).decode()
URLSAFE = base64.urlsafe_b64encode(b"\xfb\xff" * 16).decode()  # '-' and '_': not base64
NOT_BASE64 = "correct horse battery staple"  # b64decode() would quietly make 15 bytes of it

BAD_PII_KEYS = {
    "short": f"k1:{SHORT}",
    "long": f"k1:{LONG}",
    "urlsafe": f"k1:{URLSAFE}",
    "not_base64": f"k1:{NOT_BASE64}",
    "no_kid": GOOD,
    "dot_in_kid": f"k.1:{GOOD}",
    "second_key_bad": f"k2:{GOOD},k1:{SHORT}",
    "duplicate_kid": f"k1:{GOOD},k1:{GOOD}",
}
BAD_INDEX_KEYS = {
    "short": SHORT,
    "long": LONG,
    "urlsafe": URLSAFE,
    "not_base64": NOT_BASE64,
    "changeme": "changeme",
}


# --- start-up (a fresh process in production mode) ------------------------------------------
@pytest.mark.parametrize("spec", BAD_PII_KEYS.values(), ids=BAD_PII_KEYS.keys())
def test_production_refuses_to_start_with_a_bad_pii_key(tmp_path, spec):
    result = gonghui("check", env=production_env(tmp_path, GONGHUI_PII_KEYS=spec))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "GONGHUI_PII_KEYS" in result.stderr
    assert GOOD not in result.stderr and SHORT not in result.stderr  # no key material echoed


@pytest.mark.parametrize("value", BAD_INDEX_KEYS.values(), ids=BAD_INDEX_KEYS.keys())
def test_production_refuses_to_start_with_a_bad_blind_index_key(tmp_path, value):
    result = gonghui("check", env=production_env(tmp_path, GONGHUI_BLIND_INDEX_KEY=value))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "GONGHUI_BLIND_INDEX_KEY" in result.stderr
    assert "32 bytes" in result.stderr


@pytest.mark.parametrize(
    "backend",
    [None, "gonghui.core.sms.ConsoleSmsBackend", "gonghui.core.sms.MemorySmsBackend"],
    ids=["unset", "console", "memory"],
)
def test_production_refuses_to_start_with_the_console_sms_backend(tmp_path, backend):
    result = gonghui("check", env=production_env(tmp_path, GONGHUI_SMS_BACKEND=backend))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "GONGHUI_SMS_BACKEND" in result.stderr


def test_production_starts_with_good_keys_and_a_provider_backend(tmp_path):
    env = production_env(tmp_path, GONGHUI_PII_KEYS=f"k2:{GOOD},k1:{GOOD2}")
    result = gonghui("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the system checks (fresh process, embedded mode: start-up does not refuse there) --------
def _embedded_env(tmp_path, **overrides):
    env = production_env(tmp_path, GONGHUI_ENV=None, DATABASE_URL=None, GONGHUI_SMS_BACKEND=None)
    env.update({k: v for k, v in overrides.items() if v is not None})
    return env


def test_check_deploy_names_a_bad_key_and_the_console_sms_backend(tmp_path):
    env = _embedded_env(tmp_path, GONGHUI_PII_KEYS=f"k1:{SHORT}", GONGHUI_BLIND_INDEX_KEY="x")
    result = gonghui("check", "--deploy", "--fail-level", "WARNING", env=env)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "core.E101" in out and "GONGHUI_PII_KEYS" in out
    assert "core.E102" in out and "GONGHUI_BLIND_INDEX_KEY" in out
    assert "core.E103" in out and "GONGHUI_SMS_BACKEND" in out


def test_plain_check_refuses_bad_keys_even_in_the_embedded_default(tmp_path):
    """Keys are checked by every command that runs the checks (runserver, migrate…); the SMS
    backend only by ``--deploy`` (the embedded default prints codes to the log on purpose)."""
    env = _embedded_env(tmp_path, GONGHUI_BLIND_INDEX_KEY=SHORT)
    result = gonghui("check", env=env)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "core.E102" in out and "core.E103" not in out


# --- the same checks in-process --------------------------------------------------------------
def _ids(**kw) -> set[str]:
    return {m.id for m in checks.run_checks(**kw) if m.id and m.id.startswith("core.")}


@pytest.mark.parametrize("spec", BAD_PII_KEYS.values(), ids=BAD_PII_KEYS.keys())
def test_check_flags_a_bad_pii_key(settings, spec):
    settings.GONGHUI_PII_KEYS = spec
    assert "core.E101" in _ids()


@pytest.mark.parametrize("value", BAD_INDEX_KEYS.values(), ids=BAD_INDEX_KEYS.keys())
def test_check_flags_a_bad_blind_index_key(settings, value):
    settings.GONGHUI_BLIND_INDEX_KEY = value
    assert "core.E102" in _ids()


def test_good_keys_pass(settings):
    settings.GONGHUI_PII_KEYS = f"k2:{GOOD}, k1:{GOOD2}"
    settings.GONGHUI_BLIND_INDEX_KEY = GOOD
    assert _ids() == set()


@pytest.mark.parametrize(
    ("backend", "code"),
    [
        ("gonghui.core.sms.ConsoleSmsBackend", "core.E103"),
        ("gonghui.core.sms.MemorySmsBackend", "core.E103"),
        ("gonghui.core.sms.NoSuchBackend", "core.E104"),
        ("tests.core.sms_provider.ProviderSmsBackend", None),
    ],
)
def test_deploy_check_of_the_sms_backend(settings, backend, code):
    settings.GONGHUI_SMS_BACKEND = backend
    assert _ids(include_deployment_checks=True) == ({code} if code else set())
    assert _ids() == set()  # not a check outside --deploy
