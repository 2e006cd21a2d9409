"""Encoding of members' personal data: ciphertext and blind index together.

Masked forms are not stored: ``PiiFields.id_number_masked`` / ``phone_masked`` derive them from
the ciphertext when shown. Birth dates are sealed by ``Member.birth_date`` (a property)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gonghui.core import crypto

from .models import PURPOSE_BIRTH_DATE, PURPOSE_ID_NUMBER, PURPOSE_PHONE


@dataclass(frozen=True)
class SealedPii:
    id_number_cipher: str
    id_number_index: str
    phone_cipher: str
    phone_index: str

    def as_fields(self) -> dict[str, str]:
        return self.__dict__.copy()


def id_number_index(id_number: str) -> str:
    return crypto.blind_index(id_number, purpose=PURPOSE_ID_NUMBER)


def phone_index(phone: str) -> str:
    return crypto.blind_index(phone, purpose=PURPOSE_PHONE)


def seal(*, id_number: str, phone: str) -> SealedPii:
    """Values must already be normalised (core.identifiers.parse_id_number / normalize_phone)."""
    return SealedPii(
        id_number_cipher=crypto.encrypt(id_number, purpose=PURPOSE_ID_NUMBER),
        id_number_index=id_number_index(id_number),
        phone_cipher=crypto.encrypt(phone, purpose=PURPOSE_PHONE),
        phone_index=phone_index(phone),
    )


@dataclass(frozen=True)
class SealedPhone:
    phone_cipher: str
    phone_index: str


def seal_phone(phone: str) -> SealedPhone:
    """A normalised phone alone (a member's phone change)."""
    return SealedPhone(
        phone_cipher=crypto.encrypt(phone, purpose=PURPOSE_PHONE), phone_index=phone_index(phone)
    )


def seal_birth_date(birth_date: dt.date) -> str:
    """The ciphertext of a member's birth date (``Member.birth_date_cipher``)."""
    return crypto.encrypt(birth_date.isoformat(), purpose=PURPOSE_BIRTH_DATE)


def open_id_number(obj: object) -> str:
    return crypto.decrypt(obj.id_number_cipher, purpose=PURPOSE_ID_NUMBER)  # type: ignore[attr-defined]


def open_phone(obj: object) -> str:
    return crypto.decrypt(obj.phone_cipher, purpose=PURPOSE_PHONE)  # type: ignore[attr-defined]


def open_birth_date(token: str) -> dt.date:
    """The birth date sealed in ``token`` (a ``Member.birth_date_cipher``)."""
    return dt.date.fromisoformat(crypto.decrypt(token, purpose=PURPOSE_BIRTH_DATE))
