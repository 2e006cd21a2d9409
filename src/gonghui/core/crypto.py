"""Personal data at rest: AES-256-GCM with a key id, plus an HMAC blind index.

Token format: ``v1.<kid>.<base64url(nonce(12) || ciphertext+tag)>``. The associated data is the
field's purpose (e.g. ``members.id_number``), so a ciphertext cannot be moved to another field.
Keys come from ``settings.GONGHUI_PII_KEYS`` = ``"kid:base64key[,kid:base64key...]"``: the first
key encrypts, every listed key decrypts, so a rotation adds a new first key, re-encrypts
(``gonghui rotate-pii-key``) and later drops the old one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "v1"


class DecryptionError(Exception):
    pass


def _parse_keys(spec: str) -> list[tuple[str, bytes]]:
    keys: list[tuple[str, bytes]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        kid, sep, b64 = part.partition(":")
        if not sep or not kid or "." in kid:
            raise ImproperlyConfigured("GONGHUI_PII_KEYS entries look like kid:base64key")
        key = base64.b64decode(b64)
        if len(key) != 32:
            raise ImproperlyConfigured(f"PII key {kid!r} must be 32 bytes")
        keys.append((kid, key))
    if not keys:
        raise ImproperlyConfigured("GONGHUI_PII_KEYS is empty")
    return keys


@lru_cache(maxsize=8)
def _keyring(spec: str) -> tuple[str, dict[str, AESGCM]]:
    keys = _parse_keys(spec)
    return keys[0][0], {kid: AESGCM(key) for kid, key in keys}


def active_key_id() -> str:
    return _keyring(settings.GONGHUI_PII_KEYS)[0]


def encrypt(plaintext: str, *, purpose: str) -> str:
    kid, ring = _keyring(settings.GONGHUI_PII_KEYS)
    nonce = os.urandom(12)
    ct = ring[kid].encrypt(nonce, plaintext.encode("utf-8"), purpose.encode())
    return f"{VERSION}.{kid}.{base64.urlsafe_b64encode(nonce + ct).decode()}"


def token_key_id(token: str) -> str:
    return token.split(".", 2)[1]


def decrypt(token: str, *, purpose: str) -> str:
    try:
        version, kid, body = token.split(".", 2)
    except ValueError:
        raise DecryptionError("malformed token") from None
    if version != VERSION:
        raise DecryptionError(f"unknown token version {version!r}")
    _, ring = _keyring(settings.GONGHUI_PII_KEYS)
    if kid not in ring:
        raise DecryptionError(f"no key {kid!r} in GONGHUI_PII_KEYS")
    raw = base64.urlsafe_b64decode(body)
    try:
        return ring[kid].decrypt(raw[:12], raw[12:], purpose.encode()).decode("utf-8")
    except Exception:
        raise DecryptionError("ciphertext does not authenticate") from None


BLOB_MAGIC = f"{VERSION}.".encode()


def encrypt_bytes(data: bytes, *, purpose: str) -> bytes:
    """Binary form of ``encrypt`` for files: ``b"v1.<kid>." + nonce(12) + ciphertext+tag``."""
    kid, ring = _keyring(settings.GONGHUI_PII_KEYS)
    nonce = os.urandom(12)
    return f"{VERSION}.{kid}.".encode() + nonce + ring[kid].encrypt(nonce, data, purpose.encode())


def blob_key_id(blob: bytes) -> str | None:
    """The key id of an ``encrypt_bytes`` blob, or None if ``blob`` is not one (plain bytes)."""
    if not blob.startswith(BLOB_MAGIC):
        return None
    kid, sep, _rest = blob[len(BLOB_MAGIC) : len(BLOB_MAGIC) + 64].partition(b".")
    if not sep or not kid:
        return None
    try:
        return kid.decode("ascii")
    except UnicodeDecodeError:
        return None


def decrypt_bytes(blob: bytes, *, purpose: str) -> bytes:
    kid = blob_key_id(blob)
    if kid is None:
        raise DecryptionError("not an encrypted blob")
    _, ring = _keyring(settings.GONGHUI_PII_KEYS)
    if kid not in ring:
        raise DecryptionError(f"no key {kid!r} in GONGHUI_PII_KEYS")
    raw = blob[len(BLOB_MAGIC) + len(kid) + 1 :]
    try:
        return ring[kid].decrypt(raw[:12], raw[12:], purpose.encode())
    except Exception:
        raise DecryptionError("ciphertext does not authenticate") from None


@lru_cache(maxsize=4)
def _index_key(spec: str) -> bytes:
    return base64.b64decode(spec)


def blind_index(value: str, *, purpose: str) -> str:
    """Deterministic HMAC-SHA256 of a normalised value: exact-match lookup without plaintext."""
    key = _index_key(settings.GONGHUI_BLIND_INDEX_KEY)
    msg = purpose.encode() + b"\x00" + value.encode("utf-8")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()
