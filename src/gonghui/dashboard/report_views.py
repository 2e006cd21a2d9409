"""The yearly work report's pages: ``report`` (HTML, printable) and ``report_pdf`` (download).

Both take ``org`` (an org id; default: the top of the user's scope), ``year`` (default: this
year) and ``public`` (``1``: marked for publication, small counts suppressed). Staff with
``dashboard.view`` only; an org outside the user's scope, or no such org, answers 404
(``orgs.scoping``). Not audited: the report is a read of aggregate figures without personal
data, like the dashboard itself (docs/figures.md, "The yearly work report")."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gonghui.core.svgchart import to_svg
from gonghui.core.timeutil import local_today
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can, get_in_scope_or_404, visible_orgs

from .report import report_build
from .report_pdf import report_pdf as render_pdf
from .router import on_replica

CAPABILITY = "dashboard.view"
FIRST_YEAR = 2000


@dataclass(frozen=True)
class Params:
    org: Org
    year: int
    public: bool

    def query(self, **change: object) -> str:
        values: dict[str, object] = {"org": self.org.pk, "year": self.year}
        if self.public:
            values["public"] = 1
        values.update(change)
        return urlencode({k: v for k, v in values.items() if v is not None})


def _params(request: HttpRequest) -> Params:
    user = request.user
    if not can(user, CAPABILITY):
        raise PermissionDenied
    raw_org = request.GET.get("org", "").strip()
    if raw_org:
        org = get_in_scope_or_404(Org.objects.all(), user, CAPABILITY, field="", pk=raw_org)
    else:
        found = visible_orgs(user, CAPABILITY).order_by("depth", "path").first()
        if found is None:
            raise Http404
        org = found
    this_year = local_today().year
    raw_year = request.GET.get("year", "").strip()
    if not raw_year:
        year = this_year
    elif raw_year.isdigit() and FIRST_YEAR <= int(raw_year) <= this_year:
        year = int(raw_year)
    else:
        raise Http404
    public = request.GET.get("public", "") in ("1", "true", "on")
    return Params(org=org, year=year, public=public)


def _path(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # while the dashboard's own URLs are not mounted
        return fallback


@require_GET
@on_replica
def report(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    built = report_build(org=params.org, year=params.year, public=params.public)
    here = _path("dashboard:report", "/admin/dashboard/report/")
    user = request.user
    org = params.org
    below = Org.objects.filter(path__startswith=org.path, depth=org.depth + 1).order_by("path")
    children = [c for c in below[:200] if can(user, CAPABILITY, c)]
    parent = Org.objects.filter(path=org.path[: -Org.steplen]).first() if org.depth > 1 else None
    if parent is not None and not can(user, CAPABILITY, parent):
        parent = None
    this_year = local_today().year
    context = {
        "report": built,
        "charts": [mark_safe(to_svg(c)) for c in built.charts],  # noqa: S308 - escaped by to_svg
        "params": params,
        "years": list(range(this_year, max(FIRST_YEAR, this_year - 10) - 1, -1)),
        "pdf_url": _path("dashboard:report_pdf", "/admin/dashboard/report.pdf")
        + "?"
        + params.query(),
        "public_url": here + "?" + params.query(public=1),
        "internal_url": here + "?" + params.query(public=None),
        "children": [(c, here + "?" + params.query(org=c.pk)) for c in children],
        "parent": (parent, here + "?" + params.query(org=parent.pk)) if parent else None,
        "console_url": _path("admin:index", "/admin/"),
    }
    return TemplateResponse(request, "dashboard/report.html", context)


@require_GET
@on_replica
def report_pdf(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    built = report_build(org=params.org, year=params.year, public=params.public)
    response = HttpResponse(render_pdf(built), content_type="application/pdf")
    name = _("%(org)s work report %(year)s") % {"org": params.org.name, "year": params.year}
    if params.public:
        name += _(" (for publication)")
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.pdf") or ""
    return response
