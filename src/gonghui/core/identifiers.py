"""Our own validators for Chinese identifiers and phones.

- GB 11643-1999 citizen identity number (公民身份号码): 6-digit address code, 8-digit birth date,
  3-digit sequence (odd = male), ISO 7064 MOD 11-2 check character (0-9 or X).
  Residence-permit numbers for Hong Kong, Macao and Taiwan residents (prefixes 81, 82, 83) follow
  the same structure and are accepted. The address code is information only: an unknown region
  is never a reason to refuse. The birth date must be a real date, not in the future, not before 1900.
- GB 32100-2015 unified social credit code (统一社会信用代码): 18 characters from a 31-character
  alphabet (no I, O, S, V, Z), ISO 7064 MOD 31-3 check character. Codes may start with a letter
  (e.g. 'N' for rural collectives, 'Y' for others); trade unions' own codes start with '81'.

python-stdnum's ``cn.ric`` and ``cn.uscc`` are not used: the former raises on unknown regions,
rejects 81/82/83 and accepts future birth years; the latter rejects valid letter-first codes.

Every identifier (ID number, USCC, phone, SMS code, member number) goes through
:func:`normalize_identifier` before it is validated: Unicode NFKC (full-width ``１２３`` and
``ｘ`` become ``123`` and ``x``, ``²`` becomes ``2``), every kind of space (ASCII, no-break,
ideographic ``\u3000``) and invisible format character (zero-width space, BOM) removed. After
that only ASCII digits count as digits: ``str.isdigit()`` also accepts ``²``, ``٣`` and friends,
on which ``int()`` raises or silently converts, so the validators use :func:`is_ascii_digits`.
The same person therefore always gets the same normalised number, and so the same blind index.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.utils.translation import gettext

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"  # index = sum % 11
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
PERMIT_PREFIXES = {"81": "HK", "82": "MO", "83": "TW"}


class InvalidIdentifier(ValueError):
    """Raised with a stable ``code`` and a plain-language English reason (translated at the edge)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def identifier_message(exc: InvalidIdentifier) -> str:
    """The reason of ``exc`` in the active language (zh-hans by default)."""
    messages = {
        "id_length": gettext("An ID number has 18 characters."),
        "id_chars": gettext("An ID number is 17 digits followed by a digit or X."),
        "id_region": gettext("An ID number cannot start with 0."),
        "id_birth_date": gettext("The birth date in the ID number is not a real, past date."),
        "id_check": gettext("The check character of the ID number is wrong."),
        "uscc_length": gettext("A unified social credit code has 18 characters."),
        "uscc_chars": gettext(
            "A unified social credit code uses only digits and the capital letters "
            "A–Y without I, O, S, V and Z."
        ),
        "uscc_region": gettext(
            "Characters 3 to 8 of a unified social credit code are a region code (digits)."
        ),
        "uscc_check": gettext("The check character of the unified social credit code is wrong."),
        "phone_format": gettext("This is not a phone number."),
        "phone_invalid": gettext("This is not a valid mainland China phone number."),
        "phone_not_mobile": gettext("A mobile number is needed to receive SMS codes."),
    }
    return messages.get(exc.code, exc.reason)


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: dt.date
    gender: str  # "M" or "F"
    region_code: str
    is_residence_permit: bool


def id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


ASCII_DIGITS = frozenset("0123456789")


def normalize_identifier(value: str) -> str:
    """NFKC, without any space or invisible format character; case kept."""
    s = unicodedata.normalize("NFKC", value or "")
    return "".join(c for c in s if not c.isspace() and unicodedata.category(c) != "Cf")


def is_ascii_digits(value: str) -> bool:
    """True for a non-empty string of 0-9 only (unlike ``str.isdigit``, which takes ``²``)."""
    return bool(value) and all(c in ASCII_DIGITS for c in value)


def normalize_digits(value: str) -> str:
    """An identifier made of digits (SMS code, member number), normalised: full-width digits
    become ASCII; the caller checks :func:`is_ascii_digits` and the length."""
    return normalize_identifier(value)


