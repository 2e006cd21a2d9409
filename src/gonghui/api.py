"""The API root, /api/v1/, with its OpenAPI document at /api/v1/openapi.json.

Each app contributes a Ninja router from its own ``api.py``; a ``Refused`` raised by a service
becomes a 4xx with ``{"code", "message", "field"}``."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from gonghui.core.errors import Refused


def _nul_at(value: Any, loc: list[str | int]) -> list[str | int] | None:
    """Where a NUL character sits in parsed input (keys included), or None."""
    if isinstance(value, str):
        return loc if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return [*loc, key.replace("\x00", "")]
            found = _nul_at(item, [*loc, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_at(item, [*loc, i])
            if found is not None:
                return found
    return None


class NoNulParser(Parser):
    """JSON bodies and query strings without NUL characters: PostgreSQL cannot hold NUL in text,
    so such a value would fail inside the database driver (a 500). Refused with 422 instead."""

    @staticmethod
    def _refuse_nul(data: Any, where: str) -> None:
        loc = _nul_at(data, [where])
        if loc is not None:
            raise NinjaValidationError(
                [
                    {
                        "loc": loc,
                        "msg": _("Text must not contain a NUL character."),
                        "type": "nul_character",
                    }
                ]
            )

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        self._refuse_nul(data, "body")
        return data

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        self._refuse_nul(result, "query")
        return result


API_DESCRIPTION = (
    "The Gonghui trade-union services API: member pages, the benefit code, the POS and the "
    "console's actions call it. Staff endpoints take a console session, member endpoints a "
    "member session (both with a CSRF token), terminal endpoints a terminal key. Money is in "
    "integer fen; times are ISO 8601. A refusal is a 4xx with "
    '`{"code": ..., "message": ..., "field": ...}`.'
)

# One tag per app (each router sets its own); these are their descriptions in the docs.
API_TAGS = [
    {"name": "meta", "description": "Health of the service."},
    {"name": "members", "description": "Members, enrolment, sessions and service history."},
    {"name": "funds", "description": "Double-entry ledger, fund accounts and budgets."},
    {"name": "codes", "description": "Benefit codes, terminals and scans."},
    {"name": "activities", "description": "Activities, sessions, registrations and check-ins."},
    {"name": "jobs", "description": "Job postings, fairs and applications."},
    {"name": "benefits", "description": "Partner merchants, offers and redemptions."},
    {"name": "pos", "description": "The checkout terminal and the member's offers."},
    {"name": "venues", "description": "Union venues, slots and bookings."},
    {"name": "assistance", "description": "Hardship files and help records."},
    {"name": "rights", "description": "Rights cases and collective contracts."},
    {"name": "mutualaid", "description": "Medical mutual aid: enrolments and claims."},
    {"name": "academy", "description": "Craftsman academy: courses, quizzes and certificates."},
    {
        "name": "dashboard",
        "description": "The console dashboard's figures: person-times, amounts, active members, "
        "funds spent, the services' figures, by child org, pending work.",
    },
]

api = NinjaAPI(
    title="Gonghui API",
    version="1",
    description=API_DESCRIPTION,
    urls_namespace="api-v1",
    parser=NoNulParser(),
    openapi_extra={"tags": API_TAGS},
)


@api.exception_handler(Refused)
def _refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "payload")]
    body = {
        "code": "invalid",
        "message": first.get("msg", "invalid input"),
        "field": ".".join(loc) or None,
        "errors": exc.errors,
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja wraps whatever the body parser raises into "400 Cannot parse request body"; a NUL
    # refused by NoNulParser is a validation error with its field, like any other.
    if isinstance(exc.__cause__, NinjaValidationError):
        return _invalid(request, exc.__cause__)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.get("/health", auth=None, tags=["meta"])
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


def _mount_routers() -> None:
    from gonghui.codes.api import router as codes_router
    from gonghui.funds.api import router as funds_router
    from gonghui.members.api import router as members_router

    api.add_router("/members/", members_router, tags=["members"])
    api.add_router("/funds/", funds_router, tags=["funds"])
    api.add_router("/codes/", codes_router, tags=["codes"])
    from gonghui.activities.api import router as activities_router

    api.add_router("/activities/", activities_router, tags=["activities"])
    from gonghui.jobs.api import router as jobs_router

    api.add_router("/jobs/", jobs_router, tags=["jobs"])
    from gonghui.benefits.api import router as benefits_router

    api.add_router("/benefits/", benefits_router, tags=["benefits"])
    from gonghui.pos.api import router as pos_router

    api.add_router("/pos/", pos_router, tags=["pos"])

    from gonghui.venues.api import router as venues_router

    api.add_router("/venues/", venues_router, tags=["venues"])
    from gonghui.assistance.api import router as assistance_router
    from gonghui.rights.api import router as rights_router

    api.add_router("/assistance/", assistance_router, tags=["assistance"])
    api.add_router("/rights/", rights_router, tags=["rights"])
    from gonghui.mutualaid.api import router as mutualaid_router

    api.add_router("/mutualaid/", mutualaid_router, tags=["mutualaid"])
    from gonghui.academy.api import router as academy_router

    api.add_router("/academy/", academy_router, tags=["academy"])
    from gonghui.dashboard.api import router as dashboard_router

    api.add_router("/dashboard/", dashboard_router, tags=["dashboard"])


_mount_routers()
