"""Medical mutual aid (职工医疗互助保障): yearly plans, benefit categories with ratio bands,
enrolments (in batches from an enterprise roster, with premium invoices), claims and their
documents.

Money is integer fen; ratios are basis points (10000 = 100 %)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gonghui.core.sealed import SealedTextField
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org


class AidPlan(models.Model):
    """One year's plan of an org (usually the federation): price, shares, who pays, windows."""

    org = models.ForeignKey(
        Org, verbose_name=_("Organisation"), on_delete=models.PROTECT, related_name="aid_plans"
    )
    year = models.PositiveSmallIntegerField(_("Year"))
    name = models.CharField(_("Name"), max_length=120)
    share_price_fen = models.BigIntegerField(_("Price per share (fen)"))
    max_shares = models.PositiveSmallIntegerField(_("Most shares per member"), default=1)
    unit_share_bp = models.PositiveIntegerField(
        _("Unit pays (basis points)"),
        default=10000,
        help_text=_("Part of the premium the employer pays, in basis points (10000 = all)."),
    )
    enrol_from = models.DateField(_("Enrolment opens"))
    enrol_until = models.DateField(_("Enrolment closes"))
    waiting_days = models.PositiveSmallIntegerField(_("Waiting period (days)"), default=0)
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Mutual-aid plan")
        verbose_name_plural = _("Mutual-aid plans")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="aidplan_org_year_unique"),
            models.CheckConstraint(
                condition=Q(share_price_fen__gt=0), name="aidplan_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_share_bp__lte=10000), name="aidplan_unit_share_bp"
            ),
            models.CheckConstraint(
                condition=Q(enrol_until__gte=models.F("enrol_from")), name="aidplan_window"
            ),
            models.CheckConstraint(condition=Q(max_shares__gte=1), name="aidplan_max_shares"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"


class CategoryKind(models.TextChoices):
    INPATIENT = "inpatient", _("Inpatient")
    SPECIAL_OUTPATIENT = "special_outpatient", _("Special outpatient diseases")
    CRITICAL_ILLNESS = "critical_illness", _("Critical illness")
    OUTPATIENT = "outpatient", _("Outpatient")
    MATERNITY = "maternity", _("Maternity")
    ACCIDENT = "accident", _("Accidental injury")


class BenefitCategory(models.Model):
    """A kind of benefit in a plan: deductible per claim, ratio bands, yearly cap per share."""

    plan = models.ForeignKey(
        AidPlan, verbose_name=_("Plan"), on_delete=models.CASCADE, related_name="categories"
    )
    kind = models.CharField(_("Kind"), max_length=24, choices=CategoryKind.choices)
    name = models.CharField(_("Name"), max_length=120, blank=True)
    deductible_fen = models.BigIntegerField(_("Deductible (fen)"), default=0)
    annual_cap_fen = models.BigIntegerField(
        _("Yearly cap per share (fen)"),
        help_text=_("What one member may receive in this category in a year, per share."),
    )

    class Meta:
        verbose_name = _("Benefit category")
        verbose_name_plural = _("Benefit categories")
        ordering = ["plan", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "kind"], name="benefitcategory_plan_kind"),
            models.CheckConstraint(
                condition=Q(deductible_fen__gte=0), name="benefitcategory_deductible"
            ),
            models.CheckConstraint(condition=Q(annual_cap_fen__gte=0), name="benefitcategory_cap"),
        ]

    def __str__(self) -> str:
        return self.name or str(self.get_kind_display())

    @property
    def org(self) -> Org:
        return self.plan.org


class RatioBand(models.Model):
    """Of the eligible amount, the part up to ``up_to_fen`` (above the previous band and the
    deductible) is paid at ``ratio_bp``. The last band has no upper bound (``up_to_fen`` empty)."""

    category = models.ForeignKey(
        BenefitCategory, verbose_name=_("Category"), on_delete=models.CASCADE, related_name="bands"
    )
    up_to_fen = models.BigIntegerField(_("Up to (fen)"), null=True, blank=True)
    ratio_bp = models.PositiveIntegerField(_("Ratio (basis points)"))

    class Meta:
        verbose_name = _("Ratio band")
        verbose_name_plural = _("Ratio bands")
        ordering = ["category", models.F("up_to_fen").asc(nulls_last=True)]
        constraints = [
            models.CheckConstraint(condition=Q(ratio_bp__lte=10000), name="ratioband_ratio"),
            models.CheckConstraint(
                condition=Q(up_to_fen__isnull=True) | Q(up_to_fen__gt=0), name="ratioband_up_to"
            ),
            models.UniqueConstraint(fields=["category", "up_to_fen"], name="ratioband_unique"),
        ]

    def __str__(self) -> str:
        return f"≤{self.up_to_fen or '∞'}: {self.ratio_bp}bp"


