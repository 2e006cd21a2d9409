"""The benefit-code format: pure functions, no Django. Specified in ``docs/code-protocol.md``.

A code is 20 decimal digits::

    CCCCCCCCC TT QQ MMMMMMM
    credential id (9) · time step mod 100 (2) · sequence number (2) · MAC (7)

    MAC = DT7(HMAC-SHA256(seed, 0x01 || u64be(step) || u8(seq) || u32be(credential id)))

where DT7 is RFC 4226's dynamic truncation reduced modulo 10^7. The server keeps the full time
step; the two low digits pick it out of {now-1, now, now+1} (three consecutive numbers never
share their last two digits).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass

VERSION_BYTE = 0x01
STEP_SECONDS = 30
SEED_BYTES = 32
CODE_LENGTH = 20
ID_DIGITS = 9
MAC_DIGITS = 7
CREDENTIAL_ID_MIN = 100_000_000  # 9 digits, never a leading zero
CREDENTIAL_ID_MAX = 999_999_999
SEQ_MAX = 99
SKEW_STEPS = 1  # a code is accepted within ±1 step of the server's clock


class MalformedCode(ValueError):
    """The text is not a code of this format (length, characters, ranges)."""


@dataclass(frozen=True)
class DecodedCode:
    credential_id: int
    step_low: int  # step mod 100
    seq: int
    mac: str  # 7 digits


def time_step(unix_seconds: float) -> int:
    """floor(unix_time / 30)."""
    return int(unix_seconds // STEP_SECONDS)


def mac_message(*, credential_id: int, step: int, seq: int) -> bytes:
    """The 14 bytes that are signed: version, step (u64 BE), seq (u8), credential id (u32 BE)."""
    _check_ranges(credential_id=credential_id, step=step, seq=seq)
    return struct.pack(">BQBI", VERSION_BYTE, step, seq, credential_id)


def truncate(digest: bytes, digits: int = MAC_DIGITS) -> int:
    """RFC 4226 dynamic truncation: 31 bits at offset (last byte & 0x0f), modulo 10^digits."""
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFF_FFFF
    return value % (10**digits)


def mac_digits(*, seed: bytes, credential_id: int, step: int, seq: int) -> str:
    if len(seed) != SEED_BYTES:
        raise ValueError("a seed is 32 bytes")
    digest = hmac.new(
        seed, mac_message(credential_id=credential_id, step=step, seq=seq), hashlib.sha256
    ).digest()
    return f"{truncate(digest):0{MAC_DIGITS}d}"


def encode(*, seed: bytes, credential_id: int, step: int, seq: int) -> str:
    """The 20-digit code for (credential, step, seq)."""
    mac = mac_digits(seed=seed, credential_id=credential_id, step=step, seq=seq)
    return f"{credential_id:0{ID_DIGITS}d}{step % 100:02d}{seq:02d}{mac}"


def normalize(text: str) -> str:
    """Drop the spaces and dashes that a person may type between digit groups."""
    return text.strip().replace(" ", "").replace("-", "")


def decode(text: str) -> DecodedCode:
    """Split a code into its fields (no MAC check). Raises MalformedCode."""
    if not isinstance(text, str) or len(text) > 64:
        raise MalformedCode("a code is a short text of digits")
    s = normalize(text)
    if len(s) != CODE_LENGTH:
        raise MalformedCode(f"a code has {CODE_LENGTH} digits")
    if not (s.isascii() and s.isdigit()):
        raise MalformedCode("a code has digits only")
    credential_id = int(s[0:9])
    if credential_id < CREDENTIAL_ID_MIN:
        raise MalformedCode("a code does not start with 0")
    seq = int(s[11:13])
    return DecodedCode(credential_id=credential_id, step_low=int(s[9:11]), seq=seq, mac=s[13:20])


def full_step(*, step_low: int, server_step: int, skew: int = SKEW_STEPS) -> int | None:
    """The step within ±skew of the server's step whose last two digits are ``step_low``."""
    for candidate in range(server_step - skew, server_step + skew + 1):
        if candidate >= 0 and candidate % 100 == step_low:
            return candidate
    return None


def mac_valid(*, seed: bytes, credential_id: int, step: int, seq: int, mac: str) -> bool:
    expected = mac_digits(seed=seed, credential_id=credential_id, step=step, seq=seq)
    return hmac.compare_digest(expected, mac)


def _check_ranges(*, credential_id: int, step: int, seq: int) -> None:
    if not CREDENTIAL_ID_MIN <= credential_id <= CREDENTIAL_ID_MAX:
        raise ValueError("credential id out of range")
    if not 0 <= step < 2**64:
        raise ValueError("step out of range")
    if not 0 <= seq <= SEQ_MAX:
        raise ValueError("seq out of range")
