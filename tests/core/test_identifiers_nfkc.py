"""Identifiers are NFKC-normalised before validation; after that only ASCII digits count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from gonghui.core.identifiers import (
    InvalidIdentifier,
    identifier_message,
    is_ascii_digits,
    make_id_number,
    make_uscc,
    normalize_digits,
    normalize_member_no,
    normalize_phone,
    parse_id_number,
    validate_uscc,
)

ID = make_id_number(region="331021", birth=dt.date(1990, 5, 17), seq=123)
PERMIT_X = next(
    n
    for seq in range(1, 200)
    if (n := make_id_number(region="330102", birth=dt.date(1985, 1, 1), seq=seq)).endswith("X")
)
USCC = make_uscc("91331021MA2AXXXX0".replace("X", "1"))


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


@pytest.mark.parametrize(
    "typed",
    [
        fullwidth(ID),
        ID[:6] + fullwidth(ID[6:]),  # mixed width
        f" {ID[:6]} {ID[6:14]} {ID[14:]} ",
        ID[:6] + "\u3000" + ID[6:],  # ideographic space
        ID[:6] + "\u00a0" + ID[6:] + "\u200b",  # no-break and zero-width spaces
    ],
)
def test_id_number_typed_any_width_is_the_same_number(typed):
    assert parse_id_number(typed).number == ID


def test_fullwidth_lowercase_x_is_the_check_x():
    assert parse_id_number(fullwidth(PERMIT_X.lower())).number == PERMIT_X


def test_superscript_two_is_no_500():
    """``'²'.isdigit()`` is True and ``int('²')`` raises: NFKC reads it as 2 (and when that makes
    the number wrong, it is a clean InvalidIdentifier)."""
    i = ID.index("2")
    assert parse_id_number(ID[:i] + "²" + ID[i + 1 :]).number == ID
    bad = ID[:16] + "²" + ID[17]
    if bad.replace("²", "2") != ID:
        with pytest.raises(InvalidIdentifier):
            parse_id_number(bad)


@pytest.mark.parametrize("digit", ["٣", "३", "𝟑"[0:0] + "፫"])
def test_other_scripts_digits_are_refused_cleanly(digit):
    with pytest.raises(InvalidIdentifier) as exc:
        parse_id_number(ID[:10] + digit + ID[11:])
    assert exc.value.code == "id_chars"


def test_uscc_any_width_and_spaces():
    assert validate_uscc(fullwidth(USCC.lower())) == USCC
    assert validate_uscc(f"{USCC[:9]}\u3000{USCC[9:]}") == USCC
    with pytest.raises(InvalidIdentifier) as exc:
        validate_uscc(USCC[:3] + "٣" + USCC[4:])
    assert exc.value.code in {"uscc_chars", "uscc_region"}


def test_uscc_messages_are_in_zh_hans():
    codes = {}
    for bad in ("123", USCC[:5] + "I" + USCC[6:], USCC[:2] + "A" + USCC[3:], USCC[:17] + "0"):
        try:
            validate_uscc(bad)
        except InvalidIdentifier as exc:
            with translation.override("zh-hans"):
                codes[exc.code] = identifier_message(exc)
    assert set(codes) >= {"uscc_length", "uscc_chars", "uscc_check"}
    for message in codes.values():
        assert any("\u4e00" <= c <= "\u9fff" for c in message), message


def test_phone_any_width():
    assert normalize_phone(fullwidth("138 1234 5678")) == "13812345678"
    assert normalize_phone("138\u30001234\u30005678") == "13812345678"
    with pytest.raises(InvalidIdentifier):
        normalize_phone("138١٢٣٤٥٦٧٨")


def test_sms_code_and_member_number():
    assert normalize_digits(fullwidth("123 456")) == "123456"
    assert is_ascii_digits("123456") and not is_ascii_digits("12345²") and not is_ascii_digits("")
    assert normalize_member_no(fullwidth(" 00000000019 ")) == "00000000019"
