"""The one Idempotency-Key check (core.idempotency): what the scan, the checkout's void and the
console's void accept and refuse."""

from __future__ import annotations

import pytest

from gonghui.core.errors import Refused
from gonghui.core.idempotency import idempotency_key_check


@pytest.mark.parametrize(
    "value, key",
    [
        ("abc", "abc"),
        ("  9f1c-2a_b.c:d  ", "9f1c-2a_b.c:d"),
        ("x" * 64, "x" * 64),
        ("0192b7d4-5c1e-7b3a-9f00-1234567890ab", "0192b7d4-5c1e-7b3a-9f00-1234567890ab"),
    ],
)
def test_a_usable_key_comes_back_stripped(value, key):
    assert idempotency_key_check(value) == key


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_key_is_required(value):
    with pytest.raises(Refused) as exc:
        idempotency_key_check(value)
    assert exc.value.code == "idempotency_key_required"
    assert exc.value.field == "Idempotency-Key" and exc.value.status == 400


@pytest.mark.parametrize("value", ["x" * 65, "a b", "a/b", "ключ", "键", "a\uff1ab", "a\x00b"])
def test_a_malformed_key_is_invalid(value):
    with pytest.raises(Refused) as exc:
        idempotency_key_check(value)
    assert exc.value.code == "idempotency_key_invalid"
    assert exc.value.field == "Idempotency-Key" and exc.value.status == 400
