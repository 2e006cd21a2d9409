"""Member H5 pages under /m/: sign in, profile, my union, my service history, transfer (joining:
``views_join``).

Views stay thin: forms validate and normalise, the services in ``otp``, ``session``,
``enrolment`` and ``selectors`` decide. Every page works without JavaScript (plain POST, then a
redirect); with htmx the same forms swap only the part of the page that changes.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.core.errors import Refused
from gonghui.core.money import format_fen
from gonghui.core.timeutil import to_local
from gonghui.orgs.models import Org

from . import h5menu, servicekinds
from .forms_h5 import (
    PhoneCodeForm,
    TransferForm,
)
from .models import Member, OtpChallenge, ServiceEvent
from .otp import otp_verify
from .selectors import (
    enrolments_for_phone,
    member_by_phone,
    union_contact,
)
from .session import (
    ENROL_STATUS_PURPOSE,
    current_member,
    member_login,
    member_logout,
    member_required,
    set_verified_phone,
)
from .transfers import transfer_request_create
from .views_common import (
    HISTORY_PAGE_SIZE,
    _otp_fragment,
    _redirect,
    _resolve_union,
    _safe_next,
    _send_code,
    _transfer_search_context,
)

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
