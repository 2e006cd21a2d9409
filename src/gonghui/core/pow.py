"""A proof of work that a person never notices: a throttle for anonymous forms without captcha.

The page carries a server-signed challenge (``pow_challenge``: purpose, random nonce, difficulty,
time, signed with SECRET_KEY); a small static script (``core/pow.js``, no inline script: the CSP
forbids it) looks for a counter such that SHA-256(``challenge:counter``) starts with ``bits``
zero bits — about 2**bits hashes, a fraction of a second in a phone's browser — while the person
types. The server (``pow_verify``) checks the signature, the purpose, the age (at most
``GONGHUI_POW_MAX_AGE_SECONDS``), the work, and that the challenge is used once (a
``UsedToken`` row, so replays are refused on every app node). A script sending thousands of
requests must pay for each; a person does not see it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .errors import Refused
from .identifiers import is_ascii_digits, normalize_digits
from .models import UsedToken
from .timeutil import now

SALT = "gonghui.core.pow"


def pow_bits() -> int:
    return int(settings.GONGHUI_POW_BITS)


def pow_max_age() -> int:
    return int(settings.GONGHUI_POW_MAX_AGE_SECONDS)


def pow_challenge(purpose: str) -> dict[str, Any]:
    """A fresh challenge for a form of ``purpose``: ``{"challenge": str, "bits": int}``."""
    bits = pow_bits()
    token = signing.dumps({"p": purpose, "r": secrets.token_urlsafe(12), "b": bits}, salt=SALT)
    return {"challenge": token, "bits": bits}


def work_ok(challenge: str, nonce: str, bits: int) -> bool:
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    return int.from_bytes(digest, "big") >> (256 - bits) == 0 if bits > 0 else True


def pow_solve(challenge: str, bits: int) -> str:
    """What the page's script does (for tests and API clients written in Python)."""
    n = 0
    while not work_ok(challenge, str(n), bits):
        n += 1
    return str(n)


def _refused(code: str, message: str) -> Refused:
    return Refused(code=code, message=message, field="pow", status=400)


def pow_verify(*, purpose: str, challenge: str, nonce: str) -> None:
    """Accept a solved challenge once, or raise ``Refused`` (field ``pow``, status 400)."""
    challenge = (challenge or "").strip()
    nonce = normalize_digits(nonce or "")
    if not challenge or not nonce:
        raise _refused(
            "pow_missing",
            _("Your browser did not finish its check. Please wait a second and send again."),
        )
    try:
        data = signing.loads(challenge, salt=SALT, max_age=pow_max_age())
    except signing.SignatureExpired:
        raise _refused(
            "pow_expired", _("This form is too old. Please reload the page and send again.")
        ) from None
    except signing.BadSignature:
        raise _refused(
            "pow_invalid", _("The browser check failed. Please reload the page.")
        ) from None
    bits = data.get("b") if isinstance(data, dict) else None
    if (
        data.get("p") != purpose
        or not isinstance(bits, int)
        or bits < pow_bits()
        or len(nonce) > 20
        or not is_ascii_digits(nonce)
        or not work_ok(challenge, nonce, bits)
    ):
        raise _refused("pow_invalid", _("The browser check failed. Please reload the page."))
    key = salted_hmac(SALT, challenge).hexdigest()[:64]
    at = now()
    try:
        with transaction.atomic():
            UsedToken.objects.filter(expires_at__lt=at).delete()
            UsedToken.objects.create(key=key, expires_at=at + dt.timedelta(seconds=pow_max_age()))
    except IntegrityError:
        raise _refused(
            "pow_replayed", _("This form was already sent. Please reload the page.")
        ) from None