def normalize_member_no(value: str) -> str:
    """A member number as typed (full-width digits, spaces) → the stored form."""
    return normalize_identifier(value)


def normalize_id_number(value: str) -> str:
    return normalize_identifier(value).upper()


def parse_id_number(value: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate an 18-character GB 11643 number and return what it encodes."""
    s = normalize_id_number(value)
    if len(s) != 18:
        raise InvalidIdentifier("id_length", "An ID number has 18 characters.")
    if not is_ascii_digits(s[:17]) or not (s[17] in ASCII_DIGITS or s[17] == "X"):
        raise InvalidIdentifier("id_chars", "An ID number is 17 digits followed by a digit or X.")
    if s[0] == "0":
        raise InvalidIdentifier("id_region", "An ID number cannot start with 0.")
    try:
        birth = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise InvalidIdentifier(
            "id_birth_date", "The birth date in the ID number is not a real date."
        ) from None
    today = today or dt.date.today()  # noqa: DTZ011 - a calendar date, compared to a birth date
    if birth > today or birth.year < 1900:
        raise InvalidIdentifier("id_birth_date", "The birth date in the ID number is impossible.")
    if id_check_char(s[:17]) != s[17]:
        raise InvalidIdentifier("id_check", "The check character of the ID number is wrong.")
    return IdNumber(
        number=s,
        birth_date=birth,
        gender="M" if int(s[16]) % 2 else "F",
        region_code=s[:6],
        is_residence_permit=s[:2] in PERMIT_PREFIXES,
    )


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    return normalize_identifier(value).upper()


def validate_uscc(value: str) -> str:
    """Validate a GB 32100 code; return it normalised (upper case, no spaces)."""
    s = normalize_uscc(value)
    if len(s) != 18:
        raise InvalidIdentifier("uscc_length", "A unified social credit code has 18 characters.")
    bad = [c for c in s if c not in USCC_ALPHABET]
    if bad:
        raise InvalidIdentifier(
            "uscc_chars", f"A unified social credit code cannot contain {bad[0]!r}."
        )
    if not is_ascii_digits(s[2:8]):
        raise InvalidIdentifier(
            "uscc_region", "Characters 3 to 8 of the code are a region code (digits)."
        )
    if uscc_check_char(s[:17]) != s[17]:
        raise InvalidIdentifier("uscc_check", "The check character of the code is wrong.")
    return s


def normalize_phone(value: str) -> str:
    """Return a mainland mobile number as 11 digits, or raise InvalidIdentifier."""
    raw = normalize_identifier(value).replace("-", "")
    if not raw.lstrip("+").replace("(", "").replace(")", "").isascii():
        raise InvalidIdentifier("phone_format", "This is not a phone number.")
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier("phone_format", "This is not a phone number.") from None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise InvalidIdentifier("phone_invalid", "This is not a valid mainland China phone number.")
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidIdentifier(
            "phone_not_mobile", "A mobile number is needed to receive SMS codes."
        )
    return str(parsed.national_number)


def mask_id_number(number: str) -> str:
    """330***********123X: first three and last four characters."""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_phone(phone: str) -> str:
    """138****5678."""
    return phone[:3] + "****" + phone[-4:]


def masked_name(name: str) -> str:
    """A person's name as shown to a cashier or another member: the first character, then one
    ``*`` per remaining character (at least one). An empty name stays empty: there is nothing to
    mask, and ``"*"`` would read as a one-character name."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def luhn_check_digit(digits: str) -> str:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return (
        is_ascii_digits(number) and len(number) >= 2 and luhn_check_digit(number[:-1]) == number[-1]
    )


def make_id_number(*, region: str, birth: dt.date, seq: int) -> str:
    """Build a valid 18-character number (for demo data, tests and benchmarks)."""
    first17 = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_char(first17)


def make_uscc(body17: str) -> str:
    """Append the GB 32100 check character to 17 characters of the alphabet."""
    return body17 + uscc_check_char(body17)
