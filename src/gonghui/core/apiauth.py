"""API authentication shared by every app: the staff console's session.

Django's session cookie; Ninja's cookie auth checks CSRF on unsafe methods. Scope is checked
per query by the app (orgs.scoping), never here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie


class StaffAuth(APIKeyCookie):
    """An active staff user signed in to the console."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active and user.is_staff:
            return user
        return None


staff_auth = StaffAuth()
