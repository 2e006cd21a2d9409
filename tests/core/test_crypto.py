"""AES-GCM tokens with key ids and purposes; blind index determinism; key rotation at the crypto level."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from gonghui.core import crypto

K1 = base64.b64encode(b"\x01" * 32).decode()
K2 = base64.b64encode(b"\x02" * 32).decode()
K3 = base64.b64encode(b"\x03" * 32).decode()


@pytest.fixture
def keys_k1(settings):
    settings.GONGHUI_PII_KEYS = f"k1:{K1}"
    return settings


@given(st.text(max_size=200))
@hsettings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_round_trip(keys_k1, text):
    token = crypto.encrypt(text, purpose="members.id_number")
    assert crypto.decrypt(token, purpose="members.id_number") == text
    assert token.startswith("v1.k1.")


def test_same_plaintext_gives_different_tokens(keys_k1):
    a = crypto.encrypt("11010519491231002X", purpose="members.id_number")
    b = crypto.encrypt("11010519491231002X", purpose="members.id_number")
    assert a != b
    assert "11010519491231002X" not in a


def test_purpose_binding(keys_k1):
    token = crypto.encrypt("13800138000", purpose="members.phone")
    assert crypto.decrypt(token, purpose="members.phone") == "13800138000"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, purpose="members.id_number")


@given(st.data())
@hsettings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
def test_tamper_detected(keys_k1, data):
    token = crypto.encrypt("11010519491231002X", purpose="p")
    version, kid, body = token.split(".", 2)
    raw = bytearray(base64.urlsafe_b64decode(body))
    pos = data.draw(st.integers(0, len(raw) - 1))
    bit = data.draw(st.integers(0, 7))
    raw[pos] ^= 1 << bit
    tampered = f"{version}.{kid}.{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, purpose="p")


@pytest.mark.parametrize("bad", ["", "garbage", "v2.k1.AAAA", "v1.nokey.AAAA"])
def test_malformed_tokens(keys_k1, bad):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(bad, purpose="p")


def test_truncated_token(keys_k1):
    token = crypto.encrypt("x", purpose="p")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token[:-8], purpose="p")


def test_token_under_other_key_with_same_kid_does_not_decrypt(settings):
    settings.GONGHUI_PII_KEYS = f"k1:{K1}"
    token = crypto.encrypt("x", purpose="p")
    settings.GONGHUI_PII_KEYS = f"k1:{K3}"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, purpose="p")


def test_rotation_old_tokens_decrypt_new_ones_use_first_key(settings):
    settings.GONGHUI_PII_KEYS = f"k1:{K1}"
    old = crypto.encrypt("old", purpose="p")
    assert crypto.token_key_id(old) == "k1"
    settings.GONGHUI_PII_KEYS = f"k2:{K2},k1:{K1}"
    assert crypto.active_key_id() == "k2"
    assert crypto.decrypt(old, purpose="p") == "old"
    new = crypto.encrypt("new", purpose="p")
    assert crypto.token_key_id(new) == "k2"
    # Once k1 is dropped, its tokens no longer decrypt; k2 tokens still do.
    settings.GONGHUI_PII_KEYS = f"k2:{K2}"
    assert crypto.decrypt(new, purpose="p") == "new"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old, purpose="p")


@pytest.mark.parametrize(
    "spec",
    ["", " , ", "k1", f":{K1}", f"k.1:{K1}", "k1:" + base64.b64encode(b"short").decode()],
)
def test_bad_key_specs(settings, spec):
    settings.GONGHUI_PII_KEYS = spec
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x", purpose="p")


def test_blind_index_deterministic_and_purpose_salted(settings):
    settings.GONGHUI_BLIND_INDEX_KEY = K1
    a = crypto.blind_index("13800138000", purpose="members.phone")
    assert a == crypto.blind_index("13800138000", purpose="members.phone")
    assert len(a) == 64 and "13800138000" not in a
    assert a != crypto.blind_index("13800138001", purpose="members.phone")
    assert a != crypto.blind_index("13800138000", purpose="members.id_number")
    settings.GONGHUI_BLIND_INDEX_KEY = K2
    assert a != crypto.blind_index("13800138000", purpose="members.phone")


def test_blind_index_independent_of_pii_keys(settings):
    settings.GONGHUI_BLIND_INDEX_KEY = K3
    settings.GONGHUI_PII_KEYS = f"k1:{K1}"
    a = crypto.blind_index("x", purpose="p")
    settings.GONGHUI_PII_KEYS = f"k2:{K2},k1:{K1}"
    assert crypto.blind_index("x", purpose="p") == a


@given(st.text(max_size=50), st.text(max_size=50))
def test_blind_index_injective_on_samples(a, b):
    if a != b:
        assert crypto.blind_index(a, purpose="p") != crypto.blind_index(b, purpose="p")
