"""Encoding of members' personal data: ciphertext, blind index and masked form together."""

from __future__ import annotations

from dataclasses import dataclass

from gonghui.core import crypto
from gonghui.core.identifiers import mask_id_number, mask_phone

from .models import PURPOSE_ID_NUMBER, PURPOSE_PHONE


@dataclass(frozen=True)
class SealedPii:
    id_number_cipher: str
    id_number_index: str
    id_number_masked: str
    phone_cipher: str
    phone_index: str
    phone_masked: str

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
        id_number_masked=mask_id_number(id_number),
        phone_cipher=crypto.encrypt(phone, purpose=PURPOSE_PHONE),
        phone_index=phone_index(phone),
        phone_masked=mask_phone(phone),
    )


def open_id_number(obj: object) -> str:
    return crypto.decrypt(obj.id_number_cipher, purpose=PURPOSE_ID_NUMBER)  # type: ignore[attr-defined]


def open_phone(obj: object) -> str:
    return crypto.decrypt(obj.phone_cipher, purpose=PURPOSE_PHONE)  # type: ignore[attr-defined]
