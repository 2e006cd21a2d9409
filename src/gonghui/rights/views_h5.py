"""Member H5 pages of rights and legal aid, /m/rights/: 24-hour online intake (signed in, or
anonymous with an access code shown once), my cases with status, follow a case by code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.forms import YuanField
from gonghui.core.money import format_fen
from gonghui.members.forms_h5 import H5Form
from gonghui.members.session import current_member, member_required

from . import selectors, services
from .intake_guard import intake_challenge, intake_guard
from .models import CaseType, RightsCase

SESSION_DONE = "gonghui_rights_done"


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


class IntakeForm(H5Form):
    kind = forms.ChoiceField(
        label=_("What do you need?"), choices=RightsCase.Kind.choices, widget=forms.RadioSelect
    )
    case_type = forms.ChoiceField(label=_("Matter"))
    description = forms.CharField(
        label=_("Describe what happened"), min_length=5, max_length=5000, widget=forms.Textarea
    )
    employer_name = forms.CharField(label=_("Employer"), max_length=120, required=False)
    amount_claimed = YuanField(label=_("Wages owed (yuan)"), required=False)
    anonymous = forms.BooleanField(
        label=_("Stay anonymous"),
        required=False,
        help_text=_("You get an access code to follow the case; keep it, it is shown only once."),
    )
    contact_phone = forms.CharField(
        label=_("Contact phone (optional)"), max_length=20, required=False
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["case_type"].choices = [  # type: ignore[attr-defined]
            ("", _("Please choose")),
            *((t.code, t.name) for t in CaseType.objects.filter(is_active=True)),
        ]


class TrackForm(H5Form):
    number = forms.CharField(label=_("Case number"), max_length=24)
    access_code = forms.CharField(label=_("Access code"), max_length=20)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    cases = selectors.cases_of_member(member=member) if member is not None else []
    return _private(
        render(
            request,
            "rights/h5/home.html",
            {"member": member, "cases": cases, "track_form": TrackForm()},
        )
    )


@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    form = IntakeForm(request.POST or None, initial={"kind": RightsCase.Kind.CONSULTATION})
    error = None
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        anonymous = data["anonymous"] or member is None
        try:
            if anonymous:
                intake_guard(
                    ip=client_ip(request),
                    challenge=request.POST.get("pow_challenge", ""),
                    nonce=request.POST.get("pow_nonce", ""),
                )
            result = services.case_intake(
                kind=data["kind"],
                case_type=data["case_type"],
                description=data["description"],
                member=None if anonymous else member,
                anonymous=anonymous,
                contact_phone=data["contact_phone"],
                employer_name=data["employer_name"],
                enterprise=None if anonymous or member is None else member.enterprise,
                amount_claimed_fen=data["amount_claimed"],
            )
        except Refused as exc:
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, str(exc.message))
            else:
                error = str(exc.message)
                status = exc.status if exc.status == 429 else 200
        else:
            # Shown once on the next page, then forgotten.
            request.session[SESSION_DONE] = {
                "number": result.case.number,
                "access_code": result.access_code,
                "open_cases": result.open_cases,
            }
            return redirect("rights:done")
    context = {"form": form, "member": member, "error": error, "pow": intake_challenge()}
    return _private(render(request, "rights/h5/intake.html", context, status=status))


@require_GET
def done(request: HttpRequest) -> HttpResponse:
    info = request.session.pop(SESSION_DONE, None)
    if info is None:
        return redirect("rights:home")
    return _private(render(request, "rights/h5/done.html", info))


def _case_context(case: RightsCase) -> dict[str, Any]:
    return {
        "case": case,
        "entries": selectors.public_timeline(case),
        "claimed": format_fen(case.amount_claimed_fen) if case.amount_claimed_fen else "",
        "recovered": format_fen(case.amount_recovered_fen) if case.amount_recovered_fen else "",
    }


@require_GET
@member_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    member = current_member(request)
    assert member is not None
    case = next((c for c in selectors.cases_of_member(member=member) if c.number == number), None)
    if case is None:
        raise Http404
    context = _case_context(case)
    context["open_cases"] = services.open_cases_of(member, exclude_pk=case.pk)
    return _private(render(request, "rights/h5/case.html", context))


@require_http_methods(["POST"])
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST)
    if form.is_valid():
        try:
            case = services.case_track(
                number=form.cleaned_data["number"], access_code=form.cleaned_data["access_code"]
            )
        except Refused as exc:
            form.add_error("access_code", str(exc.message))
        else:
            return _private(render(request, "rights/h5/case.html", _case_context(case)))
    member = current_member(request)
    cases = selectors.cases_of_member(member=member) if member is not None else []
    response = render(
        request, "rights/h5/home.html", {"member": member, "cases": cases, "track_form": form}
    )
    response.status_code = 404 if form.is_bound and form.errors else 200
    return _private(response)
