"""Employment help (就业帮扶): employers' staff, postings (incl. 工会送岗), job fairs with booths,
applications with their state machine, and skill-pay linkage (技能与薪酬挂钩)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gonghui.codes.models import Terminal
from gonghui.core.models import AppendOnlyModel
from gonghui.core.money import format_fen
from gonghui.core.skills import SkillLevel
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org, validate_region_code


def _yuan(fen: int) -> str:
    text = format_fen(fen)
    return text[:-3] if text.endswith(".00") else text


class Trade(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    LOGISTICS = "logistics", _("Logistics")
    DELIVERY = "delivery", _("Delivery")
    RETAIL = "retail", _("Retail")
    CATERING = "catering", _("Catering")
    CARE = "care", _("Care services")
    CONSTRUCTION = "construction", _("Construction")
    TRANSPORT = "transport", _("Transport")
    PROPERTY = "property", _("Property services")
    FISHERY = "fishery", _("Fishery and agriculture")
    OTHER = "other", _("Other")


class EmployerStaff(models.Model):
    """A Django user who works for an employer and sees that employer's postings and applicants.

    Roles are held at union orgs; employers are enterprises, so their staff are linked here."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("User"),
        on_delete=models.CASCADE,
        related_name="employer_links",
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("Enterprise"),
        on_delete=models.CASCADE,
        related_name="employer_staff",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Employer staff")
        verbose_name_plural = _("Employer staff")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "enterprise"], name="jobs_employer_staff_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.enterprise}"


class Posting(models.Model):
    """A job posting of an enterprise, published through a union (``org``)."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("Regular posting")
        UNION_PUSHED = "union_pushed", _("Union-pushed post")  # 工会送岗
        GIG_SPECIAL = "gig_special", _("Gig-worker special")  # 新业态招聘专场

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Hiring")
        CLOSED = "closed", _("Hiring closed")

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("Hiring employer"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    org = models.ForeignKey(
        Org,
        verbose_name=_("Publishing union"),
        on_delete=models.PROTECT,
        related_name="job_postings",
    )
    title = models.CharField(_("Title"), max_length=120)
    description = models.TextField(_("Job description"), blank=True)
    trade = models.CharField(_("Industry"), max_length=16, choices=Trade.choices)
    salary_min_fen = models.BigIntegerField(_("Monthly salary from (fen)"))
    salary_max_fen = models.BigIntegerField(_("Monthly salary up to (fen)"))
    region_code = models.CharField(
        _("Region code"), max_length=6, validators=[validate_region_code]
    )
    skills = models.JSONField(_("Skills"), default=list, blank=True)
    headcount = models.PositiveIntegerField(_("Headcount"), default=1)
    valid_from = models.DateField(_("Valid from"))
    valid_until = models.DateField(_("Valid until"))
    kind = models.CharField(_("Kind"), max_length=16, choices=Kind.choices, default=Kind.REGULAR)
    status = models.CharField(
        _("Status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("Created by"),
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Job posting")
        verbose_name_plural = _("Job posting")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "valid_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(salary_min_fen__gte=0) & Q(salary_min_fen__lte=F("salary_max_fen")),
                name="jobs_posting_salary_range",
            ),
            models.CheckConstraint(condition=Q(headcount__gte=1), name="jobs_posting_headcount"),
            models.CheckConstraint(
                condition=Q(valid_from__lte=F("valid_until")), name="jobs_posting_validity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {self.enterprise}"

    @property
    def salary_text(self) -> str:
        """¥5,000 – ¥8,000 (whole yuan when the fen are zero)."""
        return f"{_yuan(self.salary_min_fen)} – {_yuan(self.salary_max_fen)}"


class JobFair(models.Model):
    class Kind(models.TextChoices):
        GENERAL = "general", _("Job fair")
        UNION_PUSHED = "union_pushed", _("Union post-delivery fair")  # 工会送岗招聘会
        GIG_SPECIAL = "gig_special", _("Gig-worker special fair")  # 新业态专场

    org = models.ForeignKey(
        Org, verbose_name=_("Organising union"), on_delete=models.PROTECT, related_name="job_fairs"
    )
    title = models.CharField(_("Title"), max_length=120)
    date = models.DateField(_("Date"))
    place = models.CharField(_("Place"), max_length=200)
    kind = models.CharField(_("Kind"), max_length=16, choices=Kind.choices, default=Kind.GENERAL)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Job fair")
        verbose_name_plural = _("Job fair")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return self.title


class Booth(models.Model):
    """An employer's booth at a fair; its terminal scans members' codes (a delivered résumé)."""

    fair = models.ForeignKey(
        JobFair, verbose_name=_("Job fair"), on_delete=models.CASCADE, related_name="booths"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("Hiring employer"),
        on_delete=models.PROTECT,
        related_name="booths",
    )
    number = models.CharField(_("Booth number"), max_length=16, blank=True)
    terminal = models.ForeignKey(
        Terminal,
        verbose_name=_("Terminal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Job fair booth")
        verbose_name_plural = _("Job fair booth")
        constraints = [
            models.UniqueConstraint(fields=["fair", "enterprise"], name="jobs_booth_one_per_fair")
        ]

    def __str__(self) -> str:
        return f"{self.fair} · {self.number or ''} {self.enterprise}".strip()


class FairCheckin(models.Model):
    """A member checked in at a fair's gate by code (once per fair)."""

    fair = models.ForeignKey(
        JobFair, verbose_name=_("Job fair"), on_delete=models.PROTECT, related_name="checkins"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="fair_checkins"
    )
    terminal = models.ForeignKey(
        Terminal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Terminal"),
    )
    checked_in_at = models.DateTimeField(_("Checked in at"))

    class Meta:
        verbose_name = _("Fair check-in")
        verbose_name_plural = _("Fair check-in")
        ordering = ["-checked_in_at"]
        constraints = [
            models.UniqueConstraint(fields=["fair", "member"], name="jobs_checkin_once_per_fair")
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.fair}"


