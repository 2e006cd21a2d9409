"""Activities: union activities and quota programmes, their sessions, registrations, check-ins
and draws. Places are taken by conditional UPDATEs on ``Session.places_left`` (never below zero:
a CHECK constraint stands behind the services); see docs/activities.md."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gonghui.core.timeutil import format_datetime, format_range
from gonghui.members.models import Member
from gonghui.orgs.models import Org


def _poster_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.PRIVATE_ROOT / "activities")


class Kind(models.TextChoices):
    SPORTS_CULTURE = "sports_culture", _("Sports and culture")
    UNION_FAIR = "union_fair", _("Union fair")
    RECUPERATION = "recuperation", _("Recuperation")
    SCREENING = "screening", _("Cancer screening")
    CAREER_CLASS = "career_class", _("Career class for children")
    LECTURE = "lecture", _("Lecture")
    VOLUNTEER = "volunteer", _("Volunteer service")


class Allocation(models.TextChoices):
    FIRST_COME = "first_come", _("First come, first served")
    REVIEW = "review", _("Application and review")
    LOTTERY = "lottery", _("Lottery")


class Audience(models.TextChoices):
    ALL = "all", _("All members")
    GIG = "gig", _("Gig workers only")
    FRONTLINE = "frontline", _("Frontline workers only")


class Activity(models.Model):
    org = models.ForeignKey(
        Org, verbose_name=_("Organiser"), on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(_("Kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("Title"), max_length=120)
    description = models.TextField(_("Description"), blank=True)
    poster = models.FileField(
        _("Poster image"), storage=_poster_storage, upload_to="posters/%Y/", blank=True
    )
    allocation = models.CharField(
        _("Allocation"), max_length=12, choices=Allocation.choices, default=Allocation.FIRST_COME
    )
    region_code = models.CharField(_("Region code"), max_length=6, blank=True)
    registration_opens = models.DateTimeField(_("Registration opens"))
    registration_closes = models.DateTimeField(_("Registration closes"))
    is_published = models.BooleanField(_("Published"), default=False)
    # eligibility
    audience_org = models.ForeignKey(
        Org,
        verbose_name=_("Open to members of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("An org whose whole subtree may take part; empty: the organiser's subtree."),
    )
    audience = models.CharField(
        _("Member type"), max_length=12, choices=Audience.choices, default=Audience.ALL
    )
    gender = models.CharField(
        _("Gender"),
        max_length=1,
        blank=True,
        default="",
        choices=[("", _("Any")), ("M", _("Male")), ("F", _("Female"))],
    )
    min_age = models.PositiveSmallIntegerField(_("Minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("Maximum age"), null=True, blank=True)
    child_min_age = models.PositiveSmallIntegerField(
        _("Child's minimum age"), null=True, blank=True
    )
    child_max_age = models.PositiveSmallIntegerField(
        _("Child's maximum age"), null=True, blank=True
    )
    limit_per_year = models.PositiveSmallIntegerField(
        _("Limit per member per year (this kind)"),
        null=True,
        blank=True,
        help_text=_(
            "E.g. 1 for recuperation: one per calendar year across activities of the kind."
        ),
    )
    cancel_hours_before = models.PositiveIntegerField(
        _("Cancellation closes (hours before the session)"), default=24
    )
    # subsidy
    subsidy_fen = models.PositiveIntegerField(_("Subsidy per place (fen)"), default=0)
    subsidy_budget = models.ForeignKey(
        "funds.Budget",
        verbose_name=_("Subsidy budget"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Activity")
        verbose_name_plural = _("Activities")
        ordering = ["-registration_opens", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(registration_closes__gt=models.F("registration_opens")),
                name="activities_window_order",
            ),
            models.CheckConstraint(
                condition=Q(subsidy_fen=0) | Q(subsidy_budget__isnull=False),
                name="activities_subsidy_has_budget",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def needs_child(self) -> bool:
        return self.child_min_age is not None or self.child_max_age is not None


class Session(models.Model):
    activity = models.ForeignKey(
        Activity, verbose_name=_("Activity"), on_delete=models.PROTECT, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("Starts at"))
    ends_at = models.DateTimeField(_("Ends at"))
    place = models.CharField(_("Place"), max_length=200)
    capacity = models.PositiveIntegerField(_("Number of places"))
    places_left = models.IntegerField(_("Places left"), editable=False, default=0)
    waitlist_enabled = models.BooleanField(_("Waitlist"), default=True)
    waitlist_counter = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=_("Waitlist counter")
    )
    attendance_closed_at = models.DateTimeField(
        _("Attendance closed at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("Session")
        verbose_name_plural = _("Activity sessions")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(places_left__gte=0), name="activities_places_left_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(places_left__lte=models.F("capacity")),
                name="activities_places_left_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="activities_session_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity} {format_range(self.starts_at, self.ends_at)}"


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")
        APPLIED = "applied", _("Applied")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WON = "won", _("Won the draw")
        LOST = "lost", _("Not drawn")
        CANCELLED = "cancelled", _("Cancelled")
        ATTENDED = "attended", _("Checked in")
        NO_SHOW = "no_show", _("No-show")

    session = models.ForeignKey(
        Session, verbose_name=_("Session"), on_delete=models.PROTECT, related_name="registrations"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices)
    position = models.PositiveIntegerField(_("Waitlist position"), null=True, blank=True)
    reason = models.CharField(_("Reason"), max_length=200, blank=True)
    walk_in = models.BooleanField(_("Walk-in"), default=False)
    child_name = models.CharField(_("Child's name"), max_length=60, blank=True)
    child_birth_date = models.DateField(_("Child's birth date"), null=True, blank=True)
    subsidy_fen = models.PositiveIntegerField(_("Subsidy (fen)"), default=0)
    subsidy_txn_id = models.BigIntegerField(
        null=True, blank=True, editable=False, verbose_name=_("Subsidy transaction")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("Decided by"),
    )
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("Registered at"), db_index=True)

    HOLDING = (Status.CONFIRMED, Status.APPROVED, Status.WON)  # holds a place
    PENDING = (Status.WAITLISTED, Status.APPLIED)

    class Meta:
        verbose_name = _("Registration")
        verbose_name_plural = _("Registrations")
        ordering = ["session", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"],
                condition=~Q(status="cancelled"),
                name="activities_registration_one_live",
            ),
            models.UniqueConstraint(
                fields=["session", "position"],
                condition=Q(position__isnull=False),
                name="activities_registration_position_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status", "position"]),
            models.Index(fields=["member", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.member_id} {self.status}"


class CheckIn(models.Model):
    class Via(models.TextChoices):
        TERMINAL = "terminal", _("Gate terminal (member's code)")
        POSTER = "poster", _("Session poster (reverse scan)")
        STAFF = "staff", _("Staff")

    registration = models.OneToOneField(
        Registration,
        verbose_name=_("Registration"),
        on_delete=models.PROTECT,
        related_name="checkin",
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="checkins", verbose_name=_("Session")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("Member")
    )
    via = models.CharField(_("Via"), max_length=8, choices=Via.choices)
    terminal_id = models.BigIntegerField(_("Terminal"), null=True, blank=True)
    at = models.DateTimeField(_("Checked in at"))

    class Meta:
        verbose_name = _("Check-in")
        verbose_name_plural = _("Check-ins")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"], name="activities_checkin_once_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.member_id} {format_datetime(self.at)}"


class Draw(models.Model):
    """A lottery for one session: sha256(seed) is committed before the registration window opens;
    the seed is revealed when the draw runs. The published proof lets anyone re-run it."""

    ALGORITHM = "hmac-sha256-v1"

    session = models.OneToOneField(
        Session, verbose_name=_("Session"), on_delete=models.PROTECT, related_name="draw"
    )
    algorithm = models.CharField(_("Algorithm"), max_length=24, default=ALGORITHM)
    seed_hash = models.CharField(_("Seed commitment (SHA-256)"), max_length=64)
    seed_cipher = models.TextField(editable=False, verbose_name=_("Seed (sealed)"))
    seed = models.CharField(_("Revealed seed"), max_length=64, blank=True, editable=False)
    committed_at = models.DateTimeField(_("Committed at"))
    run_at = models.DateTimeField(_("Run at"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("Published at"), null=True, blank=True, editable=False)
    places = models.PositiveIntegerField(_("Places drawn"), default=0, editable=False)
    proof = models.JSONField(_("Proof"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("Draw")
        verbose_name_plural = _("Draws")

    def __str__(self) -> str:
        return f"{self.session} ({self.seed_hash[:12]}…)"
