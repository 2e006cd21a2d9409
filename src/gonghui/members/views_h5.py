"""Member H5 pages under /m/: sign in, join, profile, my union, my service history, transfer.

Views stay thin: forms validate and normalise, the services in ``otp``, ``session``,
``enrolment`` and ``selectors`` decide. Every page works without JavaScript (plain POST, then a
redirect); with htmx the same forms swap only the part of the page that changes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.core import crypto
from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.identifiers import mask_id_number, mask_phone
from gonghui.core.money import format_fen
from gonghui.core.timeutil import to_local
from gonghui.orgs.models import Enterprise, Org

from . import h5menu, servicekinds
from .enrolment import enrolment_submit, transfer_request_create
from .forms_h5 import (
    ChooseUnionForm,
    PersonForm,
    PhoneCodeForm,
    PhoneForm,
    TransferForm,
    UnionSearchForm,
)
from .models import EmploymentType, Enrolment, GigTrade, Member, OtpChallenge, ServiceEvent
from .otp import PHONE_LIMITS, otp_request, otp_verify
from .privacy import PRIVACY_NOTICE_VERSION
from .selectors import (
    enrolments_for_phone,
    enterprise_search,
    member_by_phone,
    union_contact,
    union_search,
)
from .session import (
    ENROL_STATUS_PURPOSE,
    current_member,
    get_verified_phone,
    member_login,
    member_logout,
    member_required,
    set_verified_phone,
)

JOIN_KEY = "h5_join"
JOIN_DONE_KEY = "h5_join_done"
# The ID number waits in the session between steps: encrypted, never in plain text.
JOIN_ID_PURPOSE = "members.h5_join.id_number"
HISTORY_PAGE_SIZE = 20
# The send button counts down as long as the per-phone limit would refuse another code.
RESEND_AFTER_SECONDS = min(limit.window for limit in PHONE_LIMITS if limit.count == 1)

# Labels of the service kinds that apps write (``<app>.<what>``); unknown kinds show as written.


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


def _send_code(request: HttpRequest, purpose: str) -> dict[str, Any]:
    """Validate the phone and ask for a code; return the context of the code-status fragment."""
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return {"error": form.errors["phone"][0], "retry_after": None}
    phone = form.cleaned_data["phone"]
    try:
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


# --- home ------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    services = h5menu.entries() if member is not None else []
    return render(request, "members/h5/home.html", {"member": member, "services": services})


# --- sign in / out ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, reverse("h5:home"))
    if current_member(request) is not None and request.method == "GET":
        return HttpResponseRedirect(next_url)
    otp: dict[str, Any] | None = None
    form = PhoneCodeForm(initial={"phone": request.GET.get("phone", "")})
    no_member = False
    inactive: Member | None = None
    applications: list[Any] = []
    if request.method == "POST":
        if request.POST.get("action") == "send":
            otp = _send_code(request, OtpChallenge.Purpose.SIGN_IN)
            form = PhoneCodeForm(initial={"phone": request.POST.get("phone", "")})
        else:
            form = PhoneCodeForm(request.POST)
            if form.is_valid():
                try:
                    phone = otp_verify(
                        phone=form.cleaned_data["phone"],
                        purpose=OtpChallenge.Purpose.SIGN_IN,
                        code=form.cleaned_data["code"],
                    )
                except Refused as exc:
                    form.add_error(
                        exc.field if exc.field in form.fields else "code", str(exc.message)
                    )
                else:
                    member = member_by_phone(phone)
                    if member is None:
                        no_member = True
                        applications = enrolments_for_phone(phone=phone, limit=3)
                        if applications:
                            set_verified_phone(request, phone, ENROL_STATUS_PURPOSE)
                    elif member.status != Member.Status.ACTIVE:
                        inactive = member
                    else:
                        member_login(request, member)
                        return _redirect(request, next_url)
    return render(
        request,
        "members/h5/login.html",
        {
            "form": form,
            "otp": otp,
            "next": next_url,
            "no_member": no_member,
            "applications": applications,
            "inactive": inactive,
        },
    )


@require_POST
def login_code(request: HttpRequest) -> HttpResponse:
    """htmx: send a sign-in code and answer the code-status fragment (with its countdown)."""
    return _otp_fragment(request, _send_code(request, OtpChallenge.Purpose.SIGN_IN))


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    member_logout(request)
    return _redirect(request, reverse("h5:home"))


# --- joining ---------------------------------------------------------------------------------


def _next_step() -> HttpResponse:
    """After a step: back to /m/join. htmx follows the redirect itself and swaps #join-step."""
    return HttpResponseRedirect(reverse("h5:join"))


