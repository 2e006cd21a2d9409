"""Merchant benefits: merchants, stores, cashiers, offers, redemptions, usage counters, settlements.

Money is integer fen. Scarce things (offer stock, member limits) are taken by conditional
UPDATEs with CHECK constraints behind them (docs/benefits.md); money moves through
``gonghui.funds`` only (budgets and the ledger)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gonghui.codes.models import Terminal
from gonghui.core.identifiers import InvalidIdentifier, validate_uscc
from gonghui.funds.models import Budget, LedgerTransaction
from gonghui.members.models import Member
from gonghui.orgs.models import Org


def uscc_validator(value: str) -> None:
    try:
        validate_uscc(value)
    except InvalidIdentifier as exc:
        raise ValidationError(_("Not a valid unified social credit code."), code=exc.code) from None


class Merchant(models.Model):
    """A partner merchant (合作商户); ``org`` is the union org that manages the partnership."""

    org = models.ForeignKey(
        Org, verbose_name=_("Managing union"), on_delete=models.PROTECT, related_name="merchants"
    )
    name = models.CharField(_("Name"), max_length=120)
    uscc = models.CharField(
        _("Unified social credit code"),
        max_length=18,
        unique=True,
        validators=[uscc_validator],
    )
    contact_name = models.CharField(_("Contact person"), max_length=60, blank=True)
    contact_phone = models.CharField(_("Contact phone"), max_length=20, blank=True)
    settlement_account = models.CharField(
        _("Settlement account"),
        max_length=200,
        blank=True,
        help_text=_("Bank, account name and account number for settlement payments."),
    )
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Merchant")
        verbose_name_plural = _("Merchants")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.uscc = validate_uscc(self.uscc) if self.uscc else self.uscc
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Store(models.Model):
    """A shop of a merchant (门店), where terminals stand and offers are redeemed."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("Merchant"), on_delete=models.PROTECT, related_name="stores"
    )
    name = models.CharField(_("Name"), max_length=120)
    address = models.CharField(_("Address"), max_length=200, blank=True)
    region_code = models.CharField(
        _("Region code"), max_length=6, blank=True, help_text=_("Six-digit administrative code.")
    )
    lat = models.DecimalField(_("Latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("Longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Store")
        verbose_name_plural = _("Stores")
        ordering = ["merchant", "name", "id"]
        indexes = [models.Index(fields=["region_code"])]

    def __str__(self) -> str:
        return f"{self.merchant.name} · {self.name}"


class MerchantStaff(models.Model):
    """A cashier (or manager) of a merchant: a staff user who may work its stores' terminals,
    see its stores' redemptions of the day and void them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("User"),
        on_delete=models.CASCADE,
        related_name="merchant_staff",
    )
    merchant = models.ForeignKey(
        Merchant, verbose_name=_("Merchant"), on_delete=models.CASCADE, related_name="staff"
    )
    is_manager = models.BooleanField(_("Manager"), default=False)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Merchant staff")
        verbose_name_plural = _("Merchant staff")
        constraints = [
            models.UniqueConstraint(fields=["user", "merchant"], name="benefits_staff_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant}"


class OfferKind(models.TextChoices):
    PERCENT = "percent", _("Percentage off")
    FIXED_THRESHOLD = "fixed_threshold", _("Amount off above a threshold")
    FREE_ITEM = "free_item", _("Free item")
    MEMBER_PRICE = "member_price", _("Member price")


class Payer(models.TextChoices):
    UNION = "union", _("Union subsidy")
    MERCHANT = "merchant", _("Merchant's own discount")


class Offer(models.Model):
    """A benefit at a merchant. See docs/benefits.md for how each kind is computed."""

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("Merchant"), on_delete=models.PROTECT, related_name="offers"
    )
    all_stores = models.BooleanField(_("At all stores"), default=True)
    stores = models.ManyToManyField(
        Store, verbose_name=_("Stores"), blank=True, related_name="offers"
    )
    title = models.CharField(_("Title"), max_length=120)
    description = models.TextField(_("About the offer"), blank=True)
    kind = models.CharField(_("Kind"), max_length=16, choices=OfferKind.choices)
    percent_bp = models.PositiveIntegerField(
        _("Discount (basis points)"),
        null=True,
        blank=True,
        help_text=_("1500 means 15 percent off."),
    )
    max_subsidy_fen = models.BigIntegerField(
        _("Ceiling per redemption (fen)"), null=True, blank=True
    )
    threshold_fen = models.BigIntegerField(_("Threshold (fen)"), null=True, blank=True)
    amount_off_fen = models.BigIntegerField(_("Amount off (fen)"), null=True, blank=True)
    item_name = models.CharField(_("Item"), max_length=120, blank=True)
    list_price_fen = models.BigIntegerField(_("List price (fen)"), null=True, blank=True)
    member_price_fen = models.BigIntegerField(_("Member price (fen)"), null=True, blank=True)
    payer = models.CharField(_("Who pays"), max_length=10, choices=Payer.choices)
    org = models.ForeignKey(
        Org,
        verbose_name=_("For members of"),
        on_delete=models.PROTECT,
        related_name="offers",
        help_text=_("Members of this union and every union below it."),
    )
    gig_only = models.BooleanField(_("Gig workers only"), default=False)
    valid_from = models.DateTimeField(_("Valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("Valid until"), null=True, blank=True)
    time_from = models.TimeField(_("Daily from"), null=True, blank=True)
    time_until = models.TimeField(_("Daily until"), null=True, blank=True)
    weekdays = models.CharField(
        _("Weekdays"),
        max_length=7,
        default="1234567",
        help_text=_("Days of the week it applies, 1 = Monday … 7 = Sunday."),
    )
    limit_per_day = models.PositiveIntegerField(_("Per member per day"), null=True, blank=True)
    limit_per_week = models.PositiveIntegerField(_("Per member per week"), null=True, blank=True)
    limit_per_month = models.PositiveIntegerField(_("Per member per month"), null=True, blank=True)
    stock_total = models.PositiveIntegerField(_("Total stock"), null=True, blank=True)
    stock_left = models.IntegerField(_("Stock left"), null=True, blank=True, editable=False)
    budget = models.ForeignKey(
        Budget,
        verbose_name=_("Budget"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Offer")
        verbose_name_plural = _("Offers")
        ordering = ["merchant", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stock_left__isnull=True) | Q(stock_left__gte=0),
                name="benefits_offer_stock_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(stock_left__isnull=True)
                | Q(stock_total__isnull=False, stock_left__lte=F("stock_total")),
                name="benefits_offer_stock_le_total",
            ),
            models.CheckConstraint(
                condition=~Q(payer="union") | Q(budget__isnull=False),
                name="benefits_offer_union_budget",
                violation_error_message=_("An offer paid by the union needs a budget."),
            ),
            models.CheckConstraint(
                condition=Q(percent_bp__isnull=True) | Q(percent_bp__lte=10000),
                name="benefits_offer_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Redemption(models.Model):
    """One use of an offer at a store (核销), with what the member paid and the union subsidised."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        VOIDED = "voided", _("Voided")

    offer = models.ForeignKey(
        Offer, verbose_name=_("Offer"), on_delete=models.PROTECT, related_name="redemptions"
    )
    merchant = models.ForeignKey(
        Merchant,
        verbose_name=_("Merchant"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    store = models.ForeignKey(
        Store,
        verbose_name=_("Store"),
        on_delete=models.PROTECT,
        related_name="redemptions",
        db_index=False,
    )
    terminal = models.ForeignKey(
        Terminal,
        verbose_name=_("Terminal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("Member"),
        on_delete=models.PROTECT,
        related_name="redemptions",
        db_index=False,
    )
    bill_fen = models.BigIntegerField(_("Bill (fen)"))
    discount_fen = models.BigIntegerField(_("Discount (fen)"))
    subsidy_fen = models.BigIntegerField(_("Union subsidy (fen)"))
    pay_fen = models.BigIntegerField(_("Member pays (fen)"))
    status = models.CharField(
        _("Status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    ledger_txn = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("Ledger transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    void_txn = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("Void transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    void_reason = models.CharField(_("Void reason"), max_length=200, blank=True)
    void_key = models.CharField(
        max_length=100, blank=True, editable=False, verbose_name=_("Void key")
    )
    voided_at = models.DateTimeField(_("Voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Voided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    settlement = models.ForeignKey(
        "Settlement",
        verbose_name=_("Settlement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemptions",
    )
    limits_taken = models.CharField(
        max_length=20,
        blank=True,
        editable=False,
        help_text="periods counted, e.g. 'day,month'",
        verbose_name=_("Limits taken"),
    )
    local_date = models.DateField(_("Date (Asia/Shanghai)"))
    created_at = models.DateTimeField(_("Time"), db_index=True)

    class Meta:
        verbose_name = _("Redemption")
        verbose_name_plural = _("Redemptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(bill_fen__gt=0), name="benefits_red_bill_pos"),
            models.CheckConstraint(
                condition=Q(discount_fen__gte=0, discount_fen__lte=F("bill_fen")),
                name="benefits_red_discount_range",
            ),
            models.CheckConstraint(
                condition=Q(subsidy_fen__gte=0, subsidy_fen__lte=F("discount_fen")),
                name="benefits_red_subsidy_range",
            ),
            models.CheckConstraint(
                condition=Q(pay_fen=F("bill_fen") - F("discount_fen")),
                name="benefits_red_pay",
            ),
        ]
        # Every index costs each redemption an insert (and the hot path a lock span): foreign
        # keys covered by these composites (store, member, merchant) or never searched (ledger
        # rows are append-only, users are rarely deleted) have no index of their own.
        indexes = [
            models.Index(fields=["store", "local_date"]),
            models.Index(fields=["member", "created_at"]),
            models.Index(fields=["merchant", "status", "local_date"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.offer_id} {self.bill_fen}"


class UsagePeriod(models.TextChoices):
    DAY = "day", pgettext_lazy("usage period", "Day")
    WEEK = "week", pgettext_lazy("usage period", "Week")
    MONTH = "month", pgettext_lazy("usage period", "Month")


class MemberOfferUsage(models.Model):
    """How many times a member has used an offer in one period (day, ISO week, month), local
    time. Taken by a conditional UPDATE (count < limit) or a first INSERT; released on void."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("Member")
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.CASCADE, related_name="usages", verbose_name=_("Offer")
    )
    period = models.CharField(
        max_length=5, choices=UsagePeriod.choices, verbose_name=_("Limit period")
    )
    period_start = models.DateField(verbose_name=_("Period start"))
    count = models.IntegerField(default=0, verbose_name=_("Times used"))
    cap = models.IntegerField(
        help_text="the offer's limit when last taken", verbose_name=_("Usage cap")
    )

    class Meta:
        verbose_name = _("Member usage")
        verbose_name_plural = _("Member usage")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "offer", "period", "period_start"], name="benefits_usage_unique"
            ),
            models.CheckConstraint(condition=Q(count__gte=0), name="benefits_usage_nonneg"),
            models.CheckConstraint(condition=Q(count__lte=F("cap")), name="benefits_usage_cap"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}/{self.offer_id} {self.period} {self.period_start}: {self.count}"


class Settlement(models.Model):
    """What the union owes one merchant for one period (local dates, end included)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PAID = "paid", _("Paid")

    merchant = models.ForeignKey(
        Merchant, verbose_name=_("Merchant"), on_delete=models.PROTECT, related_name="settlements"
    )
    period_start = models.DateField(_("From"))
    period_end = models.DateField(_("To (included)"))
    total_subsidy_fen = models.BigIntegerField(_("Total subsidy (fen)"), default=0)
    count = models.PositiveIntegerField(_("Redemptions"), default=0)
    status = models.CharField(
        _("Status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    paid_txn = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("Payment transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("Paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Marked paid by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Settlement")
        verbose_name_plural = _("Settlements")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="benefits_settlement_period"
            ),
            models.CheckConstraint(
                condition=Q(total_subsidy_fen__gte=0), name="benefits_settlement_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} {self.period_start}–{self.period_end}"
