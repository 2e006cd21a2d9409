"""Budgets: a cap on what may be drawn from an account; taken and released by conditional UPDATEs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.db import service_atomic
from gonghui.core.errors import Refused
from gonghui.core.money import format_fen
from gonghui.orgs.models import Org

from ..models import Budget, BudgetScope, FundAccount
from .common import (
    MAX_AMOUNT_FEN,
    Source,
    _check_amount,
    _check_occurred_at,
    _clean_ref,
)


def _check_window(valid_from: dt.datetime | None, valid_until: dt.datetime | None) -> None:
    for value, field in ((valid_from, "valid_from"), (valid_until, "valid_until")):
        if value is not None and timezone.is_naive(value):
            raise Refused(
                code="naive_time", message=_("The time must carry a time zone."), field=field
            )
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise Refused(
            code="invalid_window",
            message=_("The end of the window must come after its start."),
            field="valid_until",
        )


@transaction.atomic
def budget_create(
    *,
    org: Org,
    name: str,
    account: FundAccount,
    cap_fen: int,
    scope_kind: str = BudgetScope.OTHER,
    source: Source | None = None,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    actor: Any = None,
) -> Budget:
    """A budget of ``cap_fen`` drawing on ``account`` (one of the same federation)."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Refused(
            code="invalid_name", message=_("A name is 1 to 120 characters."), field="name"
        )
    if (
        not isinstance(cap_fen, int)
        or isinstance(cap_fen, bool)
        or cap_fen < 0
        or cap_fen > MAX_AMOUNT_FEN
    ):
        raise Refused(
            code="invalid_amount",
            message=_("The cap must be a whole number of fen, zero or more."),
            field="cap_fen",
        )
    if scope_kind not in BudgetScope.values:
        raise Refused(code="invalid_scope", message=_("Unknown budget scope."), field="scope_kind")
    source_type, source_id = _clean_ref(source, field="source")
    _check_window(valid_from, valid_until)
    account_org = Org.objects.only("path").get(pk=account.org_id)
    if account_org.deployment_path != Org.objects.only("path").get(pk=org.pk).deployment_path:
        raise Refused(
            code="cross_deployment",
            message=_("A budget must draw on an account of the same federation."),
            field="account",
        )
    budget = Budget.objects.create(
        org=org,
        name=name,
        scope_kind=scope_kind,
        source_type=source_type,
        source_id=source_id,
        account=account,
        cap_fen=cap_fen,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if is_staff_actor(actor):
        audit_record(
            actor=actor,
            action="funds.budget.create",
            obj=budget,
            org=org,
            data={"cap_fen": cap_fen, "account": account.pk, "scope": scope_kind},
        )
    return budget


_UNSET: Any = object()


@transaction.atomic
def budget_update(
    *,
    budget: Budget,
    actor: Any,
    name: str | None = None,
    cap_fen: int | None = None,
    valid_from: Any = _UNSET,
    valid_until: Any = _UNSET,
    is_active: bool | None = None,
) -> Budget:
    """Change a budget's name, cap, window or state under a row lock; ``spent_fen`` is never
    written here (it moves only through budget_take/budget_release), and the cap may not go
    below what is already spent."""
    locked = Budget.objects.select_for_update().get(pk=budget.pk)
    changed: dict[str, Any] = {}
    if name is not None and name.strip() != locked.name:
        if not name.strip() or len(name.strip()) > 120:
            raise Refused(
                code="invalid_name", message=_("A name is 1 to 120 characters."), field="name"
            )
        changed["name"] = name.strip()
    if cap_fen is not None and cap_fen != locked.cap_fen:
        if (
            not isinstance(cap_fen, int)
            or isinstance(cap_fen, bool)
            or cap_fen < 0
            or cap_fen > MAX_AMOUNT_FEN
        ):
            raise Refused(
                code="invalid_amount",
                message=_("The cap must be a whole number of fen, zero or more."),
                field="cap_fen",
            )
        if cap_fen < locked.spent_fen:
            raise Refused(
                code="cap_below_spent",
                message=_("The cap may not be below what is already spent (%(spent)s).")
                % {"spent": format_fen(locked.spent_fen)},
                field="cap_fen",
            )
        changed["cap_fen"] = cap_fen
    new_from = locked.valid_from if valid_from is _UNSET else valid_from
    new_until = locked.valid_until if valid_until is _UNSET else valid_until
    _check_window(new_from, new_until)
    if new_from != locked.valid_from:
        changed["valid_from"] = new_from
    if new_until != locked.valid_until:
        changed["valid_until"] = new_until
    if is_active is not None and is_active != locked.is_active:
        changed["is_active"] = is_active
    if changed:
        for field, value in changed.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(changed))
        if is_staff_actor(actor):
            audit_record(
                actor=actor,
                action="funds.budget.update",
                obj=locked,
                org=locked.org,
                data={
                    k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                    for k, v in changed.items()
                },
            )
    return locked


_BUDGET_TAKE = (
    f"UPDATE {connection.ops.quote_name(Budget._meta.db_table)} "  # noqa: S608 - no input
    'SET "spent_fen" = "spent_fen" + %s WHERE "id" = %s AND "is_active" '
    'AND ("valid_from" IS NULL OR "valid_from" <= %s) '
    'AND ("valid_until" IS NULL OR "valid_until" > %s) AND "spent_fen" <= "cap_fen" - %s'
)


@service_atomic
def budget_take(*, budget: Budget, amount_fen: int, at: dt.datetime | None = None) -> None:
    """Take ``amount_fen`` from the budget, or refuse with ``budget_exhausted`` / ``budget_closed``.

    One conditional UPDATE: it succeeds only while spent + amount <= cap (the row lock it takes
    serialises concurrent takers; the CHECK constraint stands behind it). Call it inside the
    same transaction as the ledger posting it pays for."""
    amount = _check_amount(amount_fen)
    when = _check_occurred_at(at)
    with connection.cursor() as cursor:  # a hot row: a fixed statement, no query building
        at_db = connection.ops.adapt_datetimefield_value(when)
        cursor.execute(_BUDGET_TAKE, [amount, budget.pk, at_db, at_db, amount])
        if cursor.rowcount == 1:
            return
    open_now = (
        Q(is_active=True)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=when))
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=when))
    )
    current = Budget.objects.filter(pk=budget.pk).first()
    if current is None:
        raise Refused(code="not_found", message=_("No such budget."), status=404)
    if not Budget.objects.filter(open_now, pk=budget.pk).exists():
        raise Refused(code="budget_closed", message=_("This budget is not open now."), status=409)
    raise Refused(
        code="budget_exhausted",
        message=_("The budget has %(left)s left, less than the %(amount)s needed.")
        % {"left": format_fen(current.left_fen), "amount": format_fen(amount)},
        status=409,
    )


@service_atomic
def budget_release(*, budget: Budget, amount_fen: int) -> None:
    """Give ``amount_fen`` back to the budget (a refund); never below zero spent."""
    amount = _check_amount(amount_fen)
    released = Budget.objects.filter(pk=budget.pk, spent_fen__gte=amount).update(
        spent_fen=F("spent_fen") - amount
    )
    if released != 1:
        raise Refused(
            code="budget_release_exceeds",
            message=_("More would be released than the budget has spent."),
            status=409,
        )
