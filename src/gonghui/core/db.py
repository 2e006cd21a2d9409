"""Transactions without needless savepoints, and inserts that skip a unique conflict.

Every write service runs in one ``transaction.atomic``. Called inside a caller's transaction,
Django turns each of those into a SAVEPOINT … RELEASE pair: two more round trips, and on a hot
path (a scan that redeems an offer) they add up and lengthen the time hot rows stay locked.
A savepoint is only needed where someone catches the service's exception and carries on with
the transaction. A caller that never does that says so with :func:`atomic_whole`; the services
it calls are decorated with :func:`service_atomic` and then join its transaction without a
savepoint. If one of them fails, the failure marks the transaction for rollback and the whole
block is rolled back (to its own savepoint when it is itself nested) — nothing half-written.

The rule for code inside an ``atomic_whole`` block: never catch an exception of a
``service_atomic`` service and go on using the database, unless the call sits in its own
``transaction.atomic()`` block (an explicit savepoint), as ``benefits`` does for each candidate
offer. Breaking the rule is loud, not silent: Django refuses the next query
(``TransactionManagementError``).

``insert_or_skip(obj)`` is ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (PostgreSQL and
SQLite): one round trip and no savepoint where "create, or find the row a concurrent or earlier
request made" used to need SELECT + SAVEPOINT + INSERT + RELEASE. ``insert`` and
``insert_many`` are the same INSERTs without the ORM's per-call query building.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model

F = TypeVar("F", bound=Callable[..., Any])

_FLAG = "gonghui_atomic_whole"


@contextmanager
def atomic_whole(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A transaction (or, nested, one savepoint) that is rolled back as a whole on failure; the
    ``service_atomic`` services called inside join it without savepoints of their own."""
    connection = connections[using]
    with transaction.atomic(using=using):
        depth = getattr(connection, _FLAG, 0)
        setattr(connection, _FLAG, depth + 1)
        try:
            yield
        finally:
            setattr(connection, _FLAG, depth)


