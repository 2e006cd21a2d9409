from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "gonghui.funds"
    label = "funds"
    verbose_name = _("Funds")

    def ready(self) -> None:
        from gonghui.orgs.models import Role
        from gonghui.orgs.scoping import grant

        grant("funds.view", Role.FEDERATION_ADMIN, Role.UNION_ADMIN, Role.AUDITOR)
        grant("funds.manage", Role.FEDERATION_ADMIN)

        from gonghui.core import chain

        from .models import LedgerEntry, LedgerTransaction

        # The ledger's hash chain: a transaction with its entries (core.chain). Fields are
        # fixed once rows are sealed.
        chain.register(
            "funds.ledger",
            model=LedgerTransaction,
            fields=(
                "id",
                "org_id",
                "kind",
                "memo",
                "occurred_at",
                "created_by_id",
                "source_type",
                "source_id",
                "reverses_id",
                "created_at",
            ),
            children=(
                chain.Child(
                    LedgerEntry, "transaction_id", ("id", "account_id", "amount_fen", "occurred_at")
                ),
            ),
        )

        from gonghui.core import labels

        from . import ledgerkinds

        ledgerkinds.register("allocation", _("Fund allocation"))
        ledgerkinds.register("reversal", _("Reversal"))
        labels.register_type("funds.transaction", LedgerTransaction._meta.verbose_name)
        labels.register_type("funds.account", _("Fund account"))

        from django.utils.text import format_lazy

        from gonghui.members.figures import Unit, register

        from .models import AccountKind
        from .selectors import SPENDING_FUNDS, figure_spent_from

        for n, kind in enumerate(SPENDING_FUNDS):
            register(
                f"funds.spent.{kind.value}",
                format_lazy(_("{fund}: spent"), fund=AccountKind(kind).label),
                section="funds",
                unit=Unit.FEN,
                compute=figure_spent_from(kind.value),
                order=10 + n,
            )
