"""Members API (/api/v1/members/).

Members (the H5 pages and apps) sign in with phone + SMS code and then use the member session;
staff use their Django session. Every unsafe request, signed in or not, passes Django's CSRF
check (send the ``csrftoken`` cookie's value as ``X-CSRFToken``; ``GET csrf`` sets the cookie).
A refusal answers 4xx with ``{"code", "message", "field"}`` and changes nothing. Staff see their
orgs' subtrees only: anything outside answers 404.

One router (``common.router``), its endpoints by what they serve: ``auth`` (CSRF cookie, SMS
codes, the member session), ``profile`` (the signed-in member), ``join`` (find a union, enrol,
transfer), ``staff`` (review queues, roster). The modules are imported in this order, which is the
order of the routes; each endpoint pins the operation id it had when the API was one module.
"""

# isort: off
from . import auth, profile, join, staff  # noqa: F401  (in route order: registers the endpoints)

# isort: on
from .common import router

__all__ = ["router"]