class PaidBy(models.TextChoices):
    UNIT = "unit", _("Employer pays")
    MEMBER = "member", pgettext_lazy("premium payer", "Member pays")
    SHARED = "shared", _("Shared as the plan says")


class EnrolmentBatch(models.Model):
    """One enrolment run for an enterprise's roster; its premium invoice follows from it."""

    plan = models.ForeignKey(
        AidPlan, verbose_name=_("Plan"), on_delete=models.PROTECT, related_name="batches"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("Enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="+"
    )
    shares = models.PositiveSmallIntegerField(_("Shares per member"), default=1)
    paid_by = models.CharField(
        _("Premium paid by"), max_length=8, choices=PaidBy.choices, default=PaidBy.SHARED
    )
    enrolled_count = models.PositiveIntegerField(_("Members enrolled"), default=0)
    skipped_count = models.PositiveIntegerField(_("Members skipped"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Enrolment batch")
        verbose_name_plural = _("Enrolment batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.plan} · #{self.pk}"


class AidEnrolment(models.Model):
    """A member insured under a plan for its year. Coverage starts after the waiting period.

    This row is also the lock under which a claim is approved: the yearly cap is computed only
    after ``select_for_update`` on it, so concurrent approvals never pay past the cap."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(
        AidPlan, verbose_name=_("Plan"), on_delete=models.PROTECT, related_name="enrolments"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="aid_enrolments"
    )
    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("Enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    batch = models.ForeignKey(
        EnrolmentBatch,
        verbose_name=_("Batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolments",
    )
    shares = models.PositiveSmallIntegerField(_("Shares"), default=1)
    paid_by = models.CharField(_("Premium paid by"), max_length=8, choices=PaidBy.choices)
    premium_fen = models.BigIntegerField(_("Premium (fen)"))
    unit_part_fen = models.BigIntegerField(_("Employer part (fen)"))
    member_part_fen = models.BigIntegerField(_("Member part (fen)"))
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    enrolled_at = models.DateTimeField(_("Enrolled at"))
    coverage_from = models.DateField(_("Covered from"))
    coverage_until = models.DateField(_("Covered until"))

    class Meta:
        verbose_name = _("Mutual-aid enrolment")
        verbose_name_plural = _("Mutual-aid enrolments")
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "member"], name="aidenrolment_plan_member"),
            models.CheckConstraint(condition=Q(shares__gte=1), name="aidenrolment_shares"),
            models.CheckConstraint(
                condition=Q(premium_fen=models.F("unit_part_fen") + models.F("member_part_fen")),
                name="aidenrolment_premium_parts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.plan}"


class PremiumInvoice(models.Model):
    """The premium bill of one enrolment batch to its enterprise (and members)."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PAID = "paid", _("Paid")

    number = models.CharField(_("Invoice number"), max_length=32, unique=True)
    batch = models.OneToOneField(
        EnrolmentBatch, verbose_name=_("Batch"), on_delete=models.PROTECT, related_name="invoice"
    )
    plan = models.ForeignKey(
        AidPlan, verbose_name=_("Plan"), on_delete=models.PROTECT, related_name="invoices"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("Enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="+"
    )
    member_count = models.PositiveIntegerField(_("Members enrolled"))
    unit_part_fen = models.BigIntegerField(_("Employer part (fen)"))
    member_part_fen = models.BigIntegerField(_("Member part (fen)"))
    total_fen = models.BigIntegerField(_("Total (fen)"))
    status = models.CharField(
        _("Status"), max_length=8, choices=Status.choices, default=Status.ISSUED
    )
    issued_at = models.DateTimeField(_("Issued at"))
    paid_at = models.DateTimeField(_("Paid at"), null=True, blank=True)
    ledger_transaction_id = models.BigIntegerField(_("Ledger transaction"), null=True, blank=True)

    class Meta:
        verbose_name = _("Premium invoice")
        verbose_name_plural = _("Premium invoices")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_fen=models.F("unit_part_fen") + models.F("member_part_fen")),
                name="premiuminvoice_total",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class RejectReason(models.TextChoices):
    DUPLICATE_INVOICE = "duplicate_invoice", _("Duplicate invoice")
    NOT_COVERED = "not_covered", _("Not covered")
    WAITING_PERIOD = "waiting_period", _("Within the waiting period")
    DOCUMENTS_MISSING = "documents_missing", _("Documents missing")
    OVER_CAP = "over_cap", _("Yearly cap reached")
    OTHER = "other", _("Other")


class AidClaim(models.Model):
    """A reimbursement claim: submitted → checked → approved | rejected → paid (approved only)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        CHECKED = "checked", _("Checked")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", _("Paid")

    number = models.CharField(_("Claim number"), max_length=32, unique=True)
    plan = models.ForeignKey(
        AidPlan, verbose_name=_("Plan"), on_delete=models.PROTECT, related_name="claims"
    )
    enrolment = models.ForeignKey(
        AidEnrolment,
        verbose_name=_("Mutual-aid enrolment"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="aid_claims"
    )
    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        BenefitCategory, verbose_name=_("Category"), on_delete=models.PROTECT, related_name="+"
    )
    # Sealed at rest (core.sealed): the hospital and the reviewer's reason text tell of health.
    hospital = SealedTextField(_("Hospital"), max_length=120)
    invoice_no = models.CharField(_("Invoice number"), max_length=40)
    invoice_date = models.DateField(_("Invoice date"))
    amount_fen = models.BigIntegerField(_("Eligible amount (fen)"))
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    reject_reason = models.CharField(
        _("Reason"), max_length=20, choices=RejectReason.choices, blank=True, default=""
    )
    reject_text = SealedTextField(_("Reason text"), max_length=300, blank=True, default="")
    payout_fen = models.BigIntegerField(_("Payout (fen)"), null=True, blank=True)
    explanation = models.JSONField(_("Explanation"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("Submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Entered by staff"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("Checked at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("Paid at"), null=True, blank=True)
    ledger_transaction_id = models.BigIntegerField(_("Ledger transaction"), null=True, blank=True)

    class Meta:
        verbose_name = _("Mutual-aid claim")
        verbose_name_plural = _("Mutual-aid claims")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One live claim per invoice number in a plan; a rejected claim frees the number.
            models.UniqueConstraint(
                fields=["plan", "invoice_no"],
                condition=~Q(status="rejected"),
                name="aidclaim_invoice_unique",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="aidclaim_amount"),
            models.CheckConstraint(
                condition=Q(payout_fen__isnull=True) | Q(payout_fen__gte=0),
                name="aidclaim_payout_nonneg",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "status"]),
            models.Index(fields=["enrolment", "category", "status"]),
        ]

    def __str__(self) -> str:
        return self.number


# Claim documents are private uploads (``core.uploads``): stored encrypted in this folder under
# ``PRIVATE_ROOT``, at most this many per claim; refusals name the form field "documents".
DOCUMENT_FOLDER = "mutualaid/documents"
MAX_DOCUMENTS = 5


class ClaimDocument(models.Model):
    """A file of a claim, stored encrypted under ``PRIVATE_ROOT`` with a random name (core.uploads);
    never a public URL. Its original name (often a diagnosis) is sealed too."""

    claim = models.ForeignKey(
        AidClaim, verbose_name=_("Claim"), on_delete=models.PROTECT, related_name="documents"
    )
    original_name = SealedTextField(_("File name"), max_length=120)
    stored_name = models.CharField(
        max_length=80, unique=True, editable=False, verbose_name=_("Stored name")
    )
    content_type = models.CharField(_("Type"), max_length=40)
    size = models.PositiveIntegerField(_("Size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False, verbose_name=_("SHA-256"))
    uploaded_at = models.DateTimeField(_("Uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Claim document")
        verbose_name_plural = _("Claim documents")
        ordering = ["claim", "id"]

    def __str__(self) -> str:
        # Not the (sealed) name: this is what the audit log keeps as the object's label.
        return f"{self._meta.verbose_name} #{self.pk}"
