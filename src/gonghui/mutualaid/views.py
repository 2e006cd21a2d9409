"""Member H5 pages of medical mutual aid, under /m/aid/: my plans, my claims, a new claim, and
the claim's documents (the member's own only; every opening audited)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gonghui.core import uploads as private_files
from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.members.models import Member
from gonghui.members.session import current_member, member_required

from . import selectors, services
from .forms import ClaimForm
from .models import DOCUMENT_FOLDER, MAX_DOCUMENTS, AidEnrolment, BenefitCategory, ClaimDocument
from .services import calculator


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@member_required
def home(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    context = {
        "enrolments": list(selectors.member_enrolments(member)),
        "claims": list(selectors.member_claims(member)[:50]),
    }
    return _private(render(request, "mutualaid/h5/home.html", context))


def _categories(member: Member) -> QuerySet[BenefitCategory]:
    plans = AidEnrolment.objects.filter(
        member=member, status=AidEnrolment.Status.ACTIVE
    ).values_list("plan_id", flat=True)
    return BenefitCategory.objects.filter(plan_id__in=list(plans)).select_related("plan")


@require_http_methods(["GET", "POST"])
@member_required
def claim_new(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    categories = _categories(member)
    form = ClaimForm(request.POST or None, categories=categories)
    error = documents_error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        uploads = [
            services.Upload(name=f.name or "", stream=f, size=f.size)
            for f in request.FILES.getlist("documents")
        ]
        try:
            claim = services.claim_submit(
                member=member,
                category=data["category"],
                hospital=data["hospital"],
                invoice_no=data["invoice_no"],
                invoice_date=data["invoice_date"],
                amount_fen=data["amount"],
                uploads=uploads,
            )
        except Refused as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, str(exc.message))
            elif exc.field == "documents":
                documents_error = exc.message
            else:
                error = exc.message
        else:
            return HttpResponseRedirect(reverse("mutualaid:claim", args=[claim.pk]))
    context = {
        "form": form,
        "error": error,
        "documents_error": documents_error,
        "has_plan": categories.exists(),
        "max_mb": private_files.MAX_BYTES // (1024 * 1024),
        "max_files": MAX_DOCUMENTS,
    }
    status = 400 if request.method == "POST" else 200
    return _private(render(request, "mutualaid/h5/claim_new.html", context, status=status))


@require_GET
@member_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    claim = selectors.member_claim_or_404(member, pk)
    show_payout = claim.status in (claim.Status.APPROVED, claim.Status.PAID)
    context = {
        "claim": claim,
        "documents": list(claim.documents.all()),
        "show_payout": show_payout,
        "explanation": calculator.explain(claim.explanation) if show_payout else [],
    }
    return _private(render(request, "mutualaid/h5/claim_detail.html", context))


@require_GET
def document(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A member's own document; anyone else (signed out, another member) gets 404."""
    member = current_member(request)
    if member is None:
        raise Http404
    doc = selectors.member_document_or_404(member, pk)
    return serve_document(request, doc, actor=member, via="h5")


def serve_document(
    request: HttpRequest, doc: ClaimDocument, *, actor: object, via: str
) -> HttpResponseBase:
    """Send a stored document (the caller has checked permission); audit the opening."""
    path = private_files.stored_path(doc.stored_name, folder=DOCUMENT_FOLDER)
    if path is None:
        raise Http404(_("The file is missing."))
    services.document_open_record(
        document=doc,
        actor=actor,
        via=via,
        ip=client_ip(request),
    )
    response = private_files.file_response(
        path, content_type=doc.content_type, download_name=doc.original_name, as_attachment=False
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
