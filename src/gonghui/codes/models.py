"""Code credentials, terminals and the record of every terminal write (idempotency and scan log)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gonghui.members.models import Member
from gonghui.orgs.models import Org

PURPOSE_SEED = "codes.seed"


class Credential(models.Model):
    """A member's code credential on one device: a 9-digit id and a 32-byte seed (encrypted).

    At most one is active per member; issuing a new one (a new device) revokes the old one.
    ``hw_step``/``hw_seq`` is the high-water mark: a code is accepted only when its
    (step, seq) is strictly greater, and the mark moves by one conditional UPDATE."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("credential status", "Active")
        REVOKED = "revoked", _("Revoked")

    class RevokeReason(models.TextChoices):
        NONE = "", _("(none)")
        ROTATED = "rotated", _("Replaced by a new device")
        STAFF = "staff", _("Revoked by staff")

    id = models.PositiveIntegerField(_("Credential id"), primary_key=True)
    member = models.ForeignKey(
        Member, verbose_name=_("Member"), on_delete=models.PROTECT, related_name="code_credentials"
    )
    seed_cipher = models.TextField(editable=False, verbose_name=_("Seed (sealed)"))
    status = models.CharField(
        _("Status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    revoked_reason = models.CharField(
        _("Revocation reason"), max_length=8, choices=RevokeReason.choices, blank=True, default=""
    )
    revoked_at = models.DateTimeField(_("Revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("Revoked by"),
    )
    hw_step = models.BigIntegerField(_("Last used time step"), default=0)
    hw_seq = models.SmallIntegerField(_("Last used sequence"), default=0)
    use_count = models.PositiveIntegerField(_("Uses"), default=0)
    last_used_at = models.DateTimeField(_("Last used at"), null=True, blank=True)
    fail_count = models.PositiveSmallIntegerField(_("Recent wrong codes"), default=0)
    fail_window_start = models.DateTimeField(
        null=True, blank=True, verbose_name=_("Failure window start")
    )
    locked_until = models.DateTimeField(_("Locked until"), null=True, blank=True)
    lock_count = models.PositiveIntegerField(_("Lockouts"), default=0)
    device_label = models.CharField(_("Device"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("Issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Code credential")
        verbose_name_plural = _("Code credential")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(status="active"),
                name="codes_credential_one_active_per_member",
            ),
            models.CheckConstraint(
                condition=models.Q(hw_seq__gte=0, hw_seq__lte=99),
                name="codes_credential_hw_seq_range",
            ),
            models.CheckConstraint(
                condition=models.Q(id__gte=100_000_000, id__lte=999_999_999),
                name="codes_credential_id_9_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(status="active") | models.Q(revoked_at__isnull=False),
                name="codes_credential_revoked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.get_status_display()})"


class Terminal(models.Model):
    """Anything that scans codes or is scanned: a POS page, a gate, a booth, a spot poster.

    It belongs to one context, named generically (``context_type`` such as ``benefits.store``
    and ``context_id``) because ``codes`` imports no app above it; the context's app registers
    the scan handler (``codes.dispatch.register``). The API key is shown once and stored as a
    SHA-256 hash (the key is 256 random bits, so a slow hash adds nothing)."""

    class Kind(models.TextChoices):
        POS = "pos", _("POS page")
        GATE = "gate", _("Gate")
        BOOTH = "booth", _("Booth")
        SPOT_POSTER = "spot_poster", _("Spot poster")

    name = models.CharField(_("Name"), max_length=120)
    kind = models.CharField(_("Kind"), max_length=12, choices=Kind.choices)
    org = models.ForeignKey(
        Org, verbose_name=_("Organisation"), on_delete=models.PROTECT, related_name="terminals"
    )
    context_type = models.CharField(_("Context type"), max_length=48)
    context_id = models.CharField(_("Context id"), max_length=64)
    key_prefix = models.CharField(_("Key prefix"), max_length=12, editable=False)
    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("Key hash")
    )
    poster_version = models.PositiveIntegerField(_("Poster version"), default=1, editable=False)
    is_active = models.BooleanField(_("Active"), default=True)
    disabled_reason = models.CharField(_("Reason disabled"), max_length=200, blank=True)
    disabled_at = models.DateTimeField(_("Disabled at"), null=True, blank=True)
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
    last_seen_at = models.DateTimeField(_("Last seen at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Terminal")
        verbose_name_plural = _("Terminal")
        ordering = ["org", "name"]
        indexes = [models.Index(fields=["context_type", "context_id"])]

    def __str__(self) -> str:
        return self.name


class ScanRecord(models.Model):
    """One terminal write (a scan or a reverse scan) under its Idempotency-Key.

    Written in the same transaction as the handler's effects; the unique (terminal, key) makes a
    retry return the stored answer and lets concurrent duplicates wait for the first one."""

    class Via(models.TextChoices):
        CODE = "code", _("Member's code")
        POSTER = "poster", _("Poster (reverse scan)")

    terminal = models.ForeignKey(
        Terminal,
        verbose_name=_("Terminal"),
        on_delete=models.PROTECT,
        related_name="scans",
        db_index=False,
    )
    idempotency_key = models.CharField(max_length=100, verbose_name=_("Idempotency key"))
    request_hash = models.CharField(max_length=64, verbose_name=_("Request hash"))
    via = models.CharField(_("Via"), max_length=8, choices=Via.choices)
    credential_id = models.PositiveIntegerField(_("Credential id"), null=True, blank=True)
    member = models.ForeignKey(
        Member,
        verbose_name=_("Member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), default=0)
    outcome = models.CharField(_("Outcome"), max_length=32, blank=True)
    response = models.JSONField(default=dict, verbose_name=_("Response"))
    created_at = models.DateTimeField(_("Time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Scan")
        verbose_name_plural = _("Scan")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["terminal", "idempotency_key"], name="codes_scan_idempotency_unique"
            ),
        ]
        # The terminal's foreign key needs no index of its own: both indexes start with it.
        indexes = [models.Index(fields=["terminal", "created_at"])]

    def __str__(self) -> str:
        return f"{self.terminal_id} {self.idempotency_key} {self.outcome}"
