"""The API root, /api/v1/, with its OpenAPI document at /api/v1/openapi.json.

Each app contributes a Ninja router from its own ``api.py``; a ``Refused`` raised by a service
becomes a 4xx with ``{"code", "message", "field"}``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

from gonghui.core.errors import Refused

api = NinjaAPI(title="Gonghui API", version="1", urls_namespace="api-v1")


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


@api.get("/health", auth=None, tags=["meta"])
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


def _mount_routers() -> None:
    from gonghui.codes.api import router as codes_router
    from gonghui.funds.api import router as funds_router
    from gonghui.members.api import router as members_router

    api.add_router("/members/", members_router)
    api.add_router("/funds/", funds_router)
    api.add_router("/codes/", codes_router)
    from gonghui.activities.api import router as activities_router

    api.add_router("/activities/", activities_router)
    from gonghui.jobs.api import router as jobs_router

    api.add_router("/jobs/", jobs_router)
    from gonghui.benefits.api import router as benefits_router

    api.add_router("/benefits/", benefits_router)
    from gonghui.pos.api import router as pos_router

    api.add_router("/pos/", pos_router)

    from gonghui.venues.api import router as venues_router

    api.add_router("/venues/", venues_router)
    from gonghui.assistance.api import router as assistance_router
    from gonghui.rights.api import router as rights_router

    api.add_router("/assistance/", assistance_router)
    api.add_router("/rights/", rights_router)
    from gonghui.mutualaid.api import router as mutualaid_router

    api.add_router("/mutualaid/", mutualaid_router)
    from gonghui.academy.api import router as academy_router

    api.add_router("/academy/", academy_router)


_mount_routers()
