"""Union venues (职工之家, gyms, libraries, meeting rooms), their hours, closures, slots and bookings.

No double booking is enforced by the database:

- a shared slot's ``places_left`` moves by conditional UPDATEs and a CHECK keeps it within
  ``0 ≤ places_left ≤ capacity``;
- a member holds at most one live booking of a slot (a partial UNIQUE constraint);
- on PostgreSQL, an EXCLUSION constraint (btree_gist) refuses two live (active or attended)
  exclusive bookings of one venue whose time ranges overlap (installed by migration 0002 on
  PostgreSQL only; SQLite serialises writers and the service checks overlaps with the venue
  locked).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gonghui.core.timeutil import format_datetime, format_range
from gonghui.members.models import Member
from gonghui.orgs.models import Org, validate_region_code


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Mode(models.TextChoices):
    SHARED = "shared", _("Shared (individual places)")
    EXCLUSIVE = "exclusive", _("Exclusive (whole venue)")


class Venue(models.Model):
    class Kind(models.TextChoices):
        WORKERS_HOME = "workers_home", _("Workers' home")
        GYM = "gym", _("Gym")
        LIBRARY = "library", _("Library")
        MEETING_ROOM = "meeting_room", _("Meeting room")
        OTHER = "other", _("Other")

    class ExclusiveBy(models.TextChoices):
        UNIONS = "unions", _("Unions only")
        MEMBERS = "members", _("Members and unions")

    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="venues"
    )
    name = models.CharField(_("Name"), max_length=120)
    kind = models.CharField(_("Kind"), max_length=16, choices=Kind.choices)
    address = models.CharField(_("Address"), max_length=200, blank=True)
    region_code = models.CharField(
        _("Region code"), max_length=6, validators=[validate_region_code]
    )
    capacity = models.PositiveIntegerField(
        _("Capacity"), default=20, validators=[MinValueValidator(1)]
    )
    description = models.TextField(_("Description"), blank=True)
    # WGS-84 degrees (what a phone's geolocation gives); both or neither. Members see the
    # distance to a venue when they share their location (venues.geo).
    latitude = models.DecimalField(
        _("Latitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
        help_text=_("Degrees north, e.g. 28.135200 (WGS-84, as shown by a phone's map)."),
    )
    longitude = models.DecimalField(
        _("Longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
        help_text=_("Degrees east, e.g. 121.233800."),
    )
    is_active = models.BooleanField(_("Open for booking"), default=True)
    # Booking rules
    max_active_bookings = models.PositiveSmallIntegerField(
        _("Active bookings per member"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("How many upcoming bookings of this venue one member may hold at a time."),
    )
    book_ahead_days = models.PositiveSmallIntegerField(
        _("Bookable days ahead"),
        default=7,
        validators=[MaxValueValidator(365)],
        help_text=_("Members may book slots starting at most this many days from today."),
    )
    cancel_hours = models.PositiveSmallIntegerField(
        _("Cancellation deadline (hours before start)"),
        default=2,
        validators=[MaxValueValidator(24 * 30)],
    )
    exclusive_by = models.CharField(
        _("Who may book exclusively"),
        max_length=8,
        choices=ExclusiveBy.choices,
        default=ExclusiveBy.UNIONS,
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Venue")
        verbose_name_plural = _("Venues")
        ordering = ["org", "name"]
        indexes = [models.Index(fields=["region_code", "is_active"])]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="venues_venue_capacity_min"),
            models.CheckConstraint(
                condition=Q(max_active_bookings__gte=1), name="venues_venue_max_active_min"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    # isnull=False spelled out: a comparison with NULL would let the CHECK pass
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="venues_venue_coordinates_valid",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            missing = "longitude" if self.longitude is None else "latitude"
            raise ValidationError(
                {missing: _("Give both latitude and longitude, or neither.")}, code="coordinates"
            )

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class OpeningHours(models.Model):
    """One opening window on one weekday (local time). A day may have several windows."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("Venue"), on_delete=models.CASCADE, related_name="hours"
    )
    weekday = models.PositiveSmallIntegerField(_("Weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("Opens"))
    closes = models.TimeField(_("Closes"))

    class Meta:
        verbose_name = _("Opening hours")
        verbose_name_plural = _("Opening hours")
        ordering = ["venue", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(opens__lt=F("closes")), name="venues_hours_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="venues_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Closure(models.Model):
    """The venue is closed on these local dates (both included): holidays, repairs."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("Venue"), on_delete=models.CASCADE, related_name="closures"
    )
    starts_on = models.DateField(_("From"))
    ends_on = models.DateField(_("Until"))
    reason = models.CharField(_("Reason"), max_length=200)

    class Meta:
        verbose_name = _("Closure")
        verbose_name_plural = _("Closures")
        ordering = ["venue", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")), name="venues_closure_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_on}–{self.ends_on} {self.reason}"


class SlotTemplate(models.Model):
    """A weekly slot (local time) from which ``slots_generate`` creates slots ahead."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("Venue"), on_delete=models.CASCADE, related_name="templates"
    )
    weekday = models.PositiveSmallIntegerField(_("Weekday"), choices=Weekday.choices)
    start = models.TimeField(_("Start"))
    end = models.TimeField(_("End"))
    mode = models.CharField(_("Mode"), max_length=10, choices=Mode.choices, default=Mode.SHARED)
    capacity = models.PositiveIntegerField(
        _("Places"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("Places of a shared slot; an exclusive slot is always one booking."),
    )
    is_active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Slot template")
        verbose_name_plural = _("Slot templates")
        ordering = ["venue", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="venues_template_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="venues_template_weekday"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="venues_template_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.venue} {self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Slot(models.Model):
    """A bookable time of a venue. Shared: ``capacity`` individual places. Exclusive: one booking."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("Venue"), on_delete=models.CASCADE, related_name="slots"
    )
    template = models.ForeignKey(
        SlotTemplate,
        verbose_name=_("Slot template"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="slots",
    )
    starts_at = models.DateTimeField(_("Starts at"))
    ends_at = models.DateTimeField(_("Ends at"))
    mode = models.CharField(_("Mode"), max_length=10, choices=Mode.choices)
    capacity = models.PositiveIntegerField(_("Places"))
    places_left = models.PositiveIntegerField(_("Places left"))

    class Meta:
        verbose_name = _("Slot")
        verbose_name_plural = _("Slots")
        ordering = ["venue", "starts_at"]
        indexes = [models.Index(fields=["venue", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(places_left__gte=0) & Q(places_left__lte=F("capacity")),
                name="venues_slot_places_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="venues_slot_order"
            ),
            models.CheckConstraint(
                condition=Q(mode="shared") | Q(capacity=1), name="venues_slot_exclusive_one"
            ),
            models.UniqueConstraint(
                fields=["venue", "starts_at", "ends_at", "mode"], name="venues_slot_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue} {format_range(self.starts_at, self.ends_at)}"


class Booking(models.Model):
    """A member's place in a shared slot, or an exclusive booking (of a slot or a time range) by a
    member or a union. Recurring union bookings share a ``recurrence_group``."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("No-show")

    venue = models.ForeignKey(
        Venue, verbose_name=_("Venue"), on_delete=models.PROTECT, related_name="bookings"
    )
    slot = models.ForeignKey(
        Slot,
        verbose_name=_("Slot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    starts_at = models.DateTimeField(_("Starts at"))
    ends_at = models.DateTimeField(_("Ends at"))
    mode = models.CharField(_("Mode"), max_length=10, choices=Mode.choices)
    member = models.ForeignKey(
        Member,
        verbose_name=_("Member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="venue_bookings",
    )
    booker_org = models.ForeignKey(
        Org,
        verbose_name=_("Booking union"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="venue_bookings",
    )
    purpose = models.CharField(_("Purpose"), max_length=200, blank=True)
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    recurrence_group = models.UUIDField(_("Recurrence group"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("Created by"),
    )
    created_at = models.DateTimeField(_("Booked at"), auto_now_add=True)
    entered_at = models.DateTimeField(_("Entered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("Cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("Cancellation reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Booking")
        verbose_name_plural = _("Bookings")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["venue", "starts_at"]),
            models.Index(fields=["member", "status", "ends_at"]),
            models.Index(fields=["recurrence_group"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="venues_booking_order"
            ),
            # Exactly one booker: a member or a union.
            models.CheckConstraint(
                condition=(Q(member__isnull=False) & Q(booker_org__isnull=True))
                | (Q(member__isnull=True) & Q(booker_org__isnull=False)),
                name="venues_booking_one_booker",
            ),
            # A shared booking is always a place in a slot.
            models.CheckConstraint(
                condition=Q(mode="exclusive") | Q(slot__isnull=False),
                name="venues_booking_shared_has_slot",
            ),
            # A member holds at most one live booking of a slot.
            models.UniqueConstraint(
                fields=["slot", "member"],
                condition=Q(status__in=["active", "attended"]),
                name="venues_booking_one_live_per_member_slot",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.venue} {format_range(self.starts_at, self.ends_at)} {self.get_status_display()}"
        )

    @property
    def booker_label(self) -> str:
        if self.member_id is not None:
            return str(self.member)
        return str(self.booker_org)


class Entry(models.Model):
    """A member entered the venue on a booking (scanned at the gate or by the venue's poster).

    Once per (booking, member): a member's own booking, or a union's exclusive booking that
    members of that union enter one by one."""

    booking = models.ForeignKey(
        Booking, verbose_name=_("Booking"), on_delete=models.PROTECT, related_name="entries"
    )
    venue = models.ForeignKey(
        Venue, verbose_name=_("Venue"), on_delete=models.PROTECT, related_name="entries"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="venue_entries"
    )
    terminal_id = models.PositiveBigIntegerField(_("Terminal"), null=True, blank=True)
    entered_at = models.DateTimeField(_("Entered at"))

    class Meta:
        verbose_name = _("Entry")
        verbose_name_plural = _("Entries")
        ordering = ["-entered_at", "-id"]
        indexes = [models.Index(fields=["venue", "entered_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "member"], name="venues_entry_once_per_booking"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue} {self.member} {format_datetime(self.entered_at)}"