def _join_state(request: HttpRequest) -> dict[str, Any]:
    state = dict(request.session.get(JOIN_KEY) or {})
    state.setdefault("step", 1)
    if state["step"] > 1 and not get_verified_phone(request, OtpChallenge.Purpose.ENROL):
        # The proof of the phone expired (or the session is new): start again.
        state = {"step": 1, "expired": state["step"] > 1}
    return state


def _join_save(request: HttpRequest, state: dict[str, Any]) -> None:
    state.pop("expired", None)
    request.session[JOIN_KEY] = state


def _join_page(request: HttpRequest, state: dict[str, Any], **extra: Any) -> HttpResponse:
    step = state["step"]
    ctx: dict[str, Any] = {"state": state, "step": step, "steps": [1, 2, 3, 4]}
    phone = get_verified_phone(request, OtpChallenge.Purpose.ENROL)
    ctx["phone_masked"] = mask_phone(phone) if phone else ""
    if step == 1:
        ctx.setdefault("form", PhoneCodeForm())
    elif step == 2:
        initial = {
            k: state.get(k) for k in ("name", "employment_type", "gig_trade") if state.get(k)
        }
        ctx.setdefault("form", PersonForm(initial=initial))
    elif step == 3:
        ctx.update(_search_context(request, gig_trade=state.get("gig_trade", "")))
        ctx.setdefault(
            "choose_form",
            ChooseUnionForm(initial={"employer_name": state.get("employer_name", "")}),
        )
    else:
        ctx.update(_review_context(state))
    ctx.update(extra)
    return render(request, "members/h5/join.html", ctx)


def _enterprise_of(state: dict[str, Any]) -> Enterprise | None:
    pk = state.get("enterprise_id")
    return Enterprise.objects.filter(pk=pk).first() if pk else None


def _review_context(state: dict[str, Any]) -> dict[str, Any]:
    org = Org.objects.filter(pk=state.get("org_id") or 0).first()
    enterprise = _enterprise_of(state)
    # The session keeps the ID number sealed only; its mask is derived here, for display.
    id_number = crypto.decrypt(state["id_cipher"], purpose=JOIN_ID_PURPOSE)
    return {
        "id_masked": mask_id_number(id_number),
        "org": org,
        "enterprise": enterprise,
        "employment_label": EmploymentType(state["employment_type"]).label,
        "gig_trade_label": GigTrade(state["gig_trade"]).label if state.get("gig_trade") else "",
    }


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    state = _join_state(request)
    if request.method == "GET":
        if state.pop("expired", False):
            return _join_page(
                request, state, notice=_("Your phone check has expired. Please verify again.")
            )
        return _join_page(request, state, member=current_member(request))
    if state.pop("expired", False):
        _join_save(request, state)
        return _join_page(
            request, state, notice=_("Your phone check has expired. Please verify again.")
        )

    action = request.POST.get("action", "")
    if action == "restart":
        request.session.pop(JOIN_KEY, None)
        return _next_step()
    if action == "back" and state["step"] > 2:
        state["step"] -= 1
        _join_save(request, state)
        return _next_step()
    if action == "signin":
        return _join_sign_in(request)
    if action == "edit" and state["step"] == 4:
        target = request.POST.get("to_step", "")
        if target in ("2", "3"):
            state["step"] = int(target)
            _join_save(request, state)
        return _next_step()

    step = state["step"]
    if step == 1:
        return _join_step_phone(request, state, action)
    if step == 2:
        return _join_step_person(request, state)
    if step == 3:
        return _join_step_union(request, state)
    return _join_step_submit(request, state)


def _join_step_phone(request: HttpRequest, state: dict[str, Any], action: str) -> HttpResponse:
    if action == "send":
        otp = _send_code(request, OtpChallenge.Purpose.ENROL)
        form = PhoneCodeForm(initial={"phone": request.POST.get("phone", "")})
        return _join_page(request, state, form=form, otp=otp)
    form = PhoneCodeForm(request.POST)
    if not form.is_valid():
        return _join_page(request, state, form=form)
    try:
        phone = otp_verify(
            phone=form.cleaned_data["phone"],
            purpose=OtpChallenge.Purpose.ENROL,
            code=form.cleaned_data["code"],
        )
    except Refused as exc:
        form.add_error(exc.field if exc.field in form.fields else "code", str(exc.message))
        return _join_page(request, state, form=form)
    set_verified_phone(request, phone, OtpChallenge.Purpose.ENROL)
    # Recognise people who need not join at the first step, not after four: a member is offered
    # to sign in (the code just proved the phone), a former member is told whom to ask, and an
    # applicant whose application is still awaiting review is shown its status.
    member = member_by_phone(phone)
    if member is not None:
        if member.status == Member.Status.ACTIVE:
            return _join_page(request, state, existing_member=member)
        return _join_page(request, state, inactive_member=member)
    if any(e.status == Enrolment.Status.SUBMITTED for e in enrolments_for_phone(phone=phone)):
        set_verified_phone(request, phone, ENROL_STATUS_PURPOSE)
        return _redirect(request, reverse("h5:join_status"))
    state["step"] = 2
    _join_save(request, state)
    return _next_step()


