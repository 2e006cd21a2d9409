"""Member H5 pages of hardship assistance, /m/assistance/: my files and status, apply."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from gonghui.core.errors import Refused
from gonghui.core.money import format_fen
from gonghui.members.session import current_member, member_required

from . import selectors, services
from .forms_h5 import ApplyForm, HouseholdFormSet
from .models import HelpRecord


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@member_required
def home(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    assert member is not None
    files = selectors.files_of_member(member=member)
    help_rows = [
        {"kind": h.get_kind_display(), "amount": format_fen(h.amount_fen), "on": h.given_on}
        for h in HelpRecord.objects.filter(file__member=member).order_by("-given_on", "-pk")[:50]
    ]
    can_apply = all(f.status == f.Status.CLOSED for f in files)
    return _private(
        render(
            request,
            "assistance/h5/home.html",
            {"files": files, "help_rows": help_rows, "can_apply": can_apply},
        )
    )


@require_http_methods(["GET", "POST"])
@member_required
def apply(request: HttpRequest) -> HttpResponse:
    member = current_member(request)
    assert member is not None
    form = ApplyForm(request.POST or None)
    household = HouseholdFormSet(request.POST or None, prefix="hh")
    error = None
    if request.method == "POST" and form.is_valid() and household.is_valid():
        rows = [
            {
                "relation": row["relation"],
                "name": row["name"],
                "birth_date": row["birth_date"],
                "health": row.get("health") or "healthy",
                "income_fen": row.get("income") or 0,
            }
            for row in household.cleaned_data
            if row.get("name")
        ]
        data = form.cleaned_data
        try:
            services.file_apply(
                member=member,
                category=data["category"],
                worker_type=data["worker_type"],
                main_cause=data["main_cause"],
                secondary_causes=data["secondary_causes"],
                applicant_income_fen=data["applicant_income"],
                other_income_fen=data["other_income"],
                housing=data["housing"],
                housing_note=data["housing_note"],
                health_note=data["health_note"],
                household=rows,
            )
        except Refused as exc:
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, str(exc.message))
            else:
                error = str(exc.message)
        else:
            return redirect("assistance:home")
    return _private(
        render(
            request,
            "assistance/h5/apply.html",
            {"form": form, "household": household, "error": error},
        )
    )