def joins_whole(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Is the current transaction an ``atomic_whole`` block?"""
    connection = connections[using]
    return bool(getattr(connection, _FLAG, 0)) and connection.in_atomic_block


def service_atomic(func: F) -> F:
    """``transaction.atomic`` for a write service: its own transaction when called alone, a
    savepoint inside an ordinary transaction, and no savepoint inside ``atomic_whole``."""

    @functools.wraps(func)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with transaction.atomic(savepoint=not joins_whole()):
            return func(*args, **kwargs)

    return inner  # type: ignore[return-value]


def insert(obj: Model, *, skip_conflict: bool = False, using: str = DEFAULT_DB_ALIAS) -> bool:
    """INSERT ``obj`` with a cached statement; sets ``obj.pk`` and returns True.

    ``skip_conflict``: ``ON CONFLICT DO NOTHING`` — a row that would break a unique constraint
    is not inserted and the call returns False (on PostgreSQL a conflict with a row of a
    concurrent, uncommitted transaction waits for it, and inserts if it rolls back, exactly as
    a plain INSERT would). Fields are filled as by ``save()`` (``pre_save``: ``auto_now_add``,
    defaults); no signals are sent, so use it only for models that have no receivers (the hot
    path's: scans, redemptions, ledger rows, service events). Building the statement through
    the ORM on every call cost more Python than executing it; here it is built once per model
    and field list."""
    connection = connections[using]
    fields = _insert_fields(obj)
    sql = _insert_sql(type(obj), fields, 1, skip_conflict, True, connection)
    params = _insert_params(obj, fields, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = using
    return True


def insert_or_skip(obj: Model, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """``insert(obj, skip_conflict=True)``: INSERT unless that would break a unique constraint;
    True (and ``obj.pk`` set) when the row was inserted, False on a conflict."""
    return insert(obj, skip_conflict=True, using=using)


def insert_many(objs: list[Model], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """INSERT rows of one model in one statement (no primary keys are read back)."""
    if not objs:
        return
    connection = connections[using]
    fields = _insert_fields(objs[0])
    sql = _insert_sql(type(objs[0]), fields, len(objs), False, False, connection)
    params = [p for obj in objs for p in _insert_params(obj, fields, connection)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def _insert_fields(obj: Model) -> list[Any]:
    meta = obj._meta
    return [
        f
        for f in meta.local_concrete_fields
        if not (f is meta.auto_field and getattr(obj, f.attname) is None)
        and not getattr(f, "generated", False)
    ]


_INSERT_SQL: dict[tuple[Any, ...], str] = {}


def _insert_sql(
    model: type[Model],
    fields: list[Any],
    rows: int,
    skip_conflict: bool,
    returning: bool,
    connection: Any,
) -> str:
    key = (
        model,
        tuple(f.attname for f in fields),
        rows,
        skip_conflict,
        returning,
        connection.vendor,
    )
    sql = _INSERT_SQL.get(key)
    if sql is None:
        q = connection.ops.quote_name
        row = "(" + ", ".join("%s" for _ in fields) + ")"
        sql = (
            f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES {', '.join(row for _ in range(rows))}"
        )
        if skip_conflict:
            sql += " ON CONFLICT DO NOTHING"  # PostgreSQL; SQLite >= 3.24 (unique conflicts only)
        if returning:
            sql += f" RETURNING {q(model._meta.pk.column)}"
        _INSERT_SQL[key] = sql
    return sql


def _insert_params(obj: Model, fields: list[Any], connection: Any) -> list[Any]:
    return [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]


# --- several related rows in one SELECT -------------------------------------------------------
class Row:
    """Columns of one model in a hand-written SELECT, read back into an instance.

    ``select_related`` over four or five tables costs about a millisecond of Python per query
    to build and read; on a hot path a fixed SELECT does the same in a tenth of that. ``Row``
    keeps such a SELECT honest: the column list comes from the model (every concrete field, so
    an instance is complete, never deferred), and the instance is built as the ORM builds it
    (``Model.from_db``)."""

    def __init__(self, model: type[Model], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = [f.attname for f in model._meta.concrete_fields]
        self.columns = [f.column for f in model._meta.concrete_fields]
        self._cols = [f.get_col(model._meta.db_table) for f in model._meta.concrete_fields]
        self._pk_index = self.fields.index(model._meta.pk.attname)
        self._by_alias: dict[str, list[tuple[int, list[Any]]]] = {}

    def select(self, quote: Callable[[str], str]) -> str:
        """``alias."col", …`` for the SELECT list."""
        return ", ".join(f"{self.alias}.{quote(str(c))}" for c in self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def read(
        self,
        row: tuple[Any, ...],
        start: int,
        using: str = DEFAULT_DB_ALIAS,
        *,
        seen: dict[Any, Any] | None = None,
    ) -> Any:
        """The instance whose columns start at ``row[start]``; None when its key is NULL (a
        LEFT JOIN that found nothing). With ``seen`` (a dict shared by the reads of one query),
        a row already read under the same key is returned again instead of built twice."""
        pk = row[start + self._pk_index]
        if pk is None:
            return None
        if seen is not None and (self.model, pk) in seen:
            return seen[(self.model, pk)]
        values = list(row[start : start + len(self.columns)])
        connection = connections[using]
        for i, converters in self._converters(connection):
            if values[i] is not None:
                for convert in converters:
                    values[i] = convert(values[i], self._cols[i], connection)
        obj = self.model.from_db(using, self.fields, values)
        if seen is not None:
            seen[(self.model, pk)] = obj
        return obj

    def _converters(self, connection: Any) -> list[tuple[int, list[Any]]]:
        """The ORM's converters of each column that has any (dates on SQLite, JSON, …)."""
        cached = self._by_alias.get(connection.alias)
        if cached is None:
            cached = []
            for i, col in enumerate(self._cols):
                found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if found:
                    cached.append((i, found))
            self._by_alias[connection.alias] = cached
        return cached