def _join_sign_in(request: HttpRequest) -> HttpResponse:
    """Step 1 found a member with the phone just proved: sign them in (no second code)."""
    phone = get_verified_phone(request, OtpChallenge.Purpose.ENROL)
    member = member_by_phone(phone) if phone else None
    if member is None or member.status != Member.Status.ACTIVE:
        return _next_step()
    request.session.pop(JOIN_KEY, None)
    member_login(request, member)
    return _redirect(request, reverse("h5:home"))


def _join_step_person(request: HttpRequest, state: dict[str, Any]) -> HttpResponse:
    form = PersonForm(request.POST)
    if not form.is_valid():
        return _join_page(request, state, form=form)
    data = form.cleaned_data
    state.update(
        step=3,
        name=data["name"],
        id_cipher=crypto.encrypt(data["id_number"], purpose=JOIN_ID_PURPOSE),
        employment_type=data["employment_type"],
        gig_trade=data["gig_trade"],
        consent_version=PRIVACY_NOTICE_VERSION,
    )
    _join_save(request, state)
    return _next_step()


def _join_step_union(request: HttpRequest, state: dict[str, Any]) -> HttpResponse:
    form = ChooseUnionForm(request.POST)
    if not form.is_valid():
        error = (
            form.non_field_errors()[0] if form.non_field_errors() else _("Please choose a union.")
        )
        return _join_page(request, state, choose_form=form, choose_error=error)
    org, enterprise, problem = _resolve_union(form.cleaned_data)
    if problem or org is None:
        return _join_page(request, state, choose_form=form, choose_error=problem)
    state.update(
        step=4,
        org_id=org.pk,
        enterprise_id=enterprise.pk if enterprise else None,
        employer_name="" if enterprise else form.cleaned_data.get("employer_name", "").strip(),
    )
    _join_save(request, state)
    return _next_step()


def _join_step_submit(request: HttpRequest, state: dict[str, Any]) -> HttpResponse:
    phone = get_verified_phone(request, OtpChallenge.Purpose.ENROL)
    org = Org.objects.filter(pk=state.get("org_id") or 0).first()
    if phone is None or org is None:  # pragma: no cover - _join_state guards the phone
        request.session.pop(JOIN_KEY, None)
        return _next_step()
    enterprise = _enterprise_of(state)
    try:
        enrolment = enrolment_submit(
            verified_phone=phone,
            name=state["name"],
            id_number=crypto.decrypt(state["id_cipher"], purpose=JOIN_ID_PURPOSE),
            org=org,
            enterprise=enterprise,
            employer_name=state.get("employer_name", ""),
            employment_type=state["employment_type"],
            gig_trade=state.get("gig_trade", ""),
            consent_version=state.get("consent_version", ""),
            ip=client_ip(request),
        )
    except Refused as exc:
        return _join_page(request, state, refusal=_refusal_context(exc, org_id=org.pk))
    request.session.pop(JOIN_KEY, None)
    set_verified_phone(request, phone, ENROL_STATUS_PURPOSE)
    request.session[JOIN_DONE_KEY] = {"org_name": enrolment.org.name, "name": enrolment.name}
    return _redirect(request, reverse("h5:join_done"))


def _refusal_context(exc: Refused, *, org_id: int) -> dict[str, Any]:
    """A refusal on the review step: which step to edit, and the transfer offer for a taken ID."""
    ctx: dict[str, Any] = {"code": exc.code, "message": exc.message, "field": exc.field}
    # "consent": the privacy notice changed while the page was open; step 2 asks again.
    if exc.field in ("name", "id_number", "employment_type", "gig_trade", "consent"):
        ctx["edit_step"] = 2
    elif exc.field in ("org", "enterprise", "employer_name"):
        ctx["edit_step"] = 3
    elif exc.field == "phone":
        ctx["restart"] = True
    if exc.code == "id_number_taken":
        # The answer names no union (no membership oracle): the holder signs in with their own
        # phone and may then ask for a transfer.
        ctx["sign_in_url"] = _transfer_login_url(org_id)
    return ctx


