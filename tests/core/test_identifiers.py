"""Our own GB 11643 (ID number) and GB 32100 (USCC) validators, and phone normalisation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gonghui.core.identifiers import (
    USCC_ALPHABET,
    InvalidIdentifier,
    id_check_char,
    make_id_number,
    make_uscc,
    mask_id_number,
    mask_phone,
    normalize_phone,
    parse_id_number,
    uscc_check_char,
    validate_uscc,
)

TODAY = dt.date(2026, 6, 1)
ID_CHARS = "0123456789X"

# --- strategies ------------------------------------------------------------------------------
# Any six-digit region that does not start with 0: real ones, permit prefixes 81/82/83 and
# codes that exist in no table (99xxxx) alike.
regions = st.integers(min_value=100000, max_value=999999).map(str)
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
seqs = st.integers(min_value=0, max_value=999)


@st.composite
def id_numbers(draw: st.DrawFn) -> tuple[str, str, dt.date, int]:
    region = draw(regions)
    birth = draw(births)
    seq = draw(seqs)
    return make_id_number(region=region, birth=birth, seq=seq), region, birth, seq


uscc_bodies = st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2).flatmap(
    lambda head: st.tuples(
        st.just(head),
        st.text(alphabet="0123456789", min_size=6, max_size=6),
        st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
    ).map(lambda t: "".join(t))
)


# --- GB 11643: known vectors computed by hand --------------------------------------------------
def test_known_id_vector_standard_example():
    # 1 1 0 1 0 5 1 9 4 9 1 2 3 1 0 0 2 · 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    # = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2 → "10X98765432"[2] = X
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.gender == "F"  # 17th digit 2 is even
    assert parsed.region_code == "110105"
    assert not parsed.is_residence_permit


def test_known_id_vector_lower_case_x_and_spaces():
    assert parse_id_number(" 110105 19491231002x ", today=TODAY).number == "11010519491231002X"


def test_known_id_vector_residence_permit_hong_kong():
    # 8 1 0 0 0 0 1 9 9 4 0 8 2 3 0 0 2 · weights
    # = 56+9+0+0+0+0+2+9+54+12+0+72+20+15+0+0+4 = 253; 253 mod 11 = 0 → "1"
    parsed = parse_id_number("810000199408230021", today=TODAY)
    assert parsed.is_residence_permit
    assert parsed.birth_date == dt.date(1994, 8, 23)


def test_known_id_vector_before_1900_is_refused_though_check_is_right():
    # 4 4 0 5 2 4 1 8 8 0 0 1 0 1 0 0 1 · weights
    # = 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195; 195 mod 11 = 8 → "4"
    assert id_check_char("44052418800101001") == "4"
    with pytest.raises(InvalidIdentifier) as exc:
        parse_id_number("440524188001010014", today=TODAY)
    assert exc.value.code == "id_birth_date"


def test_known_id_vector_wrong_check():
    with pytest.raises(InvalidIdentifier) as exc:
        parse_id_number("110105194912310021", today=TODAY)
    assert exc.value.code == "id_check"


# --- GB 11643: properties ----------------------------------------------------------------------
@given(id_numbers())
def test_valid_id_round_trips(case):
    number, region, birth, seq = case
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date == birth
    assert parsed.region_code == region
    assert parsed.gender == ("M" if seq % 2 else "F")
    assert parsed.is_residence_permit == (region[:2] in {"81", "82", "83"})


@given(st.sampled_from(["81", "82", "83"]), st.integers(0, 9999), births, seqs)
def test_residence_permits_accepted(prefix, rest, birth, seq):
    number = make_id_number(region=f"{prefix}{rest:04d}", birth=birth, seq=seq)
    assert parse_id_number(number, today=TODAY).is_residence_permit


@given(st.integers(0, 9999), births, seqs)
def test_unknown_region_prefix_accepted(rest, birth, seq):
    number = make_id_number(region=f"99{rest:04d}", birth=birth, seq=seq)
    assert parse_id_number(number, today=TODAY).region_code == f"99{rest:04d}"


@given(id_numbers(), st.integers(0, 17), st.sampled_from(ID_CHARS))
def test_any_single_change_of_an_id_is_rejected(case, pos, char):
    number = case[0]
    assume(number[pos] != char)
    changed = number[:pos] + char + number[pos + 1 :]
    with pytest.raises(InvalidIdentifier):
        parse_id_number(changed, today=TODAY)


@given(id_numbers(), st.integers(0, 16))
def test_single_digit_change_is_caught_by_the_check_char_alone(case, pos):
    """MOD 11-2 detects every single substitution, whatever the date rule says."""
    first17 = case[0][:17]
    for d in "0123456789":
        if d != first17[pos]:
            changed = first17[:pos] + d + first17[pos + 1 :]
            assert id_check_char(changed) != case[0][17]


@given(
    st.dates(min_value=TODAY + dt.timedelta(days=1), max_value=dt.date(9999, 12, 31)), regions, seqs
)
def test_future_birth_date_rejected(birth, region, seq):
    number = make_id_number(region=region, birth=birth, seq=seq)
    with pytest.raises(InvalidIdentifier) as exc:
        parse_id_number(number, today=TODAY)
    assert exc.value.code == "id_birth_date"


def test_future_birth_date_rejected_against_the_real_today():
    tomorrow = dt.date.today() + dt.timedelta(days=1)  # noqa: DTZ011
    with pytest.raises(InvalidIdentifier):
        parse_id_number(make_id_number(region="331021", birth=tomorrow, seq=1))


@pytest.mark.parametrize(
    "date8",
    [
        "19990230",
        "20010229",
        "19991301",
        "19990001",
        "19990100",
        "19990431",
        "00000000",
        "18991231",
    ],
)
def test_impossible_birth_dates_rejected(date8):
    first17 = f"331021{date8}123"
    with pytest.raises(InvalidIdentifier) as exc:
        parse_id_number(first17 + id_check_char(first17), today=TODAY)
    assert exc.value.code == "id_birth_date"


def test_leap_day_accepted():
    assert (
        parse_id_number(make_id_number(region="331021", birth=dt.date(2000, 2, 29), seq=5)).gender
        == "M"
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "id_length"),
        ("33102119900101123", "id_length"),
        ("3310211990010112345", "id_length"),
        ("33102119900101A23X", "id_chars"),
        ("X31021199001011234", "id_chars"),
        ("031021199001011235", "id_region"),
    ],
)
def test_malformed_ids(value, code):
    with pytest.raises(InvalidIdentifier) as exc:
        parse_id_number(value, today=TODAY)
    assert exc.value.code == code


def test_mask_id_number():
    assert mask_id_number("11010519491231002X") == "110***********002X"


# --- GB 32100 ----------------------------------------------------------------------------------
def test_known_uscc_vectors_computed_by_hand():
    # 9 1 3 3 1 0 2 1 · 1 3 9 27 19 26 16 17 = 9+3+27+81+19+0+32+17 = 188; 188 mod 31 = 2;
    # 31-2 = 29 → alphabet[29] = X
    assert validate_uscc("91331021000000000X") == "91331021000000000X"
    # Y = 30: 30+3+27+81+19+0+32+17 = 209; 209 mod 31 = 23; 31-23 = 8 → "8"
    assert validate_uscc("Y13310210000000008") == "Y13310210000000008"
    # Union code, 8 first: 8+3+27+81+19+0+32+17 = 187; 187 mod 31 = 1; 31-1 = 30 → Y
    assert validate_uscc("81331021000000000Y") == "81331021000000000Y"
    # A published enterprise code.
    assert validate_uscc("91350100m000100y43") == "91350100M000100Y43"


@pytest.mark.parametrize("head", ["N", "Y", "A", "1", "5", "8", "9", "G", "J"])
def test_letter_first_and_union_codes_valid(head):
    code = make_uscc(f"{head}1331021MA2H0T8Q5")
    assert validate_uscc(code) == code


@given(uscc_bodies)
def test_any_uscc_with_right_check_char_is_valid(body):
    assert validate_uscc(make_uscc(body)) == make_uscc(body)


@given(
    st.sampled_from("NYA"),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)
def test_letter_first_codes_valid(head, digits, tail):
    code = make_uscc(head + digits + tail)
    assert validate_uscc(code) == code


@given(
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)
def test_union_codes_starting_81_valid(region, tail):
    code = make_uscc("81" + region + tail)
    assert validate_uscc(code) == code


@given(uscc_bodies, st.integers(0, 17), st.sampled_from("IOSVZ"))
def test_forbidden_characters_rejected(body, pos, bad):
    code = make_uscc(body)
    changed = code[:pos] + bad + code[pos + 1 :]
    with pytest.raises(InvalidIdentifier) as exc:
        validate_uscc(changed)
    assert exc.value.code == "uscc_chars"


@given(uscc_bodies, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_any_single_substitution_in_uscc_detected(body, pos, char):
    code = make_uscc(body)
    assume(code[pos] != char)
    changed = code[:pos] + char + code[pos + 1 :]
    with pytest.raises(InvalidIdentifier):
        validate_uscc(changed)


@given(uscc_bodies, st.integers(0, 16), st.sampled_from(USCC_ALPHABET))
def test_uscc_check_char_alone_detects_substitution(body, pos, char):
    assume(body[pos] != char)
    assert uscc_check_char(body[:pos] + char + body[pos + 1 :]) != uscc_check_char(body)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("9133102100000000X", "uscc_length"),
        ("91331021000000000XX", "uscc_length"),
        ("91-331021000000000X", "uscc_length"),
        ("91A31021000000000X", "uscc_region"),
    ],
)
def test_malformed_usccs(value, code):
    with pytest.raises(InvalidIdentifier) as exc:
        validate_uscc(value)
    assert exc.value.code == code


# --- phones ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+8613800138000",
        "0086 13800138000",
        "8613800138000",
    ],
)
def test_phone_normalised_to_11_digits(raw):
    assert normalize_phone(raw) == "13800138000"


@given(st.sampled_from(["138", "139", "150", "186", "199", "177"]), st.integers(0, 99999999))
def test_mobile_numbers_round_trip(prefix, rest):
    phone = f"{prefix}{rest:08d}"
    assert normalize_phone(phone) == phone
    assert normalize_phone(f"+86 {phone}") == phone


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("abc", "phone_format"),
        ("", "phone_format"),
        ("12345", "phone_invalid"),
        ("1380013800", "phone_invalid"),
        ("10012345678", "phone_invalid"),
        ("+1 650 253 0000", "phone_invalid"),
        ("0571-87654321", "phone_not_mobile"),
    ],
)
def test_bad_phones(raw, code):
    with pytest.raises(InvalidIdentifier) as exc:
        normalize_phone(raw)
    assert exc.value.code == code


def test_mask_phone():
    assert mask_phone("13800138000") == "138****8000"