class Application(models.Model):
    """A member's application to an employer: online for a posting, or a résumé at a booth.

    Status: submitted → viewed → interview → offered → hired, or rejected / withdrawn from any
    open state (see ``services.TRANSITIONS``). Reaching ``offered`` is the intention (达成意向)."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        BOOTH = "booth", _("Fair booth")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Résumé sent")
        VIEWED = "viewed", _("Viewed")
        INTERVIEW = "interview", _("Interview")
        OFFERED = "offered", _("Offered")
        HIRED = "hired", _("Hired")
        REJECTED = "rejected", _("Not hired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="job_applications"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("Hiring employer"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    posting = models.ForeignKey(
        Posting,
        verbose_name=_("Posting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    booth = models.ForeignKey(
        Booth,
        verbose_name=_("Job fair booth"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    org = models.ForeignKey(
        Org,
        verbose_name=_("Union"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The union of the posting or fair; staff scope follows it."),
    )
    source = models.CharField(_("Source"), max_length=8, choices=Source.choices)
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    intention_at = models.DateTimeField(_("Intention reached at"), null=True, blank=True)
    hired_at = models.DateTimeField(_("Hired at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("Applied at"), db_index=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Job application")
        verbose_name_plural = _("Job application")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "posting"],
                condition=Q(posting__isnull=False),
                name="jobs_application_once_per_posting",
            ),
            models.UniqueConstraint(
                fields=["member", "booth"],
                condition=Q(posting__isnull=True),
                name="jobs_application_once_per_booth",
            ),
            models.CheckConstraint(
                condition=Q(posting__isnull=False) | Q(booth__isnull=False),
                name="jobs_application_posting_or_booth",
            ),
        ]

    def __str__(self) -> str:
        what = self.posting.title if self.posting_id else str(self.enterprise)  # type: ignore[union-attr]
        return f"{self.member} → {what}"


class ApplicationStep(AppendOnlyModel):
    """One status change of an application: who (a staff user or the member) and when."""

    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="steps",
        verbose_name=_("Job application"),
    )
    from_status = models.CharField(
        _("From status"), max_length=10, blank=True, choices=Application.Status.choices
    )
    to_status = models.CharField(_("To status"), max_length=10, choices=Application.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Actor"),
    )
    by_member = models.BooleanField(_("By the member"), default=False)
    note = models.CharField(_("Remarks"), max_length=200, blank=True)
    at = models.DateTimeField(_("Time"))

    class Meta:
        verbose_name = _("Application step")
        verbose_name_plural = _("Application step")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '∅'} → {self.get_to_status_display()}"


class SkillPayScheme(models.Model):
    """An enterprise's skill-pay linkage (技能与薪酬挂钩) from a date: a monthly raise per level."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("Enterprise"),
        on_delete=models.PROTECT,
        related_name="skill_pay_schemes",
    )
    effective_from = models.DateField(_("Effective from"))
    workers_covered = models.PositiveIntegerField(_("Workers covered by the scheme"), default=0)
    note = models.CharField(_("Remarks"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Skill-pay scheme")
        verbose_name_plural = _("Skill-pay scheme")
        ordering = ["-effective_from", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "effective_from"], name="jobs_skillpay_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.effective_from}"


class SkillPayRaise(models.Model):
    scheme = models.ForeignKey(
        SkillPayScheme,
        on_delete=models.CASCADE,
        related_name="raises",
        verbose_name=_("Skill-pay scheme"),
    )
    level = models.CharField(_("Skill level"), max_length=20, choices=SkillLevel.choices)
    monthly_raise_fen = models.BigIntegerField(_("Monthly raise (fen)"))

    class Meta:
        verbose_name = _("Raise per level")
        verbose_name_plural = _("Raise per level")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "level"], name="jobs_skillpay_level_once"),
            models.CheckConstraint(
                condition=Q(monthly_raise_fen__gte=0), name="jobs_skillpay_raise_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.monthly_raise_fen}"