def _transfer_login_url(org_id: int | None) -> str:
    target = reverse("h5:transfer")
    if org_id:
        target += "?" + urlencode({"to": org_id})
    return reverse("h5:login") + "?" + urlencode({"next": target})


@require_GET
def join_union_search(request: HttpRequest) -> HttpResponse:
    """htmx: the union search results of the join page, as you type."""
    state = _join_state(request)
    ctx = _search_context(request, gig_trade=state.get("gig_trade", ""))
    ctx["target"] = "join"
    return render(request, "members/h5/_union_results.html", ctx)


@require_POST
def join_code(request: HttpRequest) -> HttpResponse:
    """htmx: send an enrolment code and answer the code-status fragment."""
    return _otp_fragment(request, _send_code(request, OtpChallenge.Purpose.ENROL))


@require_GET
def join_done(request: HttpRequest) -> HttpResponse:
    done = request.session.get(JOIN_DONE_KEY)
    if not done:
        return HttpResponseRedirect(reverse("h5:join"))
    return render(request, "members/h5/join_done.html", {"done": done})


@require_GET
def join_status(request: HttpRequest) -> HttpResponse:
    """The applicant's page: each application filed with the phone they proved, its union, when,
    and its state; nothing without a recent proof of the phone (no membership oracle)."""
    phone = get_verified_phone(request, ENROL_STATUS_PURPOSE) or get_verified_phone(
        request, OtpChallenge.Purpose.ENROL
    )
    applications = enrolments_for_phone(phone=phone) if phone else []
    if not applications:
        return HttpResponseRedirect(reverse("h5:join"))
    return render(
        request,
        "members/h5/join_status.html",
        {"applications": applications, "phone_masked": mask_phone(phone or "")},
    )


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice an applicant agrees to (members.privacy), with its version."""
    return render(request, "members/h5/privacy.html", {"version": PRIVACY_NOTICE_VERSION})


# --- signed-in pages -------------------------------------------------------------------------


@require_GET
@member_required
def my_union(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    assert member is not None
    return render(
        request,
        "members/h5/union.html",
        {"member": member, "org": member.org, "contact": union_contact(member.org)},
    )


@require_GET
@member_required
def history(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    assert member is not None
    # Paged in the database: (member, occurred_at) is indexed; a member sees only their own.
    events = (
        ServiceEvent.objects.filter(member=member)
        .select_related("org")
        .order_by("-occurred_at", "-pk")
    )
    page = Paginator(events, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "kind": servicekinds.label_for(e.kind),
            "amount": format_fen(e.amount_fen) if e.amount_fen else "",
            "at": to_local(e.occurred_at),
            "org": e.org.name,
        }
        for e in page.object_list
    ]
    return render(
        request, "members/h5/history.html", {"member": member, "page": page, "rows": rows}
    )


@require_http_methods(["GET", "POST"])
@member_required
def transfer(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    assert member is not None
    ctx: dict[str, Any] = {"member": member, "target": "transfer"}
    ctx.update(_transfer_search_context(request, member))
    preselected = None
    to = request.GET.get("to", "")
    if to.isdigit():
        preselected = Org.objects.filter(pk=int(to), is_active=True).first()
        if preselected is not None and not preselected.accepts_members:
            preselected = None
    ctx["preselected"] = preselected
    form = TransferForm()
    if request.method == "POST":
        form = TransferForm(request.POST)
        if form.is_valid():
            org, enterprise, error = _resolve_union(form.cleaned_data)
            if error or org is None:
                ctx["choose_error"] = error
            elif org.pk == member.org_id:
                ctx["choose_error"] = _("You are already a member of this union.")
            else:
                try:
                    transfer_request_create(
                        member=member,
                        to_org=org,
                        to_enterprise=enterprise,
                        note=form.cleaned_data.get("note", "").strip(),
                    )
                except Refused as exc:
                    ctx["choose_error"] = exc.message
                else:
                    return render(request, "members/h5/transfer_done.html", {"org": org})
        else:
            errs = form.non_field_errors()
            ctx["choose_error"] = errs[0] if errs else _("Please choose a union.")
    ctx["choose_form"] = form
    return render(request, "members/h5/transfer.html", ctx)


@require_GET
@member_required
def transfer_union_search(request: HttpRequest) -> HttpResponse:
    """htmx: the union search results of the transfer page."""
    member = current_member(request)
    assert member is not None
    ctx = _transfer_search_context(request, member)
    ctx["target"] = "transfer"
    return render(request, "members/h5/_union_results.html", ctx)
