"""What the member H5 views share: the join session keys, the code-sending and union-search
helpers, redirects that htmx follows."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.identifiers import mask_phone
from gonghui.orgs.models import Enterprise, Org

from .forms_h5 import (
    PhoneForm,
    UnionSearchForm,
)
from .models import Member
from .otp import PHONE_LIMITS, otp_request
from .selectors import (
    enterprise_search,
    union_search,
)

JOIN_KEY = "h5_join"
JOIN_DONE_KEY = "h5_join_done"
# The ID number waits in the session between steps: encrypted, never in plain text.
JOIN_ID_PURPOSE = "members.h5_join.id_number"
HISTORY_PAGE_SIZE = 20
# The send button counts down as long as the per-phone limit would refuse another code.
RESEND_AFTER_SECONDS = min(limit.window for limit in PHONE_LIMITS if limit.count == 1)


# --- helpers -----------------------------------------------------------------------------------


def _wants_fragment(request: HttpRequest) -> bool:
    """An htmx request that asked for a piece of a page (not a boosted page load)."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.boosted


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also leaves the page when htmx made the request."""
    if _wants_fragment(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _refused_status(exc: Refused) -> dict[str, Any]:
    """What the code-status fragment needs to show a refusal, with a countdown if rate-limited."""
    retry = exc.data.get("retry_after") or exc.data.get("seconds") or exc.data.get("wait")
    return {"error": exc.message, "retry_after": int(retry) if retry else None}


def _send_code(
    request: HttpRequest, purpose: str, *, check: Callable[[str], str] | None = None
) -> dict[str, Any]:
    """Validate the phone and ask for a code; return the context of the code-status fragment.
    ``check`` may refuse the phone (``Refused``) or normalise it before the code is sent."""
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return {"error": form.errors["phone"][0], "retry_after": None}
    phone = form.cleaned_data["phone"]
    try:
        if check is not None:
            phone = check(phone)
        otp_request(phone=phone, purpose=purpose, ip=client_ip(request))
    except Refused as exc:
        return _refused_status(exc)
    return {
        "sent_to": mask_phone(phone),
        "retry_after": RESEND_AFTER_SECONDS,
        "minutes": max(1, int(settings.GONGHUI_OTP_TTL_SECONDS) // 60),
    }


def _otp_fragment(request: HttpRequest, status: dict[str, Any]) -> HttpResponse:
    return render(request, "members/h5/_otp_status.html", {"otp": status})


def _resolve_union(
    data: dict[str, Any],
) -> tuple[Org | None, Enterprise | None, str | None]:
    """(union, enterprise, error) from a ChooseUnionForm: an employer names its union."""
    enterprise = None
    if data.get("enterprise"):
        enterprise = (
            Enterprise.objects.select_related("union")
            .filter(pk=data["enterprise"], union__is_active=True)
            .first()
        )
        if enterprise is None:
            return None, None, _("This employer is not in the list. Please search again.")
        org: Org | None = enterprise.union
    else:
        org = Org.objects.filter(pk=data["org"], is_active=True).first()
    if org is None or not org.accepts_members:
        return None, None, _("Please choose a grassroots union or an industry federation.")
    return org, enterprise, None


def _search_context(request: HttpRequest, *, gig_trade: str = "") -> dict[str, Any]:
    """Unions and employers matching ?q=, and the industry federations of a gig worker's trade."""
    search = UnionSearchForm(request.GET or None)
    q = search.cleaned_data.get("q", "").strip() if search.is_valid() else ""
    unions: list[Org] = []
    enterprises: list[Enterprise] = []
    if q:
        unions = list(union_search(q=q, limit=10))
        enterprises = list(enterprise_search(q=q, limit=10))
    federations: list[Org] = []
    if gig_trade:
        federations = list(union_search(kind=Org.Kind.INDUSTRY, trade=gig_trade, limit=10))
        if not federations:
            federations = list(union_search(kind=Org.Kind.INDUSTRY, limit=10))
    return {
        "search": search,
        "q": q,
        "unions": unions,
        "enterprises": enterprises,
        "federations": federations,
    }


def _transfer_search_context(request: HttpRequest, member: Member) -> dict[str, Any]:
    """The search of the transfer page: the member's own union is no destination."""
    ctx = _search_context(request)
    ctx["unions"] = [o for o in ctx["unions"] if o.pk != member.org_id]
    ctx["enterprises"] = [e for e in ctx["enterprises"] if e.union_id != member.org_id]
    return ctx
