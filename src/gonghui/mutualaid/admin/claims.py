"""Mutual-aid console: the claims review queue (check, approve, reject with a coded reason,
pay) and the documents behind a permission-checked, audited view; staff enter claims for
members. Every opening of a claim's page and of a document is audited."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.identifiers import normalize_member_no
from gonghui.members.models import Member
from gonghui.orgs.admin_base import ObjectView, ScopedAdmin
from gonghui.orgs.console_export import Column, Yuan, member_columns
from gonghui.orgs.scoping import can, scope

from .. import selectors, services
from ..forms import ClaimForm, RejectForm
from ..models import (
    AidClaim,
    BenefitCategory,
)
from ..services import calculator
from ..views import serve_document
from .plans import _fen


class StaffClaimForm(ClaimForm):
    member_no = forms.CharField(label=gettext_lazy("Member number"), max_length=16)
    field_order = ["member_no", "category", "hospital", "invoice_no", "invoice_date", "amount"]


@admin.register(AidClaim)
class AidClaimAdmin(ScopedAdmin):
    audit_open = True  # claims carry health data: every opening is audited
    object_id_converter = "int"
    scope_field = "org"
    view_capability = "mutualaid.view"
    change_capability = None  # changed only through the review actions below
    add_capability = "mutualaid.review"
    change_form_outer_before_template = "admin/mutualaid/claim_review.html"
    list_display = [
        "number",
        "member",
        "category",
        "amount",
        "status",
        "payout",
        "submitted_at",
    ]
    list_filter = ["status", "category__kind", "plan__year"]
    search_fields = ["=number", "=invoice_no", "member__member_no"]
    list_select_related = ["member", "category"]
    export_select_related = ("plan", "member", "org", "category")
    export_columns = (
        Column(gettext_lazy("Claim number"), "number"),
        Column(gettext_lazy("Plan"), "plan"),
        *member_columns(),
        Column(gettext_lazy("Union"), "org.name"),
        Column(gettext_lazy("Category"), "category"),
        Column(gettext_lazy("Invoice number"), "invoice_no"),
        Column(gettext_lazy("Invoice date"), "invoice_date"),
        Yuan(gettext_lazy("Eligible amount (yuan)"), "amount_fen"),
        Column(gettext_lazy("Status"), "get_status_display"),
        Yuan(gettext_lazy("Payout (yuan)"), "payout_fen"),
        Column(gettext_lazy("Submitted at"), "submitted_at"),
        Column(gettext_lazy("Decided at"), "decided_at"),
        Column(gettext_lazy("Paid at"), "paid_at"),
    )
    readonly_fields = [
        "number",
        "plan",
        "member",
        "org",
        "category",
        "hospital",
        "invoice_no",
        "invoice_date",
        "amount",
        "status",
        "reject_reason",
        "reject_text",
        "payout",
        "submitted_at",
        "submitted_by",
        "checked_at",
        "decided_at",
        "paid_at",
        "ledger_transaction_id",
    ]
    fields = readonly_fields

    @admin.display(description=gettext_lazy("Eligible amount"))
    def amount(self, obj: AidClaim) -> str:
        return _fen(obj.amount_fen)

    @admin.display(description=gettext_lazy("Payout"))
    def payout(self, obj: AidClaim) -> str:
        return _fen(obj.payout_fen)

    # --- opening a claim is audited ---------------------------------------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        claim = self._visible(request, object_id)
        extra_context = {**(extra_context or {}), **self._review_context(request, claim)}
        return super().change_view(request, object_id, form_url, extra_context)  # audited open

    def _visible(self, request: HttpRequest, object_id: str) -> AidClaim:
        claim = self.get_object(request, object_id)
        if not self.has_view_permission(request, claim):
            raise Http404
        return claim

    def record_open(self, request: HttpRequest, object_id: str) -> None:
        claim = self._visible(request, object_id)
        services.claim_view_record(
            claim=claim, actor=request.user, via="console", ip=client_ip(request)
        )

    def _review_context(self, request: HttpRequest, claim: AidClaim) -> dict[str, Any]:
        S = AidClaim.Status
        review = can(request.user, "mutualaid.review", claim.org)
        pay = can(request.user, "mutualaid.pay", claim.org)
        url = lambda what: reverse(f"admin:mutualaid_aidclaim_{what}", args=[claim.pk])  # noqa: E731
        preview: list[str] = []
        if claim.status in (S.SUBMITTED, S.CHECKED):
            category = BenefitCategory.objects.prefetch_related("bands").get(pk=claim.category_id)
            calc = calculator.calculate(
                rule=services.rule_of(category),
                bill_fen=claim.amount_fen,
                paid_this_year_fen=services.paid_this_year(
                    enrolment=claim.enrolment, category=category, exclude=claim.pk
                ),
                shares=claim.enrolment.shares,
            )
            preview = calculator.explain(calc.lines)
        return {
            "claim_review": {
                "claim": claim,
                "documents": [
                    (d, reverse("admin:mutualaid_aidclaim_document", args=[claim.pk, d.pk]))
                    for d in claim.documents.all()
                ],
                "can_check": review and claim.status == S.SUBMITTED,
                "can_approve": review and claim.status == S.CHECKED,
                "can_reject": review and claim.status in (S.SUBMITTED, S.CHECKED),
                "can_pay": pay and claim.status == S.APPROVED,
                "check_url": url("check"),
                "approve_url": url("approve"),
                "reject_url": url("reject"),
                "pay_url": url("pay"),
                "reject_form": RejectForm(),
                "preview": preview,
                "explanation": calculator.explain(claim.explanation)
                if claim.status in (S.APPROVED, S.PAID)
                else [],
            }
        }

    # --- actions of the review --------------------------------------------------------------
    def object_views(self) -> list[ObjectView]:
        decisions = [
            ObjectView(what, f"{what}/", self._decision(what))
            for what in ("check", "approve", "reject", "pay")
        ]
        # 404 (not the login page) when signed out
        document = ObjectView(
            "document", "document/<int:doc>/", self.document_view, admin_view=False
        )
        return [*decisions, document]

    def _claim(self, request: HttpRequest, pk: int, capability: str) -> AidClaim:
        claim = selectors.claim_get_visible(user=request.user, pk=pk)
        if not can(request.user, capability, claim.org):
            raise Http404
        return claim

    def _decision(self, what: str) -> Any:
        def view(request: HttpRequest, object_id: int) -> HttpResponse:
            pk = object_id
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            capability = "mutualaid.pay" if what == "pay" else "mutualaid.review"
            claim = self._claim(request, pk, capability)
            ip = client_ip(request)
            try:
                if what == "check":
                    services.claim_check(claim=claim, actor=request.user, ip=ip)
                    messages.success(request, _("Claim %(n)s checked.") % {"n": claim.number})
                elif what == "approve":
                    done = services.claim_approve(claim=claim, actor=request.user, ip=ip)
                    messages.success(
                        request,
                        _("Claim %(n)s approved: %(amount)s.")
                        % {"n": claim.number, "amount": _fen(done.payout_fen)},
                    )
                elif what == "reject":
                    form = RejectForm(request.POST)
                    if not form.is_valid():
                        messages.error(request, _("Choose a reason."))
                    else:
                        services.claim_reject(
                            claim=claim,
                            actor=request.user,
                            reason=form.cleaned_data["reason"],
                            text=form.cleaned_data["text"],
                            ip=ip,
                        )
                        messages.success(request, _("Claim %(n)s rejected.") % {"n": claim.number})
                else:
                    done = services.claim_pay(claim=claim, actor=request.user, ip=ip)
                    messages.success(
                        request,
                        _("Claim %(n)s paid: %(amount)s.")
                        % {"n": claim.number, "amount": _fen(done.payout_fen)},
                    )
            except Refused as exc:
                messages.error(request, str(exc.message))
            return HttpResponseRedirect(reverse("admin:mutualaid_aidclaim_change", args=[pk]))

        return view

    def document_view(self, request: HttpRequest, object_id: int, doc: int) -> HttpResponseBase:
        if request.method != "GET" or not self.admin_site.has_permission(request):
            raise Http404
        document = selectors.document_get_visible(user=request.user, pk=doc)
        if document.claim_id != object_id:
            raise Http404
        return serve_document(request, document, actor=request.user, via="console")

    # --- staff enter a claim for a member ---------------------------------------------------
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise Http404
        categories = BenefitCategory.objects.filter(
            plan__in=selectors.plans_for_user(request.user, "mutualaid.review")
        ).select_related("plan")
        form = StaffClaimForm(request.POST or None, categories=categories)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            member = scope(
                Member.objects.filter(member_no=normalize_member_no(data["member_no"])),
                request.user,
                "mutualaid.review",
            ).first()
            if member is None:
                form.add_error("member_no", _("No member with this number in your organisation."))
            else:
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
                        actor=request.user,
                        ip=client_ip(request),
                    )
                except Refused as exc:
                    form.add_error(
                        exc.field if exc.field in form.fields else None, str(exc.message)
                    )
                else:
                    messages.success(request, _("Claim %(n)s entered.") % {"n": claim.number})
                    return HttpResponseRedirect(
                        reverse("admin:mutualaid_aidclaim_change", args=[claim.pk])
                    )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Enter a claim for a member"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/mutualaid/claim_add.html", context)
