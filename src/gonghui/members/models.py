"""Members, their history, enrolment and transfer requests, and the service-event log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gonghui.core import crypto
from gonghui.core.identifiers import mask_id_number, mask_phone
from gonghui.core.models import AppendOnlyModel
from gonghui.core.sealed import SealedTextField
from gonghui.core.timeutil import format_datetime
from gonghui.orgs.models import Enterprise, Org

# Purposes: the associated data of each encrypted field and the salt of its blind index.
PURPOSE_ID_NUMBER = "members.id_number"
PURPOSE_PHONE = "members.phone"
PURPOSE_BIRTH_DATE = "members.birth_date"
# The longest home address a member may set (plain text, counted in characters).
ADDRESS_MAX_LENGTH = 120


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class EmploymentType(models.TextChoices):
    EMPLOYEE = "employee", _("Enterprise employee")
    GIG = "gig", _("Gig worker")
    FLEXIBLE = "flexible", _("Flexible employment")
    PUBLIC = "public", _("Public sector")


class GigTrade(models.TextChoices):
    NONE = "", _("(none)")
    RIDER = "rider", _("Delivery rider")
    COURIER = "courier", _("Courier")
    TRUCK_DRIVER = "truck_driver", _("Truck driver")
    RIDE_HAILING = "ride_hailing", _("Ride-hailing driver")
    CARE_WORKER = "care_worker", _("Care worker")
    OTHER = "other", _("Other")


class PiiFields(models.Model):
    """ID number and phone: AES-GCM ciphertext and HMAC blind index, nothing else in plain.

    The masked forms (``330***********123X``, ``138****5678``) are derived from the ciphertext
    when shown, never stored: a stolen database must not narrow an ID number down (with the
    check character and the area's region codes, a stored 3+4 mask and a plain birth date
    identified every demo number). Opened values are kept on the instance for its lifetime."""

    id_number_cipher = models.TextField(_("ID number (encrypted)"), editable=False)
    id_number_index = models.CharField(
        max_length=64, editable=False, db_index=True, verbose_name=_("ID number index")
    )
    phone_cipher = models.TextField(_("Phone (encrypted)"), editable=False)
    phone_index = models.CharField(
        max_length=64, editable=False, db_index=True, verbose_name=_("Phone index")
    )

    class Meta:
        abstract = True

    def __getstate__(self) -> dict[str, Any]:
        # A pickled instance (a cache, a task queue) carries ciphertexts only, never the
        # plaintexts opened for display.
        state: dict[str, Any] = super().__getstate__()
        state.pop("_pii_opened", None)
        return state

    def _opened(self, field: str, purpose: str) -> str:
        """The plaintext of the sealed ``field``, decrypted once per token."""
        token = getattr(self, field)
        cache: dict[str, tuple[str, str]] = self.__dict__.setdefault("_pii_opened", {})
        hit = cache.get(field)
        if hit is None or hit[0] != token:
            hit = (token, crypto.decrypt(token, purpose=purpose))
            cache[field] = hit
        return hit[1]

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self._opened("id_number_cipher", PURPOSE_ID_NUMBER))

    id_number_masked.fget.short_description = _("ID number")  # type: ignore[attr-defined]

    @property
    def phone_masked(self) -> str:
        return mask_phone(self._opened("phone_cipher", PURPOSE_PHONE))

    phone_masked.fget.short_description = _("Phone")  # type: ignore[attr-defined]


class Member(PiiFields):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("member status", "Active")
        SUSPENDED = "suspended", _("Suspended")
        TRANSFERRED = "transferred", _("Transferred out")
        LEFT = "left", pgettext_lazy("member status", "Left")

    # The unique constraints below index the blind indexes already: no second btree (and no
    # varchar_pattern_ops "_like" index) on these 64-character random keys, which would only
    # slow every insert (roster imports: 4 of 16 indexes on the table).
    id_number_index = models.CharField(
        max_length=64, editable=False, verbose_name=_("ID number index")
    )
    phone_index = models.CharField(max_length=64, editable=False, verbose_name=_("Phone index"))
    member_no = models.CharField(_("Member number"), max_length=16, unique=True)
    name = models.CharField(pgettext_lazy("person", "Name"), max_length=60, db_index=True)
    gender = models.CharField(_("Gender"), max_length=1, choices=Gender.choices)
    # The birth date is sealed like the ID number it comes from; the year stays in plain for
    # queries (it leaves 365 days × 500 sequence numbers: see docs/members.md). Read and set
    # it through ``birth_date``; ``Member(birth_date=…)`` seals it.
    birth_date_cipher = models.TextField(_("Birth date (encrypted)"), editable=False)
    birth_year = models.PositiveSmallIntegerField(_("Birth year"), editable=False)
    org = models.ForeignKey(
        Org, verbose_name=_("Union"), on_delete=models.PROTECT, related_name="members"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("Employer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    employment_type = models.CharField(
        _("Employment type"),
        max_length=16,
        choices=EmploymentType.choices,
        default=EmploymentType.EMPLOYEE,
    )
    gig_trade = models.CharField(
        _("Gig trade"), max_length=16, choices=GigTrade.choices, blank=True, default=""
    )
    is_frontline = models.BooleanField(_("Frontline worker"), default=False)
    status = models.CharField(
        _("Status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    joined_on = models.DateField(_("Joined on"))
    skills = models.JSONField(_("Skills"), default=list, blank=True)
    # Set by the member on /m/profile; sealed at rest (purpose "members.member.address").
    address = SealedTextField(
        _("Home address"), max_length=ADDRESS_MAX_LENGTH, blank=True, default=""
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Member")
        verbose_name_plural = _("Member")
        constraints = [
            models.UniqueConstraint(fields=["id_number_index"], name="member_id_number_unique"),
            models.UniqueConstraint(fields=["phone_index"], name="member_phone_unique"),
            models.CheckConstraint(
                condition=models.Q(employment_type="gig") | models.Q(gig_trade=""),
                name="member_gig_trade_only_for_gig",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_year__gte=1900), name="member_birth_year_real"
            ),
        ]
        indexes = [models.Index(fields=["org", "status"])]

    def __str__(self) -> str:
        return f"{self.name}({self.member_no})"

    @property
    def birth_date(self) -> dt.date:
        return dt.date.fromisoformat(self._opened("birth_date_cipher", PURPOSE_BIRTH_DATE))

    @birth_date.setter
    def birth_date(self, value: dt.date) -> None:
        token = crypto.encrypt(value.isoformat(), purpose=PURPOSE_BIRTH_DATE)
        self.birth_date_cipher = token
        self.birth_year = value.year
        self.__dict__.setdefault("_pii_opened", {})["birth_date_cipher"] = (
            token,
            value.isoformat(),
        )

    birth_date.fget.short_description = _("Birth date")  # type: ignore[attr-defined]

    @property
    def is_gig_worker(self) -> bool:
        return self.employment_type == EmploymentType.GIG


class MemberHistory(AppendOnlyModel):
    """Every change of a member's status or union, append-only."""

    class Kind(models.TextChoices):
        JOINED = "joined", _("Joined")
        STATUS = "status", _("Status change")
        TRANSFER = "transfer", _("Transfer")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="history", verbose_name=_("Member")
    )
    kind = models.CharField(_("Kind"), max_length=12, choices=Kind.choices)
    from_status = models.CharField(max_length=12, blank=True, verbose_name=_("From status"))
    to_status = models.CharField(max_length=12, blank=True, verbose_name=_("To status"))
    from_org = models.ForeignKey(
        Org,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("From union"),
    )
    to_org = models.ForeignKey(
        Org,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("To union"),
    )
    reason = models.CharField(_("Reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Actor"),
    )
    at = models.DateTimeField(_("Time"), auto_now_add=True)

    class Meta:
        verbose_name = _("Member history")
        verbose_name_plural = _("Member history")
        ordering = ["-at", "-id"]


