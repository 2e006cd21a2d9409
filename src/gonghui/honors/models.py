"""Model workers and craftsmen (劳模工匠), their volunteer teams and volunteer services."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org


class HonourLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


class HonourTitle(models.TextChoices):
    MODEL_WORKER = "model_worker", _("Model worker")  # 劳动模范
    CRAFTSMAN = "craftsman", _("Craftsman")  # 工匠
    MAY_DAY_MEDAL = "may_day_medal", _("May Day Labour Medal")  # 五一劳动奖章
    ADVANCED_WORKER = "advanced_worker", _("Advanced worker")  # 先进工作者
    OTHER = "other", _("Other honour")


class Honoree(models.Model):
    """A model worker or craftsman; a member when they are one, otherwise just a name."""

    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="honorees"
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("Member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="honours",
    )
    name = models.CharField(_("Full name"), max_length=60)
    level = models.CharField(_("Level"), max_length=12, choices=HonourLevel.choices)
    title = models.CharField(_("Honour"), max_length=16, choices=HonourTitle.choices)
    title_detail = models.CharField(_("Honour (full name)"), max_length=120, blank=True)
    year = models.PositiveSmallIntegerField(_("Year"))
    field = models.CharField(_("Field"), max_length=60, blank=True)
    employer_name = models.CharField(_("Employer"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Model worker or craftsman")
        verbose_name_plural = _("Model workers and craftsmen")
        ordering = ["-year", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=1950) & Q(year__lte=2100), name="honors_honoree_year"
            ),
            models.UniqueConstraint(
                fields=["name", "title", "level", "year", "org"], name="honors_honoree_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_title_display()} ({self.year})"


class VolunteerTeam(models.Model):
    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="volunteer_teams"
    )
    name = models.CharField(_("Team name"), max_length=120)
    leader = models.ForeignKey(
        Honoree,
        verbose_name=_("Leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Volunteer team")
        verbose_name_plural = _("Volunteer team")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="honors_team_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class VolunteerService(models.Model):
    """One volunteer service activity of a team (助企行, 劳模助教, 科技共富, …)."""

    class Kind(models.TextChoices):
        ENTERPRISE_HELP = "enterprise_help", _("Helping enterprises")  # 助企行
        TEACHING = "teaching", _("Model-worker teaching")  # 劳模助教
        TECH_PROSPERITY = "tech_prosperity", _("Technology for common prosperity")  # 科技共富
        COMMUNITY = "community", _("Community service")
        OTHER = "other", _("Other")

    team = models.ForeignKey(
        VolunteerTeam, verbose_name=_("Team"), on_delete=models.PROTECT, related_name="services"
    )
    title = models.CharField(_("Title"), max_length=120)
    date = models.DateField(_("Date"))
    place = models.CharField(_("Place"), max_length=200, blank=True)
    kind = models.CharField(_("Kind"), max_length=16, choices=Kind.choices)
    hours = models.DecimalField(
        _("Hours per volunteer"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    enterprises_helped = models.ManyToManyField(
        Enterprise, verbose_name=_("Enterprises helped"), blank=True, related_name="+"
    )
    workers_helped = models.PositiveIntegerField(_("Workers helped"), default=0)
    note = models.TextField(_("Remarks"), blank=True)
    # Run as an activity: a plain reference to an attendable thing of another app through the
    # members.attendance registry ("activities.activity", its id); no foreign key to a peer app.
    activity_source = models.CharField(
        _("Runs as"), max_length=48, blank=True, default="", editable=False
    )
    activity_ref = models.PositiveBigIntegerField(
        _("Activity number"), null=True, blank=True, editable=False
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
        verbose_name = _("Volunteer service")
        verbose_name_plural = _("Volunteer service")
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24), name="honors_service_hours"
            ),
            models.CheckConstraint(
                condition=(Q(activity_source="") & Q(activity_ref__isnull=True))
                | (~Q(activity_source="") & Q(activity_ref__isnull=False)),
                name="honors_service_activity_both_or_neither",
            ),
            models.UniqueConstraint(
                fields=["activity_source", "activity_ref"],
                condition=Q(activity_ref__isnull=False),
                name="honors_service_activity_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.date})"

    @property
    def runs_as_activity(self) -> bool:
        return self.activity_ref is not None


class VolunteerParticipation(models.Model):
    """A volunteer (an honoree, or a member who is not one) served at a service for some hours."""

    service = models.ForeignKey(
        VolunteerService,
        verbose_name=_("Volunteer service"),
        on_delete=models.CASCADE,
        related_name="participations",
    )
    honoree = models.ForeignKey(
        Honoree,
        verbose_name=_("Model worker or craftsman"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="participations",
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("Member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="volunteer_participations",
        help_text=_("Filled from the honoree when they are a member."),
    )

    class Via(models.TextChoices):
        MANUAL = "manual", _("Recorded by staff")
        CHECKIN = "checkin", _("Checked in at the activity")

    hours = models.DecimalField(_("Hours served"), max_digits=5, decimal_places=1)
    via = models.CharField(
        _("Recorded from"), max_length=8, choices=Via.choices, default=Via.MANUAL, editable=False
    )
    first_checkin_at = models.DateTimeField(
        _("First check-in"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("Volunteer")
        verbose_name_plural = _("Volunteers")
        constraints = [
            models.CheckConstraint(
                condition=Q(honoree__isnull=False) | Q(member__isnull=False),
                name="honors_participation_someone",
            ),
            # typed hours: one day at most; hours from check-ins: the sessions attended
            models.CheckConstraint(
                condition=Q(hours__gt=0) & (Q(hours__lte=24) | Q(via="checkin")),
                name="honors_participation_hours",
            ),
            models.CheckConstraint(
                condition=Q(via="manual") | (Q(via="checkin") & Q(member__isnull=False)),
                name="honors_participation_checkin_member",
            ),
            models.UniqueConstraint(
                fields=["service", "honoree"],
                condition=Q(honoree__isnull=False),
                name="honors_participation_honoree_once",
            ),
            models.UniqueConstraint(
                fields=["service", "member"],
                condition=Q(member__isnull=False),
                name="honors_participation_member_once",
            ),
        ]

    def __str__(self) -> str:
        who = self.honoree.name if self.honoree_id else self.member.name  # type: ignore[union-attr]
        return f"{who} · {self.hours}h"
