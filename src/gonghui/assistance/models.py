"""Hardship files (困难职工档案), their household members, gradient rules and help records."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gonghui.core.models import AppendOnlyModel
from gonghui.core.sealed import SealedIntegerField, SealedTextField
from gonghui.members.models import Member
from gonghui.orgs.models import Org


class Category(models.TextChoices):
    DEEP = "deep", _("Deep hardship")
    RELATIVE = "relative", _("Relative hardship")
    ACCIDENT = "accident", _("Accident-caused hardship")


class WorkerType(models.TextChoices):
    URBAN_WORKER = "urban_worker", _("Urban worker in hardship")
    MIGRANT = "migrant", _("Migrant worker in hardship")


class Cause(models.TextChoices):
    ILLNESS = "illness", _("Illness")
    DISABILITY = "disability", _("Disability")
    UNEMPLOYMENT = "unemployment", _("Unemployment")
    ACCIDENT = "accident", _("Accident")
    EDUCATION = "education", _("Education costs")
    DISASTER = "disaster", _("Disaster")
    OTHER = "other", _("Other")


class Housing(models.TextChoices):
    OWN = "own", _("Own home")
    RENTED = "rented", _("Rented")
    PUBLIC = "public", _("Public rental housing")
    DORMITORY = "dormitory", _("Dormitory")
    NONE = "none", _("No stable housing")


class HelpKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    LIVING = "living", _("Living grant")
    EDUCATION = "education", _("Education aid")
    MEDICAL = "medical", _("Medical aid")


class HardshipFile(models.Model):
    """One household's hardship file. Status: applied → verified → active (reviewed yearly) →
    closed; a closed file can be reopened (返困)."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied for help")
        VERIFIED = "verified", _("Verified")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    member = models.ForeignKey(
        Member, verbose_name=_("Applying member"), on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("Category"), max_length=12, choices=Category.choices)
    worker_type = models.CharField(_("Type"), max_length=16, choices=WorkerType.choices)
    # Sealed at rest (core.sealed): causes, incomes, housing and health. The database cannot
    # compare them, so their rules (causes distinct and in order, amounts not negative) are
    # checked by the service and by ``clean()``/the validators.
    main_cause = SealedTextField(_("Main cause"), max_length=16, choices=Cause.choices)
    secondary_cause_1 = SealedTextField(
        _("Secondary cause 1"), max_length=16, choices=Cause.choices, blank=True, default=""
    )
    secondary_cause_2 = SealedTextField(
        _("Secondary cause 2"), max_length=16, choices=Cause.choices, blank=True, default=""
    )
    secondary_cause_3 = SealedTextField(
        _("Secondary cause 3"), max_length=16, choices=Cause.choices, blank=True, default=""
    )
    applicant_income_fen = SealedIntegerField(
        _("Applicant's income (fen, last 12 months)"),
        default=0,
        validators=[MinValueValidator(0)],
    )
    other_income_fen = SealedIntegerField(
        _("Other household income (fen, last 12 months)"),
        default=0,
        validators=[MinValueValidator(0)],
    )
    household_size = models.PositiveSmallIntegerField(_("Household size"), default=1)
    household_income_fen = SealedIntegerField(
        _("Household income (fen, last 12 months)"),
        default=0,
        editable=False,
        validators=[MinValueValidator(0)],
    )
    per_capita_income_fen = SealedIntegerField(
        _("Per-capita income (fen per year)"),
        default=0,
        editable=False,
        validators=[MinValueValidator(0)],
    )
    housing = SealedTextField(_("Housing"), max_length=12, choices=Housing.choices)
    housing_note = SealedTextField(_("Housing details"), max_length=200, blank=True)
    health_note = SealedTextField(_("Health"), max_length=200, blank=True)
    evidence_note = SealedTextField(_("Evidence checked"), blank=True)
    status = models.CharField(
        _("Status"), max_length=12, choices=Status.choices, default=Status.APPLIED
    )
    is_returned = models.BooleanField(_("Returned to hardship"), default=False)
    case_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Case worker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    applied_on = models.DateField(_("Applied on"))
    activated_on = models.DateField(_("Activated on"), null=True, blank=True)
    last_reviewed_on = models.DateField(_("Last reviewed on"), null=True, blank=True)
    next_review_on = models.DateField(_("Next review due"), null=True, blank=True)
    reminded_on = models.DateField(_("Review reminder sent on"), null=True, blank=True)
    closed_on = models.DateField(_("Closed on"), null=True, blank=True)
    close_reason = SealedTextField(_("Reason for closing"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Hardship file")
        verbose_name_plural = _("Hardship files")
        indexes = [models.Index(fields=["status", "next_review_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(household_size__gte=1), name="hardship_household_size"
            ),
            # One open file per member (a closed one may be followed by a new one: 返困).
            models.UniqueConstraint(
                fields=["member"], condition=~Q(status="closed"), name="hardship_one_open_file"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.get_category_display()}"

    def clean(self) -> None:
        """The rules the database checked before the causes were sealed: secondary causes are
        never the main cause, never repeated, and filled from the first slot."""
        slots = [self.secondary_cause_1, self.secondary_cause_2, self.secondary_cause_3]
        picked = [c for c in slots if c]
        if slots[: len(picked)] != picked:
            raise ValidationError(_("Fill the secondary causes from the first one."))
        if self.main_cause in picked or len(set(picked)) != len(picked):
            raise ValidationError(_("Each cause can be given once."))

    @property
    def secondary_causes(self) -> list[str]:
        return [
            c for c in (self.secondary_cause_1, self.secondary_cause_2, self.secondary_cause_3) if c
        ]

    def flag_for(self, year: int) -> str:
        """增量 (new), 存量 (carried) or 返困 (returned) for ``year``; "" if not active then."""
        if self.is_returned:
            return "returned"
        if self.activated_on is None:
            return ""
        return "new" if self.activated_on.year == year else "carried"


class HouseholdMember(models.Model):
    """Another person of the applicant's household: minimal data only."""

    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        OTHER = "other", _("Other relative")

    class Health(models.TextChoices):
        HEALTHY = "healthy", _("Healthy")
        CHRONIC = "chronic", _("Chronic illness")
        SERIOUS = "serious", _("Serious illness")
        DISABLED = "disabled", _("Living with a disability")

    file = models.ForeignKey(
        HardshipFile,
        on_delete=models.CASCADE,
        related_name="household",
        verbose_name=_("Hardship file"),
    )
    relation = models.CharField(_("Relation"), max_length=8, choices=Relation.choices)
    name = models.CharField(_("Full name"), max_length=60)
    birth_date = models.DateField(_("Birth date"))
    health = SealedTextField(
        _("Health"), max_length=10, choices=Health.choices, default=Health.HEALTHY
    )
    income_fen = SealedIntegerField(
        _("Income (fen, last 12 months)"), default=0, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("Household member")
        verbose_name_plural = _("Household members")

    def __str__(self) -> str:
        return f"{self.get_relation_display()} {self.name}"


class FileEvent(AppendOnlyModel):
    """The file's history of transitions (append-only)."""

    file = models.ForeignKey(
        HardshipFile,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("Hardship file"),
    )
    action = models.CharField(_("Action"), max_length=16)
    from_status = models.CharField(max_length=12, blank=True, verbose_name=_("From status"))
    to_status = models.CharField(max_length=12, verbose_name=_("To status"))
    note = SealedTextField(_("Note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("Actor"),
    )
    at = models.DateTimeField(_("Time"), auto_now_add=True)

    class Meta:
        verbose_name = _("File event")
        verbose_name_plural = _("File events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} → {self.to_status}"


class GradientRule(models.Model):
    """Which category gets which kind of help in a year, and the yearly ceiling per file.

    A file is governed by the rule of the nearest org above it (itself included) that has one for
    (year, category, kind); that org's assistance fund pays."""

    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("Year"))
    category = models.CharField(_("Category"), max_length=12, choices=Category.choices)
    kind = models.CharField(_("Kind of help"), max_length=12, choices=HelpKind.choices)
    ceiling_fen = models.BigIntegerField(_("Yearly ceiling per file (fen)"))

    class Meta:
        verbose_name = _("Gradient rule")
        verbose_name_plural = _("Gradient rules")
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year", "category", "kind"], name="gradient_rule_unique"
            ),
            models.CheckConstraint(condition=Q(ceiling_fen__gte=0), name="gradient_ceiling_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_category_display()} · {self.get_kind_display()}"


class HelpRecord(models.Model):
    """A visit, grant or aid given to a file; money moves through the ledger."""

    file = models.ForeignKey(
        HardshipFile, verbose_name=_("File"), on_delete=models.PROTECT, related_name="help"
    )
    kind = models.CharField(_("Kind of help"), max_length=12, choices=HelpKind.choices)
    amount_fen = models.BigIntegerField(_("Amount (fen)"), default=0)
    given_on = models.DateField(_("Date"))
    note = SealedTextField(_("Note"), max_length=200, blank=True)
    paid_by = models.ForeignKey(
        Org, verbose_name=_("Paying union"), on_delete=models.PROTECT, related_name="+"
    )
    ledger_transaction = models.ForeignKey(
        "funds.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Ledger transaction"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("By"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Help record")
        verbose_name_plural = _("Help records")
        indexes = [models.Index(fields=["file", "kind", "given_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="help_amount_nonneg")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.given_on}"


class HardshipDocument(models.Model):
    """An evidence document of a file (income proof, medical record…), stored encrypted
    (core.uploads) and served only to those who may open the file; its name is sealed too."""

    file = models.ForeignKey(
        HardshipFile, verbose_name=_("File"), on_delete=models.PROTECT, related_name="documents"
    )
    name = SealedTextField(_("File name"), max_length=120)
    content_type = models.CharField(_("Type"), max_length=40)
    size = models.PositiveIntegerField(_("Size (bytes)"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    stored_name = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("Stored name")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("Uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("Uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Evidence document")
        verbose_name_plural = _("Evidence documents")

    def __str__(self) -> str:
        # Not the (sealed) name: this is what the audit log keeps as the object's label.
        return f"{self._meta.verbose_name} #{self.pk}"