class ServiceEvent(AppendOnlyModel):
    """One served instance (a redemption, check-in, booking, paid claim, grant…). Append-only.

    ``kind`` is ``<app>.<what>`` (e.g. ``benefits.redemption``); ``source_type``/``source_id``
    name the row that caused it, and are unique per kind so that a retried write counts once."""

    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="service_events",
        db_index=False,
        verbose_name=_("Member"),
    )
    org = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("Union")
    )
    kind = models.CharField(_("Service kind"), max_length=48)
    amount_fen = models.BigIntegerField(_("Amount (fen)"), default=0)
    source_type = models.CharField(max_length=64, verbose_name=_("Source type"))
    source_id = models.CharField(max_length=64, verbose_name=_("Source ID"))
    occurred_at = models.DateTimeField(_("Occurred at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Created at"))

    class Meta:
        verbose_name = _("Service event")
        verbose_name_plural = _("Service event")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id"], name="service_event_source_unique"
            ),
        ]
        # member and org need no foreign-key indexes of their own: these composites start
        # with them.
        indexes = [
            models.Index(fields=["member", "occurred_at"]),
            models.Index(fields=["org", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.member_id} {format_datetime(self.occurred_at)}"


class MemberActivity(models.Model):
    """A member was active on a local (Asia/Shanghai) day: signed in on the H5, had the code
    accepted at a terminal, or was served (a ``ServiceEvent``). One row per member and day, in
    the org the member belonged to that day, so that 月活 of a subtree is a DISTINCT count of the
    members of its rows (a member who moved union inside the month counts once). Written by
    ``members.activity.activity_note``, at most once per member and day, never inside a hot
    path's transaction."""

    class Via(models.TextChoices):
        SESSION = "session", _("Signed in on the H5")
        SCAN = "scan", _("Code accepted at a terminal")
        SERVICE = "service", _("Served")

    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("Member"),
    )
    day = models.DateField(_("Day"))
    org = models.ForeignKey(
        Org, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("Union")
    )
    via = models.CharField(_("First activity"), max_length=8, choices=Via.choices)
    first_at = models.DateTimeField(_("First seen at"))

    class Meta:
        verbose_name = _("Member activity")
        verbose_name_plural = _("Member activity")
        constraints = [
            models.UniqueConstraint(fields=["member", "day"], name="member_activity_once_a_day"),
        ]
        indexes = [models.Index(fields=["org", "day"]), models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.day.isoformat()}"


class Enrolment(PiiFields):
    """A request to join a union, reviewed by that union (入会申请)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    org = models.ForeignKey(
        Org, verbose_name=_("Union applied to"), on_delete=models.PROTECT, related_name="enrolments"
    )
    name = models.CharField(pgettext_lazy("person", "Name"), max_length=60)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("Employer"), null=True, blank=True, on_delete=models.PROTECT
    )
    employer_name = models.CharField(_("Employer name (as entered)"), max_length=120, blank=True)
    employment_type = models.CharField(
        _("Employment type"),
        max_length=16,
        choices=EmploymentType.choices,
        default=EmploymentType.EMPLOYEE,
    )
    gig_trade = models.CharField(
        _("Gig trade"), max_length=16, choices=GigTrade.choices, blank=True, default=""
    )
    status = models.CharField(
        _("Status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    reject_reason = models.CharField(_("Rejection reason"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("Reviewed at"), null=True, blank=True)
    member = models.ForeignKey(
        Member, verbose_name=_("Member"), null=True, blank=True, on_delete=models.PROTECT
    )
    submitted_at = models.DateTimeField(_("Submitted at"), auto_now_add=True, db_index=True)
    # The privacy notice the applicant agreed to (members.privacy): its version and when. Empty
    # on applications filed before the notice existed.
    consent_version = models.CharField(
        _("Privacy notice agreed to"), max_length=20, blank=True, default=""
    )
    consent_at = models.DateTimeField(_("Agreed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Enrolment")
        verbose_name_plural = _("Enrolment")
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=models.Q(status="submitted"),
                name="enrolment_one_pending_per_id",
            ),
            models.CheckConstraint(
                condition=models.Q(status="rejected") | models.Q(reject_reason=""),
                name="enrolment_reason_only_when_rejected",
            ),
            models.CheckConstraint(
                condition=models.Q(consent_version="", consent_at__isnull=True)
                | (~models.Q(consent_version="") & models.Q(consent_at__isnull=False)),
                name="enrolment_consent_version_with_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.org}"


class TransferRequest(models.Model):
    """A member asks to move from one union to another; the receiving union decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="transfer_requests"
    )
    from_org = models.ForeignKey(
        Org, verbose_name=_("From union"), on_delete=models.PROTECT, related_name="+"
    )
    to_org = models.ForeignKey(
        Org, verbose_name=_("To union"), on_delete=models.PROTECT, related_name="transfers_in"
    )
    to_enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("New employer"), null=True, blank=True, on_delete=models.PROTECT
    )
    status = models.CharField(
        _("Status"), max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    note = models.CharField(_("Note"), max_length=200, blank=True)
    reject_reason = models.CharField(_("Rejection reason"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Decided at"))
    requested_at = models.DateTimeField(_("Requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Transfer request")
        verbose_name_plural = _("Transfer request")
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(status="pending"), name="transfer_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.from_org} → {self.to_org}"


class OtpChallenge(models.Model):
    """An SMS one-time code, stored as a hash, with expiry and an attempt cap."""

    class Purpose(models.TextChoices):
        SIGN_IN = "sign_in", _("Sign in")
        ENROL = "enrol", _("Joined")
        PHONE_CHANGE = "phone_change", _("Phone change")

    phone_index = models.CharField(max_length=64, db_index=True, verbose_name=_("Phone index"))
    purpose = models.CharField(max_length=12, choices=Purpose.choices, verbose_name=_("Purpose"))
    code_hash = models.CharField(max_length=128, verbose_name=_("Code hash"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("Attempts"))
    expires_at = models.DateTimeField(verbose_name=_("Expires at"))
    consumed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("Used at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("Created at"))

    class Meta:
        indexes = [models.Index(fields=["phone_index", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {format_datetime(self.created_at)}"


class ImportJob(models.Model):
    """A roster import: its file, progress and outcome (for progress bars and the error report)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    org = models.ForeignKey(Org, verbose_name=_("Union"), on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Created by"),
    )
    file_name = models.CharField(_("File name"), max_length=200)
    file_sha256 = models.CharField(max_length=64, db_index=True, verbose_name=_("File SHA-256"))
    status = models.CharField(
        _("Status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("Total rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("Processed"), default=0)
    imported_rows = models.PositiveIntegerField(_("Imported"), default=0)
    skipped_rows = models.PositiveIntegerField(_("Already present"), default=0)
    error_rows = models.PositiveIntegerField(_("Error rows"), default=0)
    report_path = models.CharField(max_length=300, blank=True, verbose_name=_("Report file"))
    message = models.CharField(max_length=300, blank=True, verbose_name=_("Message"))
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("Finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Roster import")
        verbose_name_plural = _("Roster import")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
