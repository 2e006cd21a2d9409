"""Roll-ups of the dashboard: service events and member activity summed per org and period.

Nothing here is a source of truth: every table is rebuilt from ``members.ServiceEvent`` and
``members.MemberActivity`` by ``gonghui dashboard-rollup --rebuild``, and kept up to date by
``dashboard.services.rollup_advance`` (Celery beat every minute, or the command). A
:class:`RollupWatermark` row per source says up to which id the source is rolled up; the reads
(``dashboard.rollups``) add the rows above it live, so the answers are exact
(docs/figures.md, "Roll-ups").

Each bucket is an org's OWN rows (not its subtree): the reads sum the buckets of the orgs whose
path starts with the org's path, so moving an org in the tree needs no rebuild."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gonghui.orgs.models import Org


class RollupWatermark(models.Model):
    """How far a source (``events``, ``activity``) is rolled up: every row of it with an id up to
    ``last_id`` is in the buckets, none above it is. ``gaps`` are the ids missing above
    ``last_id`` when last seen, ``[[lo, hi, first_seen_epoch], …]``: an id may belong to a
    transaction still open, so the watermark waits below a gap until it is filled or older than
    ``GONGHUI_ROLLUP_GRACE_SECONDS`` (then it is an insert that rolled back)."""

    EVENTS = "events"
    ACTIVITY = "activity"

    name = models.CharField(_("Source"), max_length=16, primary_key=True)
    last_id = models.BigIntegerField(_("Rolled up to id"), default=0)
    gaps = models.JSONField(_("Open gaps"), default=list, blank=True)
    advanced_at = models.DateTimeField(_("Advanced at"), null=True, blank=True)
    rebuilt_at = models.DateTimeField(_("Rebuilt at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Roll-up watermark")
        verbose_name_plural = _("Roll-up watermarks")

    def __str__(self) -> str:
        return f"{self.name} ≤ {self.last_id}"


# The buckets' org has no database constraint: they are bulk-written by INSERT … SELECT and
# emptied by TRUNCATE, and an org is never deleted while it has events (ServiceEvent protects it).


class _EventBucket(models.Model):
    """What a bucket of service events holds, per org and kind (the period is the subclass's)."""

    org = models.ForeignKey(
        Org,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
        verbose_name=_("Union"),
    )
    kind = models.CharField(_("Service kind"), max_length=48)
    events = models.BigIntegerField(_("Events"), default=0)
    person_times = models.BigIntegerField(_("Person-times"), default=0)
    amount_fen = models.BigIntegerField(_("Amount (fen)"), default=0)

    class Meta:
        abstract = True


class EventDay(_EventBucket):
    """Service events of one org, local (Asia/Shanghai) day and kind. ``events``: the events of
    the kind that occurred (cancelled or not); ``person_times`` and ``amount_fen``: net of the
    compensations, which are netted here at the cancelled event's org and day whenever written."""

    day = models.DateField(_("Day"))

    class Meta:
        verbose_name = _("Service events by day")
        verbose_name_plural = _("Service events by day")
        constraints = [
            models.UniqueConstraint(fields=["org", "day", "kind"], name="rollup_event_day_key"),
        ]
        indexes = [models.Index(fields=["day"], name="rollup_event_day_day")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.day} {self.kind}"


class EventMonth(_EventBucket):
    """:class:`EventDay` summed per local month (``month``: its first day)."""

    month = models.DateField(_("Month"))

    class Meta:
        verbose_name = _("Service events by month")
        verbose_name_plural = _("Service events by month")
        constraints = [
            models.UniqueConstraint(fields=["org", "month", "kind"], name="rollup_event_month_key"),
        ]
        indexes = [models.Index(fields=["month"], name="rollup_event_month_month")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.month} {self.kind}"


class ActiveDay(models.Model):
    """日活 of one org and local day: its member-activity rows (one per member and day, so the
    members of an org's subtree on a day are the sum over its orgs)."""

    org = models.ForeignKey(
        Org,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
        verbose_name=_("Union"),
    )
    day = models.DateField(_("Day"))
    members = models.BigIntegerField(_("Members"), default=0)

    class Meta:
        verbose_name = _("Active members by day")
        verbose_name_plural = _("Active members by day")
        constraints = [
            models.UniqueConstraint(fields=["org", "day"], name="rollup_active_day_key"),
        ]
        indexes = [models.Index(fields=["day"], name="rollup_active_day_day")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.day} {self.members}"


class ActiveMonth(models.Model):
    """A member active in a local month in an org (a member who moved union that month has a row
    in each): 月活 of a subtree is a DISTINCT count of ``member_id`` over its rows."""

    org = models.ForeignKey(
        Org,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
        verbose_name=_("Union"),
    )
    month = models.DateField(_("Month"))
    member_id = models.BigIntegerField(_("Member"))

    class Meta:
        verbose_name = _("Active members by month")
        verbose_name_plural = _("Active members by month")
        constraints = [
            models.UniqueConstraint(
                fields=["org", "month", "member_id"], name="rollup_active_month_key"
            ),
        ]
        indexes = [models.Index(fields=["month"], name="rollup_active_month_month")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.month} {self.member_id}"


class ActiveYear(models.Model):
    """A member active in a calendar year (``year``: 1 January) in an org: 年活, and the
    DISTINCT count of a whole year without twelve months of rows."""

    org = models.ForeignKey(
        Org,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
        verbose_name=_("Union"),
    )
    year = models.DateField(_("Year"))
    member_id = models.BigIntegerField(_("Member"))

    class Meta:
        verbose_name = _("Active members by year")
        verbose_name_plural = _("Active members by year")
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year", "member_id"], name="rollup_active_year_key"
            ),
        ]
        indexes = [models.Index(fields=["year"], name="rollup_active_year_year")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.year} {self.member_id}"
