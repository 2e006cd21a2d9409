"""Funds API (/api/v1/funds/): accounts, statements and budgets for staff.

Staff use their Django session. Every read is scoped with ``funds.view``: an account or budget
outside the user's subtree answers 404 exactly like an absent one. Amounts are integer fen;
statement periods are local (Asia/Shanghai) calendar days, ``end`` included."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from gonghui.core.apiauth import staff_auth
from gonghui.core.apischema import Error
from gonghui.core.errors import Refused
from gonghui.core.timeutil import SHANGHAI, local_today

from . import selectors
from .models import AccountKind, FundAccount

MAX_STATEMENT_DAYS = 366
MAX_STATEMENT_LINES = 1000
MAX_OFFSET = 10_000_000


router = Router(tags=["funds"], auth=staff_auth)


class Pages(LimitOffsetPagination):
    """limit/offset pages with bounds (a list never answers more than 500 rows at once)."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=500)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


ERRORS: dict[int, Any] = {400: Error, 404: Error, 409: Error}


class AccountOut(Schema):
    id: int
    org_id: int
    org_name: str = Field(..., alias="org.name")
    kind: str
    kind_label: str
    name: str
    party_type: str
    party_id: str
    normal_side: str
    allow_negative: bool
    balance_fen: int
    is_active: bool

    @staticmethod
    def resolve_kind_label(obj: FundAccount) -> str:
        return str(obj.get_kind_display())


class AccountFilter(Schema):
    kind: AccountKind | None = None
    org_id: int | None = None


class StatementQuery(Schema):
    start: dt.date | None = Field(
        None, description="First local day (default: first of this month)"
    )
    end: dt.date | None = Field(None, description="Last local day, included (default: today)")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int = Field(200, ge=1, le=MAX_STATEMENT_LINES)


class StatementLineOut(Schema):
    entry_id: int
    transaction_id: int
    occurred_at: dt.datetime
    kind: str
    memo: str
    debit_fen: int
    credit_fen: int
    balance_fen: int


class StatementOut(Schema):
    account: AccountOut
    start: dt.date
    end: dt.date
    opening_fen: int
    debits_fen: int
    credits_fen: int
    closing_fen: int
    line_count: int
    offset: int
    lines: list[StatementLineOut]


class BudgetOut(Schema):
    id: int
    org_id: int
    org_name: str = Field(..., alias="org.name")
    name: str
    scope_kind: str
    source_type: str
    source_id: str
    account_id: int
    account_name: str = Field(..., alias="account.name")
    cap_fen: int
    spent_fen: int
    left_fen: int
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None
    is_active: bool


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


@router.get("/accounts", response=list[AccountOut], summary="Fund accounts in my scope")
@paginate(Pages)
def account_list(request: HttpRequest, filters: Query[AccountFilter]) -> list[AccountOut]:
    qs = selectors.accounts_visible(user=request.user).order_by("org__path", "kind", "name", "pk")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.org_id:
        qs = qs.filter(org_id=filters.org_id)
    return qs  # type: ignore[return-value]  # paginated, then each row validated into AccountOut


@router.get(
    "/accounts/{account_id}/statement",
    response={200: StatementOut, **ERRORS},
    summary="An account's statement for a period",
)
def account_statement(
    request: HttpRequest, account_id: int, q: Query[StatementQuery]
) -> StatementOut:
    account = selectors.account_get_visible(user=request.user, account_id=account_id)
    today = local_today()
    start = q.start or today.replace(day=1)
    end = q.end or today
    if end < start:
        raise Refused(
            code="invalid_period",
            message=_("The end of the period is before its start."),
            field="end",
        )
    if (end - start).days >= MAX_STATEMENT_DAYS:
        raise Refused(
            code="period_too_long",
            message=_("A statement covers at most %(days)d days.") % {"days": MAX_STATEMENT_DAYS},
            field="end",
        )
    st = selectors.account_statement(
        account=account,
        start=_local_midnight(start),
        end=_local_midnight(end + dt.timedelta(days=1)),
        offset=q.offset,
        limit=q.limit,
    )
    return {  # type: ignore[return-value]  # validated into StatementOut by Ninja
        "account": account,
        "start": start,
        "end": end,
        "opening_fen": st.opening_fen,
        "debits_fen": st.debits_fen,
        "credits_fen": st.credits_fen,
        "closing_fen": st.closing_fen,
        "line_count": st.line_count,
        "offset": st.offset,
        "lines": st.lines,
    }


@router.get("/budgets", response=list[BudgetOut], summary="Budgets in my scope")
@paginate(Pages)
def budget_list(request: HttpRequest) -> list[BudgetOut]:
    return selectors.budgets_visible(user=request.user).order_by("org__path", "name", "pk")  # type: ignore[return-value]
