"""Member sessions. Members are not Django users: staff sign in with django.contrib.auth, members
with a key of their own in the same Django session (signed in by phone + SMS code).

Also keeps a phone verified by SMS code for a short while (the enrolment flow verifies the phone
first and submits the form afterwards). The session table never holds that phone in clear: the
session keeps it sealed (AES-GCM under the PII keys, the purpose of the proof in the associated
data), so a dump of ``django_session`` reveals no phone and a proof for one purpose cannot be
copied to another."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from gonghui.core import crypto

from .models import Member

SESSION_MEMBER_KEY = "gonghui_member_id"
SESSION_VERIFIED_PREFIX = "gonghui_verified_phone:"
# Associated data of the sealed phone in a session: bound to the purpose it was proved for.
VERIFIED_PHONE_PURPOSE = "members.session_phone:"
VERIFIED_PHONE_TTL_SECONDS = 15 * 60
MEMBER_LOGIN_URL = "/m/login"
# An applicant who proved their phone (to join, or to sign in without being a member yet) may
# follow their applications for a while under this purpose (the H5 status page and the API).
ENROL_STATUS_PURPOSE = "enrol_status"

_CACHE_ATTR = "_gonghui_member"


def member_login(request: HttpRequest, member: Member) -> None:
    """Sign ``member`` in: a fresh session key (no fixation), the member's pk in the session."""
    request.session.cycle_key()
    request.session[SESSION_MEMBER_KEY] = member.pk
    setattr(request, _CACHE_ATTR, member)


def cached_member(request: HttpRequest) -> Member | None:
    """The member this request already resolved with ``current_member``, without a query (None
    when it did not ask, or nobody is signed in)."""
    member = getattr(request, _CACHE_ATTR, None)
    return member if isinstance(member, Member) else None


def current_member(request: HttpRequest) -> Member | None:
    """The signed-in member, if any and still active."""
    if hasattr(request, _CACHE_ATTR):
        cached = getattr(request, _CACHE_ATTR)
        if cached is None or cached.status == Member.Status.ACTIVE:
            return cached
    session = getattr(request, "session", None)
    pk = session.get(SESSION_MEMBER_KEY) if session is not None else None
    member = None
    if pk is not None:
        member = (
            Member.objects.select_related("org", "enterprise")
            .filter(pk=pk, status=Member.Status.ACTIVE)
            .first()
        )
    setattr(request, _CACHE_ATTR, member)
    return member


def member_logout(request: HttpRequest) -> None:
    """Forget the member (and any verified phone); the session key changes."""
    session = request.session
    session.pop(SESSION_MEMBER_KEY, None)
    for key in [k for k in session.keys() if k.startswith(SESSION_VERIFIED_PREFIX)]:  # noqa: SIM118 - sessions do not iterate
        session.pop(key, None)
    session.cycle_key()
    setattr(request, _CACHE_ATTR, None)


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """View decorator: sets ``request.member``; anonymous visitors go to /m/login?next=…"""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = current_member(request)
        if member is None:
            return HttpResponseRedirect(
                f"{MEMBER_LOGIN_URL}?next={quote(request.get_full_path(), safe='/')}"
            )
        request.member = member  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def set_verified_phone(request: HttpRequest, phone: str, purpose: str) -> None:
    """Remember that the visitor proved ``phone`` (already normalised) for ``purpose``."""
    sealed = crypto.encrypt(phone, purpose=VERIFIED_PHONE_PURPOSE + purpose)
    request.session[SESSION_VERIFIED_PREFIX + purpose] = {"sealed": sealed, "at": time.time()}


def get_verified_phone(request: HttpRequest, purpose: str) -> str | None:
    """The phone verified for ``purpose`` within the last 15 minutes, else None."""
    entry = request.session.get(SESSION_VERIFIED_PREFIX + purpose)
    if not isinstance(entry, dict):
        return None
    try:
        age = time.time() - float(entry["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if age < 0 or age > VERIFIED_PHONE_TTL_SECONDS:
        request.session.pop(SESSION_VERIFIED_PREFIX + purpose, None)
        return None
    sealed = entry.get("sealed")
    if not isinstance(sealed, str):
        return None
    try:
        return crypto.decrypt(sealed, purpose=VERIFIED_PHONE_PURPOSE + purpose)
    except (crypto.DecryptionError, ValueError):  # another purpose's proof, or its key was dropped
        request.session.pop(SESSION_VERIFIED_PREFIX + purpose, None)
        return None


def clear_verified_phone(request: HttpRequest, purpose: str) -> None:
    request.session.pop(SESSION_VERIFIED_PREFIX + purpose, None)


def verified_phones_replace(request: HttpRequest, *, old_phone: str, new_phone: str) -> int:
    """After a member's phone change: every proof in the session that holds ``old_phone`` now
    holds ``new_phone`` (sealed again, same purpose, same age). Returns how many changed."""
    session = request.session
    changed = 0
    for key in [k for k in session.keys() if k.startswith(SESSION_VERIFIED_PREFIX)]:  # noqa: SIM118 - sessions do not iterate
        purpose = key[len(SESSION_VERIFIED_PREFIX) :]
        entry = session.get(key)
        if get_verified_phone(request, purpose) != old_phone or not isinstance(entry, dict):
            continue
        sealed = crypto.encrypt(new_phone, purpose=VERIFIED_PHONE_PURPOSE + purpose)
        session[key] = {"sealed": sealed, "at": entry["at"]}
        changed += 1
    return changed
