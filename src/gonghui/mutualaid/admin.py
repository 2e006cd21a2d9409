"""Staff console of mutual aid: plans and categories (with ratio bands), enrolment batches and
premium invoices (.xlsx), enrolments, and the claims review queue (check, approve, reject with a
coded reason, pay) with the documents behind a permission-checked, audited view.

Claims hold health data: only ``mutualaid.view`` holders in scope see them, and every opening of
a claim's page and of a document is audited."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.identifiers import normalize_member_no
from gonghui.core.money import format_fen
from gonghui.members.models import Member
from gonghui.orgs.admin_base import ObjectView, ScopedAdmin
from gonghui.orgs.models import Enterprise
from gonghui.orgs.scoping import can, scope, visible_orgs

from . import selectors, services
from .forms import ClaimForm, RejectForm
from .models import (
    AidClaim,
    AidEnrolment,
    AidPlan,
    BenefitCategory,
    EnrolmentBatch,
    PaidBy,
    PremiumInvoice,
    RatioBand,
)
from .services import calculator
from .views import serve_document


def _fen(value: int | None) -> str:
    return format_fen(int(value)) if value is not None else "—"


# --- plans and categories --------------------------------------------------------------------


class BenefitCategoryInline(admin.TabularInline):
    model = BenefitCategory
    extra = 0
    fields = ["kind", "name", "deductible_fen", "annual_cap_fen"]
    show_change_link = True


@admin.register(AidPlan)
class AidPlanAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "mutualaid.plans"
    change_capability = "mutualaid.configure"
    list_display = [
        "name",
        "year",
        "org",
        "share_price",
        "max_shares",
        "unit_share_bp",
        "enrol_from",
        "enrol_until",
        "waiting_days",
        "is_active",
    ]
    list_filter = ["year", "is_active"]
    search_fields = ["name"]
    inlines = [BenefitCategoryInline]

    @admin.display(description=gettext_lazy("Price per share"))
    def share_price(self, obj: AidPlan) -> str:
        return _fen(obj.share_price_fen)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, "mutualaid.configure")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RatioBandInline(admin.TabularInline):
    model = RatioBand
    extra = 1
    fields = ["up_to_fen", "ratio_bp"]


@admin.register(BenefitCategory)
class BenefitCategoryAdmin(ScopedAdmin):
    scope_field = "plan__org"
    view_capability = "mutualaid.plans"
    change_capability = "mutualaid.configure"
    list_display = ["__str__", "plan", "kind", "deductible", "annual_cap", "bands_text"]
    list_filter = ["kind", "plan__year"]
    list_select_related = ["plan"]
    inlines = [RatioBandInline]

    @admin.display(description=gettext_lazy("Deductible"))
    def deductible(self, obj: BenefitCategory) -> str:
        return _fen(obj.deductible_fen)

    @admin.display(description=gettext_lazy("Yearly cap per share"))
    def annual_cap(self, obj: BenefitCategory) -> str:
        return _fen(obj.annual_cap_fen)

    @admin.display(description=gettext_lazy("Ratio bands"))
    def bands_text(self, obj: BenefitCategory) -> str:
        return "; ".join(
            f"≤{_fen(b.up_to_fen) if b.up_to_fen else '∞'} {calculator.format_ratio(b.ratio_bp)}"
            for b in obj.bands.all()
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "plan":
            kwargs["queryset"] = scope(AidPlan.objects.all(), request.user, "mutualaid.configure")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- enrolment batches, invoices, enrolments -------------------------------------------------


class BatchForm(forms.Form):
    plan = forms.ModelChoiceField(label=gettext_lazy("Plan"), queryset=AidPlan.objects.none())
    enterprise = forms.ModelChoiceField(
        label=gettext_lazy("Enterprise"), queryset=Enterprise.objects.none()
    )
    shares = forms.IntegerField(label=gettext_lazy("Shares per member"), min_value=1, initial=1)
    paid_by = forms.ChoiceField(
        label=gettext_lazy("Premium paid by"), choices=PaidBy.choices, initial=PaidBy.SHARED
    )
    member_numbers = forms.CharField(
        label=gettext_lazy("Member numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One per line; leave empty to enrol every active member."),
    )


@admin.register(EnrolmentBatch)
class EnrolmentBatchAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "mutualaid.enrol"
    change_capability = None
    add_capability = "mutualaid.enrol"
    list_display = ["id", "enterprise", "plan", "shares", "paid_by", "enrolled_count", "created_at"]
    list_filter = ["plan__year", "paid_by"]
    list_select_related = ["enterprise", "plan"]
    readonly_fields = [
        "plan",
        "enterprise",
        "org",
        "shares",
        "paid_by",
        "enrolled_count",
        "skipped_count",
        "created_by",
        "created_at",
    ]
    fields = readonly_fields

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise Http404
        form = BatchForm(request.POST or None)
        form.fields["plan"].queryset = selectors.plans_for_user(  # type: ignore[attr-defined]
            request.user, "mutualaid.enrol"
        )
        form.fields["enterprise"].queryset = scope(  # type: ignore[attr-defined]
            Enterprise.objects.all(), request.user, "mutualaid.enrol", field="union"
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            numbers = list(
                dict.fromkeys(
                    normalize_member_no(n) for n in data["member_numbers"].split() if n.strip()
                )
            )
            members = None
            if numbers:
                # Only members in the admin's scope: a number outside it is as unknown as one
                # that does not exist, so the form never names a member the admin may not see.
                members = list(
                    scope(
                        Member.objects.filter(member_no__in=numbers),
                        request.user,
                        "mutualaid.enrol",
                    )
                )
                missing = set(numbers) - {m.member_no for m in members}
                if missing:
                    form.add_error(
                        "member_numbers",
                        _("Unknown member numbers: %(list)s")
                        % {"list": ", ".join(sorted(missing))},
                    )
            if not form.errors:
                try:
                    batch = services.enrolment_batch_create(
                        plan=data["plan"],
                        enterprise=data["enterprise"],
                        actor=request.user,
                        members=members,
                        shares=data["shares"],
                        paid_by=data["paid_by"],
                    )
                except Refused as exc:
                    form.add_error(
                        exc.field if exc.field in form.fields else None, str(exc.message)
                    )
                else:
                    messages.success(
                        request,
                        _("Enrolled %(n)d member(s); %(skipped)d were already enrolled.")
                        % {"n": batch.enrolled_count, "skipped": batch.skipped_count},
                    )
                    return HttpResponseRedirect(
                        reverse("admin:mutualaid_enrolmentbatch_change", args=[batch.pk])
                    )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Enrol an enterprise's members"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/mutualaid/batch_add.html", context)


@admin.register(PremiumInvoice)
class PremiumInvoiceAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "mutualaid.enrol"
    change_capability = None
    list_display = [
        "number",
        "enterprise",
        "plan",
        "member_count",
        "total",
        "status",
        "issued_at",
        "paid_at",
        "download",
    ]
    list_filter = ["status", "plan__year"]
    search_fields = ["number", "enterprise__name"]
    list_select_related = ["enterprise", "plan"]
    readonly_fields = [
        "number",
        "batch",
        "plan",
        "enterprise",
        "org",
        "member_count",
        "unit_part_fen",
        "member_part_fen",
        "total_fen",
        "status",
        "issued_at",
        "paid_at",
        "ledger_transaction_id",
        "download",
    ]
    fields = readonly_fields
    actions = ["mark_paid"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    @admin.display(description=gettext_lazy("Total"))
    def total(self, obj: PremiumInvoice) -> str:
        return _fen(obj.total_fen)

    @admin.display(description=gettext_lazy("Spreadsheet"))
    def download(self, obj: PremiumInvoice) -> str:
        if obj.pk is None:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:mutualaid_premiuminvoice_xlsx", args=[obj.pk]),
            _("Download .xlsx"),
        )

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<int:pk>/xlsx/",
                self.admin_site.admin_view(self.xlsx_view),
                name="mutualaid_premiuminvoice_xlsx",
            )
        ]
        return extra + super().get_urls()

    def xlsx_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = (
            self.get_queryset(request).select_related("plan", "enterprise").filter(pk=pk).first()
        )
        if invoice is None:
            raise Http404
        body = invoice_xlsx(invoice)
        response = HttpResponse(
            body,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xlsx"'
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description=gettext_lazy("Premiums received: book them into the fund"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[PremiumInvoice]) -> None:
        done = 0
        for invoice in queryset:
            if not can(request.user, "mutualaid.enrol", invoice.org):
                continue
            try:
                services.premium_receive(invoice=invoice, actor=request.user)
                done += 1
            except Refused as exc:
                messages.error(request, f"{invoice.number}: {exc.message}")
        messages.success(request, _("%(n)d invoice(s) booked as paid.") % {"n": done})


def invoice_xlsx(invoice: PremiumInvoice) -> bytes:
    """The invoice and its list of enrolled members as a spreadsheet (masked ID numbers)."""
    from gonghui.core.xlsx import workbook

    out = io.BytesIO()
    book = workbook(out)
    sheet = book.add_worksheet(_("Invoice"))
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "0.00"})
    rows = [
        (_("Invoice number"), invoice.number),
        (_("Plan"), str(invoice.plan)),
        (_("Enterprise"), invoice.enterprise.name),
        (_("Members enrolled"), invoice.member_count),
        (_("Status"), str(invoice.get_status_display())),
    ]
    for r, (label, value) in enumerate(rows):
        sheet.write(r, 0, str(label), bold)
        sheet.write(r, 1, value)
    for r, (label, fen) in enumerate(
        [
            (_("Employer part (yuan)"), invoice.unit_part_fen),
            (_("Member part (yuan)"), invoice.member_part_fen),
            (_("Total (yuan)"), invoice.total_fen),
        ],
        start=len(rows),
    ):
        sheet.write(r, 0, str(label), bold)
        sheet.write_number(r, 1, fen / 100, money)
    start = len(rows) + 4
    headers = [
        _("Member number"),
        _("Member name"),
        _("ID number"),
        _("Shares"),
        _("Employer part (yuan)"),
        _("Member part (yuan)"),
        _("Covered from"),
    ]
    for c, h in enumerate(headers):
        sheet.write(start, c, str(h), bold)
    enrolments = invoice.batch.enrolments.select_related("member").order_by("member__member_no")
    for i, e in enumerate(enrolments, start=start + 1):
        sheet.write(i, 0, e.member.member_no)
        sheet.write(i, 1, e.member.name)
        sheet.write(i, 2, e.member.id_number_masked)
        sheet.write_number(i, 3, e.shares)
        sheet.write_number(i, 4, e.unit_part_fen / 100, money)
        sheet.write_number(i, 5, e.member_part_fen / 100, money)
        sheet.write(i, 6, e.coverage_from.isoformat())
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 6, 16)
    book.close()
    return out.getvalue()


@admin.register(AidEnrolment)
class AidEnrolmentAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "mutualaid.enrol"
    change_capability = None
    list_display = [
        "member",
        "plan",
        "enterprise",
        "shares",
        "paid_by",
        "status",
        "coverage_from",
        "coverage_until",
    ]
    list_filter = ["plan__year", "status", "paid_by"]
    search_fields = ["member__member_no", "member__name"]
    list_select_related = ["member", "plan", "enterprise"]
    readonly_fields = [
        "plan",
        "member",
        "org",
        "enterprise",
        "batch",
        "shares",
        "paid_by",
        "premium_fen",
        "unit_part_fen",
        "member_part_fen",
        "status",
        "enrolled_at",
        "coverage_from",
        "coverage_until",
    ]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False


# --- claims: the review queue ----------------------------------------------------------------


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
