"""The funds ledger: fund accounts, double-entry transactions and their entries, budgets.

Sign convention (see docs/ledger.md): ``LedgerEntry.amount_fen`` is signed, a DEBIT is
positive and a CREDIT is negative; the entries of one transaction sum to zero. An account's
``balance_fen`` is presented on its normal side: ``side_sign * sum(amount_fen)`` where
``side_sign`` is +1 for debit-normal accounts (bank, cash, clearing) and -1 for credit-normal
accounts (the funds, payables). So a welfare fund with money in it has a positive balance.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gonghui.core.models import AppendOnlyModel
from gonghui.core.timeutil import format_datetime
from gonghui.orgs.models import Org


class NormalSide(models.TextChoices):
    DEBIT = "debit", _("Debit")
    CREDIT = "credit", _("Credit")


class AccountKind(models.TextChoices):
    UNION_FUNDS = "union_funds", _("Union funds")
    WELFARE = "welfare", _("Welfare fund")
    MUTUAL_AID = "mutual_aid", _("Mutual-aid fund")
    ASSISTANCE = "assistance", _("Assistance fund")
    MERCHANT_PAYABLE = "merchant_payable", _("Merchant payable")
    PREMIUMS = "premiums", _("Premiums received")
    BANK = "bank", _("Bank account")
    CASH = "cash", _("Cash")
    CLEARING = "clearing", _("Clearing account")


#: The normal side of each kind: where its balance is shown positive.
DEBIT_NORMAL_KINDS = frozenset({AccountKind.BANK, AccountKind.CASH, AccountKind.CLEARING})
#: Kinds that may run below zero by default (a clearing account nets out over a period).
NEGATIVE_ALLOWED_KINDS = frozenset({AccountKind.CLEARING})


def normal_side_of(kind: str) -> str:
    return NormalSide.DEBIT if kind in DEBIT_NORMAL_KINDS else NormalSide.CREDIT


class FundAccount(models.Model):
    """One account of an org: a fund (经费, 福利费, 互助金, 帮扶金), a payable, a bank account.

    ``party_type``/``party_id`` name a counterparty kept by a higher app (e.g. a merchant for a
    merchant payable) without a foreign key, because funds imports no app above it.
    ``balance_fen`` is a cache of the entries, updated in the same database transaction as
    each posting; ``ledger_verify()`` recomputes it from the entries."""

    org = models.ForeignKey(
        Org, verbose_name=_("Organisation"), on_delete=models.PROTECT, related_name="fund_accounts"
    )
    kind = models.CharField(_("Kind"), max_length=24, choices=AccountKind.choices)
    name = models.CharField(_("Name"), max_length=120)
    party_type = models.CharField(_("Counterparty type"), max_length=64, blank=True, default="")
    party_id = models.CharField(_("Counterparty id"), max_length=64, blank=True, default="")
    normal_side = models.CharField(_("Normal side"), max_length=6, choices=NormalSide.choices)
    allow_negative = models.BooleanField(_("May go below zero"), default=False)
    balance_fen = models.BigIntegerField(_("Balance (fen)"), default=0, editable=False)
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Fund account")
        verbose_name_plural = _("Fund accounts")
        ordering = ["org__path", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "kind", "party_type", "party_id"], name="fund_account_unique"
            ),
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance_fen__gte=0),
                name="fund_account_nonneg",
                violation_error_message=_("This account may not go below zero."),
            ),
            models.CheckConstraint(
                condition=Q(normal_side__in=["debit", "credit"]), name="fund_account_side"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} · {self.name}"

    @property
    def side_sign(self) -> int:
        """+1 for debit-normal accounts, -1 for credit-normal ones (see the module doc)."""
        return 1 if self.normal_side == NormalSide.DEBIT else -1

    @property
    def party(self) -> tuple[str, str] | None:
        return (self.party_type, self.party_id) if self.party_type else None


class LedgerTransaction(AppendOnlyModel):
    """A posting: two or more entries that sum to zero. Never changed; corrected by reversal.

    ``kind`` is ``<app>.<what>`` or a ledger word ("allocation", "reversal", "settlement");
    ``source_type``/``source_id`` name what caused it and are unique per kind, so a retried
    write books once. ``reverses`` is unique: a transaction is reversed at most once."""

    org = models.ForeignKey(
        Org,
        verbose_name=_("Organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(_("Kind"), max_length=48)
    memo = models.CharField(_("Memo"), max_length=200, blank=True, default="")
    occurred_at = models.DateTimeField(_("Occurred at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Created by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    source_type = models.CharField(_("Source type"), max_length=64, blank=True, default="")
    source_id = models.CharField(_("Source id"), max_length=64, blank=True, default="")
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("Reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    #: Not stored: True on the instance that ``transaction_post`` returns when the source had
    #: already been booked (a retry), so that a caller can undo its own side effects.
    replayed: bool = False

    class Meta:
        verbose_name = _("Ledger transaction")
        verbose_name_plural = _("Ledger transactions")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id"],
                condition=~Q(source_type=""),
                name="ledger_txn_source_unique",
            ),
            models.CheckConstraint(
                condition=Q(source_type="", source_id="") | (~Q(source_type="") & ~Q(source_id="")),
                name="ledger_txn_source_pair",
            ),
        ]
        # org needs no foreign-key index of its own (the composite below starts with it);
        # created_by is only searched when a user is deleted.
        indexes = [
            models.Index(fields=["org", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
        ]

    def __str__(self) -> str:
        from .ledgerkinds import label_for

        return f"#{self.pk} {label_for(self.kind)} {format_datetime(self.occurred_at)}"

    @property
    def source(self) -> tuple[str, str] | None:
        return (self.source_type, self.source_id) if self.source_type else None


class LedgerEntry(AppendOnlyModel):
    """One line of a transaction. ``amount_fen``: debit positive, credit negative, never zero.

    ``occurred_at`` repeats the transaction's, so that statements read one index."""

    transaction = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("Transaction"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    account = models.ForeignKey(
        FundAccount,
        verbose_name=_("Account"),
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
    )
    amount_fen = models.BigIntegerField(_("Amount (fen, debit +, credit -)"))
    occurred_at = models.DateTimeField(_("Occurred at"))

    class Meta:
        verbose_name = _("Ledger entry")
        verbose_name_plural = _("Ledger entries")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_fen=0), name="ledger_entry_nonzero"),
        ]
        # The account's foreign key needs no index of its own: this one starts with it.
        indexes = [models.Index(fields=["account", "occurred_at", "id"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_fen:+d}"

    @property
    def debit_fen(self) -> int:
        return self.amount_fen if self.amount_fen > 0 else 0

    @property
    def credit_fen(self) -> int:
        return -self.amount_fen if self.amount_fen < 0 else 0


class BudgetScope(models.TextChoices):
    OFFER = "offer", _("Offer")
    CAMPAIGN = "campaign", _("Campaign")
    PROGRAMME = "programme", _("Programme")
    YEAR = "year", _("Fund year")
    OTHER = "other", _("Other")


class Budget(models.Model):
    """A cap on what may be drawn from a fund for one offer, campaign, programme or year.

    ``spent_fen`` only moves through ``budget_take``/``budget_release`` (conditional UPDATEs);
    the database refuses 0 > spent or spent > cap whatever the code does."""

    org = models.ForeignKey(
        Org, verbose_name=_("Organisation"), on_delete=models.PROTECT, related_name="budgets"
    )
    name = models.CharField(_("Name"), max_length=120)
    scope_kind = models.CharField(
        _("Scope"), max_length=16, choices=BudgetScope.choices, default=BudgetScope.OTHER
    )
    source_type = models.CharField(_("Source type"), max_length=64, blank=True, default="")
    source_id = models.CharField(_("Source id"), max_length=64, blank=True, default="")
    account = models.ForeignKey(
        FundAccount,
        verbose_name=_("Fund account"),
        on_delete=models.PROTECT,
        related_name="budgets",
    )
    cap_fen = models.BigIntegerField(_("Cap (fen)"))
    spent_fen = models.BigIntegerField(_("Spent (fen)"), default=0, editable=False)
    valid_from = models.DateTimeField(_("Valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("Valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("Active"), default=True)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Budget")
        verbose_name_plural = _("Budgets")
        ordering = ["org__path", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(spent_fen__gte=0), name="budget_spent_nonneg"),
            models.CheckConstraint(
                condition=Q(spent_fen__lte=F("cap_fen")),
                name="budget_within_cap",
                violation_error_message=_("The cap may not be below what is already spent."),
            ),
            models.CheckConstraint(condition=Q(cap_fen__gte=0), name="budget_cap_nonneg"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=F("valid_from")),
                name="budget_window_order",
                violation_error_message=_("The end of the window must come after its start."),
            ),
        ]
        indexes = [models.Index(fields=["source_type", "source_id"])]

    def __str__(self) -> str:
        return self.name

    @property
    def left_fen(self) -> int:
        return self.cap_fen - self.spent_fen
