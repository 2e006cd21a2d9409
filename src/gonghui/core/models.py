"""Core tables: the append-only audit log and named counters."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gonghui.core.sealed import SealedTextField
from gonghui.core.timeutil import format_datetime


class AppendOnlyQuerySet(models.QuerySet):
    """Rows of an append-only table can be inserted, never changed or deleted through the ORM.

    On PostgreSQL a trigger refuses UPDATE and DELETE as well (migration core 0002)."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError(f"{self.model.__name__} is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.model.__name__} is append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} is append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{type(self).__name__} is append-only")


class AuditEntry(AppendOnlyModel):
    """Who did what to which object, when, from where. Written in the same transaction as the act.

    Actor and org are kept as plain references (no foreign-key constraint) so that no later
    change elsewhere can ever need to update or delete an audit row. The org is a bare id
    (``org_id``): core sits below orgs and names no model of it."""

    at = models.DateTimeField(_("Time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(_("Actor label"), max_length=150, blank=True)
    action = models.CharField(_("Action"), max_length=80, db_index=True)
    # The org's id, not a foreign key: core imports no other app (orgs.admin_audit scopes it).
    org_id = models.BigIntegerField(_("Organisation"), null=True, blank=True, db_index=True)
    object_type = models.CharField(_("Object type"), max_length=80, blank=True)
    object_id = models.CharField(_("Object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("Object"), max_length=200, blank=True)
    data = models.JSONField(_("Details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("Audit entry")
        verbose_name_plural = _("Audit log")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["org_id", "at"], name="core_audite_org_id_13011d_idx"),
            models.Index(fields=["actor", "at"]),
        ]

    def __str__(self) -> str:
        from .labels import action_label

        return f"{format_datetime(self.at)} {self.actor_label} {action_label(self.action)} {self.object_repr}"


class Sequence(models.Model):
    """A named counter handed out in blocks under a row lock (member numbers, case numbers)."""

    name = models.CharField(max_length=64, primary_key=True, verbose_name=_("Name"))
    last_value = models.BigIntegerField(default=0, verbose_name=_("Last value"))

    class Meta:
        verbose_name = _("Sequence")
        verbose_name_plural = _("Sequence")
        constraints = [
            models.CheckConstraint(condition=models.Q(last_value__gte=0), name="sequence_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.last_value}"


# Purpose (AES-GCM associated data) of a staff member's TOTP secret.
PURPOSE_STAFF_TOTP = "core.staff_totp_secret"


class StaffTotp(models.Model):
    """A staff user's TOTP second factor. The secret is encrypted with core.crypto.

    ``confirmed_at`` is empty while the user is enrolling (the secret is shown, not yet proven);
    once set, the admin login asks for a code. ``last_used_step`` is the highest RFC 6238 time
    step accepted so far: a code (or an earlier one) is never accepted twice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("User"),
        on_delete=models.CASCADE,
        related_name="staff_totp",
    )
    secret_cipher = models.TextField(editable=False, verbose_name=_("Secret (sealed)"))
    confirmed_at = models.DateTimeField(_("Activated at"), null=True, blank=True)
    last_used_step = models.BigIntegerField(
        null=True, blank=True, editable=False, verbose_name=_("Last used step")
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Two-factor authentication")
        verbose_name_plural = _("Two-factor authentication")

    def __str__(self) -> str:
        return f"TOTP {self.user_id} ({'active' if self.confirmed_at else 'pending'})"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None


class ChainSeal(AppendOnlyModel):
    """One link of a hash chain over an append-only table (``core.chain``).

    A seal covers the rows of its chain with ``after_id < id <= upto_id``; its ``hash`` is
    SHA-256 over the previous seal's hash, its own range and count, and each row's digest in id
    order. Seals are written after commit by the sealer, never by the writers of the rows, so
    the hot paths gain no statement. ``seq`` counts 1, 2, 3 … per chain without a gap."""

    chain = models.CharField(_("Chain"), max_length=32)
    seq = models.BigIntegerField(_("Sequence number"))
    after_id = models.BigIntegerField(_("After id"))
    upto_id = models.BigIntegerField(_("Up to id"))
    rows = models.IntegerField(_("Rows"))
    prev_hash = models.CharField(_("Previous hash"), max_length=64)
    hash = models.CharField(_("Hash"), max_length=64)
    sealed_at = models.DateTimeField(_("Sealed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Chain seal")
        verbose_name_plural = _("Chain seals")
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="chain_seal_seq_unique"),
            models.UniqueConstraint(fields=["chain", "upto_id"], name="chain_seal_upto_unique"),
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="chain_seal_seq_pos"),
            models.CheckConstraint(
                condition=models.Q(upto_id__gt=models.F("after_id")),
                name="chain_seal_range",
            ),
            models.CheckConstraint(condition=models.Q(rows__gte=1), name="chain_seal_rows_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq} ({self.after_id}, {self.upto_id}] {self.hash[:12]}"


class UsedToken(models.Model):
    """A single-use token that was spent (a proof-of-work challenge): a second use collides on
    the primary key. Rows past ``expires_at`` can go; the token is refused by its age anyway."""

    key = models.CharField(max_length=64, primary_key=True, verbose_name=_("Token"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("Expires at"))

    class Meta:
        verbose_name = _("Used token")
        verbose_name_plural = _("Used tokens")

    def __str__(self) -> str:
        return self.key[:12]


class RateCounter(models.Model):
    """A fixed-window event counter (``core.throttle``, the one rate-limit table): the store of
    record of the durable limits (enrolment, anonymous intake) and the stand-in for the cache
    when Redis is down (SMS codes, staff sign-in). ``bucket`` is an HMAC of the limit's key,
    never a phone or an IP in clear. The window starts at the key's first event and ends at
    ``expires_at``; an expired row counts as absent and is reset by the next event, and old rows
    are purged now and then."""

    bucket = models.CharField(max_length=200, primary_key=True, verbose_name=_("Bucket"))
    count = models.IntegerField(default=0, verbose_name=_("Count"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("Expires at"))

    class Meta:
        verbose_name = _("Rate counter")
        verbose_name_plural = _("Rate counters")
        constraints = [
            models.CheckConstraint(condition=models.Q(count__gte=0), name="ratecounter_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.bucket}={self.count}"


class SmsMessage(models.Model):
    """The SMS outbox (``core.sms``): every message, from its request to its delivery report.

    The phone, the template's parameters (a sign-in code among them) and the rendered text are
    sealed (``core.sealed``, purposes ``core.smsmessage.<field>``); the console shows only the
    masked phone. The org is a bare id, as in ``AuditEntry`` (core names no model of orgs)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    created_at = models.DateTimeField(_("Created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)
    org_id = models.BigIntegerField(_("Organisation"), null=True, blank=True, db_index=True)
    phone = SealedTextField(_("Phone"))
    phone_masked = models.CharField(_("Phone"), max_length=20)
    template = models.CharField(_("Template"), max_length=64)
    params = SealedTextField(_("Parameters"), blank=True)  # JSON object
    text = SealedTextField(_("Text"), blank=True)
    status = models.CharField(
        _("Status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    provider = models.CharField(_("Provider"), max_length=32, blank=True)
    provider_message_id = models.CharField(_("Provider message id"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("Attempts"), default=0)
    last_error = models.CharField(_("Last error"), max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(_("Next attempt at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("Expires at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("Sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("Delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("Failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS outbox")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="core_sms_due_idx"),
            models.Index(fields=["provider", "status", "sent_at"], name="core_sms_poll_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.phone_masked} {self.template}"
