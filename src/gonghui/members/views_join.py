"""Joining on the member H5 (/m/join): four steps (phone, you, union, submit), a member
recognised at step 1, the applicant's status page and the privacy notice agreed to."""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.core import crypto
from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.identifiers import mask_id_number, mask_phone
from gonghui.orgs.models import Enterprise, Org

from .enrolment import enrolment_submit
from .forms_h5 import (
    ChooseUnionForm,
    PersonForm,
    PhoneCodeForm,
)
from .models import EmploymentType, Enrolment, GigTrade, Member, OtpChallenge
from .otp import otp_verify
from .privacy import PRIVACY_NOTICE_VERSION
from .selectors import (
    enrolments_for_phone,
    member_by_phone,
)
from .session import (
    ENROL_STATUS_PURPOSE,
    current_member,
    get_verified_phone,
    member_login,
    set_verified_phone,
)
from .views_common import (
    JOIN_DONE_KEY,
    JOIN_ID_PURPOSE,
    JOIN_KEY,
    _otp_fragment,
    _redirect,
    _resolve_union,
    _search_context,
    _send_code,
)

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
