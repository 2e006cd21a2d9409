"""Rights cases (维权, 法律援助, 欠薪), their configurable types and steps, and collective wage
contracts (工资集体协议)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gonghui.core.models import AppendOnlyModel
from gonghui.core.sealed import SealedTextField
from gonghui.core.timeutil import format_datetime
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org


class CaseType(models.Model):
    """Configuration: a kind of case (consultation, wage arrears, …) with ordered steps."""

    code = models.SlugField(_("Code"), max_length=32, unique=True)
    name = models.CharField(_("Name"), max_length=60)
    is_active = models.BooleanField(_("Active"), default=True)
    order = models.PositiveSmallIntegerField(_("Order"), default=0)

    class Meta:
        verbose_name = _("Case type")
        verbose_name_plural = _("Case types")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class CaseStep(models.Model):
    case_type = models.ForeignKey(
        CaseType, on_delete=models.CASCADE, related_name="steps", verbose_name=_("Case type")
    )
    order = models.PositiveSmallIntegerField(_("Order"))
    name = models.CharField(_("Step"), max_length=60)
    due_days = models.PositiveSmallIntegerField(_("Due within (days)"))

    class Meta:
        verbose_name = _("Case step")
        verbose_name_plural = _("Case steps")
        ordering = ["case_type", "order"]
        constraints = [
            models.UniqueConstraint(fields=["case_type", "order"], name="case_step_order_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class RightsCase(models.Model):
    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("Consultation")
        COMPLAINT = "complaint", _("Complaint")

    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        NONE = "", _("(none)")
        ANSWERED = "answered", _("Answered")
        RESOLVED = "resolved", _("Resolved")
        PARTLY = "partly", _("Partly resolved")
        UNRESOLVED = "unresolved", _("Not resolved")
        REFERRED = "referred", _("Referred elsewhere")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    number = models.CharField(_("Case number"), max_length=24, unique=True)
    kind = models.CharField(_("Kind"), max_length=12, choices=Kind.choices)
    case_type = models.ForeignKey(
        CaseType, verbose_name=_("Case type"), on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("Member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_anonymous = models.BooleanField(_("Anonymous"), default=False)
    contact_phone_cipher = models.TextField(
        blank=True, editable=False, verbose_name=_("Contact phone (sealed)")
    )
    contact_phone_masked = models.CharField(_("Contact phone"), max_length=11, blank=True)
    access_code_hash = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("Access code hash")
    )
    description = SealedTextField(_("What happened"))  # sealed at rest (core.sealed)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("Employer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    employer_name = models.CharField(_("Employer (as entered)"), max_length=120, blank=True)
    amount_claimed_fen = models.BigIntegerField(_("Amount claimed (fen)"), default=0)
    status = models.CharField(
        _("Status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    step = models.ForeignKey(
        CaseStep, verbose_name=_("Current step"), on_delete=models.PROTECT, related_name="+"
    )
    step_started_on = models.DateField(_("Step started on"))
    due_on = models.DateField(_("Due on"), null=True, blank=True, db_index=True)
    lawyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Lawyer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    case_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Case worker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(
        _("Outcome"), max_length=12, choices=Outcome.choices, blank=True, default=""
    )
    amount_recovered_fen = models.BigIntegerField(_("Amount recovered (fen)"), default=0)
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Rights case")
        verbose_name_plural = _("Rights cases")
        indexes = [models.Index(fields=["member", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_claimed_fen__gte=0) & Q(amount_recovered_fen__gte=0),
                name="rights_amounts_nonneg",
            ),
            models.CheckConstraint(
                condition=~Q(is_anonymous=True, member__isnull=False),
                name="rights_anonymous_has_no_member",
            ),
            models.CheckConstraint(
                condition=Q(status="open", outcome="") | (Q(status="closed") & ~Q(outcome="")),
                name="rights_outcome_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseParty(models.Model):
    """One claimant of a collective case (many members, one employer)."""

    case = models.ForeignKey(
        RightsCase, on_delete=models.CASCADE, related_name="parties", verbose_name=_("Rights case")
    )
    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="+"
    )
    amount_claimed_fen = models.BigIntegerField(_("Amount claimed (fen)"), default=0)
    amount_recovered_fen = models.BigIntegerField(_("Amount recovered (fen)"), default=0)

    class Meta:
        verbose_name = _("Case party")
        verbose_name_plural = _("Case parties")
        constraints = [
            models.UniqueConstraint(fields=["case", "member"], name="case_party_unique"),
            models.CheckConstraint(
                condition=Q(amount_claimed_fen__gte=0) & Q(amount_recovered_fen__gte=0),
                name="case_party_amounts_nonneg",
            ),
        ]

    def __str__(self) -> str:
        return str(self.member)


class CaseEntry(AppendOnlyModel):
    """The case's timeline: notes and actions, append-only."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Received")
        NOTE = "note", _("Note")
        ANSWER = "answer", _("Answer")
        ASSIGNED = "assigned", _("Assigned")
        ADVANCED = "advanced", _("Next step")
        PARTY = "party", _("Party added")
        CLOSED = "closed", _("Closed")

    case = models.ForeignKey(
        RightsCase, on_delete=models.PROTECT, related_name="entries", verbose_name=_("Rights case")
    )
    kind = models.CharField(_("Kind"), max_length=10, choices=Kind.choices)
    text = SealedTextField(_("Text"), blank=True)  # sealed at rest (core.sealed)
    is_public = models.BooleanField(_("Shown to the applicant"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("Actor"),
    )
    at = models.DateTimeField(_("Time"), auto_now_add=True)

    class Meta:
        verbose_name = _("Timeline entry")
        verbose_name_plural = _("Timeline")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_datetime(self.at)}"


class CollectiveContract(models.Model):
    """A collective wage contract: of one enterprise, of an industry, or of a region."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        INDUSTRY = "industry", _("Industry")
        REGIONAL = "regional", _("Regional")

    kind = models.CharField(_("Kind"), max_length=12, choices=Kind.choices)
    org = models.ForeignKey(
        Org,
        verbose_name=_("Union (signing party)"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "An industry contract covers the enterprises under this union; a regional one those "
            "under it in the region."
        ),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("Enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    region_code = models.CharField(_("Region code"), max_length=6, blank=True)
    title = models.CharField(_("Title"), max_length=120)
    signed_on = models.DateField(_("Signed on"))
    valid_from = models.DateField(_("Valid from"))
    valid_until = models.DateField(_("Valid until"))
    wage_increase_bp = models.PositiveIntegerField(_("Agreed wage increase (basis points)"))
    workers_covered = models.PositiveIntegerField(_("Workers covered"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Collective wage contract")
        verbose_name_plural = _("Collective wage contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")),
                name="contract_valid_window",
            ),
            models.CheckConstraint(
                condition=Q(kind="enterprise", enterprise__isnull=False)
                | (~Q(kind="enterprise") & Q(enterprise__isnull=True)),
                name="contract_enterprise_iff_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind="regional") | ~Q(region_code=""),
                name="contract_regional_has_region",
            ),
        ]

    def __str__(self) -> str:
        return self.title
