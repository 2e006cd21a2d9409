"""API authentication for members (phone + SMS sign-in, members/session.py) and visitors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie

from .session import current_member


class _SessionCookie(APIKeyCookie):
    """Django's session cookie with Django's CSRF check on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME


class VisitorAuth(_SessionCookie):
    """Anyone, but unsafe methods need a valid CSRF token (sign-in and enrolment forms)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        super()._get_key(request)  # the CSRF check
        return "visitor"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return key


class MemberAuth(_SessionCookie):
    """A member signed in with phone + SMS code (active members only)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return current_member(request)


visitor_auth = VisitorAuth()
member_auth = MemberAuth()
