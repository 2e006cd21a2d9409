"""What production refuses, as plain functions shared by the settings module (start-up, when
``GONGHUI_ENV=production``) and the system checks in ``core.checks`` (``gonghui check``).

Nothing here imports Django models or reads settings: the settings module imports it.

- Personal-data keys: ``GONGHUI_PII_KEYS`` is ``kid:key[,kid:key…]`` and
  ``GONGHUI_BLIND_INDEX_KEY`` one key, each key exactly 32 bytes in standard base64 (checked
  strictly: ``base64.b64decode`` alone would quietly drop stray characters, so a typo or a
  pass-phrase would become a short, guessable key).
- The SMS backend: the console backend prints live sign-in codes to the log and the memory
  backend keeps them in the process; neither sends anything.

Messages name the variable and never echo key material.
"""

from __future__ import annotations

import base64
import binascii

KEY_BYTES = 32
GENERATE_HINT = (
    'python3 -c "import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())"'
)
CONSOLE_SMS_BACKENDS = frozenset(
    {"gonghui.core.sms.ConsoleSmsBackend", "gonghui.core.sms.MemorySmsBackend"}
)


def _key_problem(b64: str) -> str | None:
    """Why ``b64`` is not 32 bytes of standard base64, or None."""
    try:
        raw = base64.b64decode(b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    if len(raw) != KEY_BYTES:
        return f"decodes to {len(raw)} bytes instead of {KEY_BYTES} bytes"
    return None


def pii_keys_problems(spec: str | None) -> list[str]:
    """Problems of a ``GONGHUI_PII_KEYS`` value (empty when it is good)."""
    name = "GONGHUI_PII_KEYS"
    parts = [p.strip() for p in (spec or "").split(",") if p.strip()]
    if not parts:
        return [f"{name} is empty: it needs at least one kid:key"]
    problems: list[str] = []
    seen: set[str] = set()
    for number, part in enumerate(parts, start=1):
        kid, sep, b64 = part.partition(":")
        kid = kid.strip()
        if not sep or not kid or "." in kid:
            problems.append(
                f"{name}: entry {number} must look like kid:base64key "
                "(a key id without '.' or ':', then the key)"
            )
            continue
        if kid in seen:
            problems.append(f"{name}: key id {kid!r} is listed twice")
        seen.add(kid)
        why = _key_problem(b64)
        if why:
            problems.append(
                f"{name}: key {kid!r} {why}; each key must be 32 bytes of random data in base64 "
                f"({GENERATE_HINT})"
            )
    return problems


def blind_index_key_problems(value: str | None) -> list[str]:
    """Problems of a ``GONGHUI_BLIND_INDEX_KEY`` value (empty when it is good)."""
    name = "GONGHUI_BLIND_INDEX_KEY"
    if not (value or "").strip():
        return [f"{name} is empty"]
    why = _key_problem(value or "")
    if why:
        return [f"{name} {why}; it must be 32 bytes of random data in base64 ({GENERATE_HINT})"]
    return []


def sms_backend_problem(path: str | None) -> str | None:
    """Why ``GONGHUI_SMS_BACKEND`` cannot serve production (it sends nothing), or None."""
    value = (path or "").strip()
    if not value:
        return (
            "GONGHUI_SMS_BACKEND is not set: the default, gonghui.core.sms.ConsoleSmsBackend, "
            "writes live sign-in codes to the log; name your SMS provider's backend class"
        )
    if value in CONSOLE_SMS_BACKENDS:
        return (
            f"GONGHUI_SMS_BACKEND is {value}, which sends nothing (it "
            f"{'writes live sign-in codes to the log' if 'Console' in value else 'keeps them in memory'}); "
            "name your SMS provider's backend class"
        )
    return None
