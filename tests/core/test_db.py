"""core.db: atomic_whole / service_atomic (savepoints only where needed), insert_or_skip, Row."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from gonghui.core.db import Row, atomic_whole, insert_or_skip, joins_whole, service_atomic
from gonghui.core.errors import Refused
from gonghui.core.models import Sequence
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Org
from tests.factories import make_member, org_child, org_root

pytestmark = pytest.mark.django_db(transaction=True)


@service_atomic
def _bump(name: str, *, refuse: bool = False) -> None:
    Sequence.objects.create(name=name, last_value=1)
    if refuse:
        raise Refused(code="no", message="refused")


def _savepoints(queries: CaptureQueriesContext) -> int:
    return sum(1 for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper())


def test_a_service_inside_an_ordinary_transaction_keeps_its_savepoint():
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        _bump("a")
        with pytest.raises(Refused):
            _bump("b", refuse=True)
        # the savepoint undid "b" alone; the transaction goes on
        assert Sequence.objects.filter(name="a").exists()
        assert not Sequence.objects.filter(name="b").exists()
    assert _savepoints(queries) >= 2


def test_inside_atomic_whole_services_add_no_savepoints():
    with CaptureQueriesContext(connection) as queries, atomic_whole():
        assert joins_whole()
        _bump("c")
        _bump("d")
    assert _savepoints(queries) == 0
    assert not joins_whole()
    assert Sequence.objects.filter(name__in=["c", "d"]).count() == 2


def test_a_refusal_inside_atomic_whole_rolls_back_everything():
    with pytest.raises(Refused), atomic_whole():
        _bump("e")
        _bump("f", refuse=True)
    assert not Sequence.objects.filter(name__in=["e", "f"]).exists()


def test_carrying_on_after_a_refusal_inside_atomic_whole_is_refused_loudly():
    with pytest.raises(TransactionManagementError), atomic_whole():
        _bump("g")
        with contextlib.suppress(Refused):
            _bump("h", refuse=True)
        Sequence.objects.count()  # the transaction is marked for rollback
    assert not Sequence.objects.filter(name__in=["g", "h"]).exists()


def test_an_explicit_savepoint_inside_atomic_whole_still_lets_the_caller_carry_on():
    with atomic_whole():
        _bump("i")
        try:
            with transaction.atomic():
                _bump("j", refuse=True)
        except Refused:
            pass
        _bump("k")
    assert set(Sequence.objects.values_list("name", flat=True)) >= {"i", "k"}
    assert not Sequence.objects.filter(name="j").exists()


def test_nested_atomic_whole_rolls_back_only_itself():
    with transaction.atomic():
        _bump("outer")
        with pytest.raises(Refused), atomic_whole():
            _bump("inner")
            _bump("inner2", refuse=True)
        assert Sequence.objects.filter(name="outer").exists()
    assert Sequence.objects.filter(name="outer").exists()
    assert not Sequence.objects.filter(name__in=["inner", "inner2"]).exists()


def _event(member, source_id: str) -> ServiceEvent:
    import datetime as dt

    return ServiceEvent(
        member=member,
        org=member.org,
        kind="test.kind",
        source_type="test.source",
        source_id=source_id,
        occurred_at=dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC),
    )


def test_insert_or_skip_inserts_once_and_skips_a_conflict_without_a_savepoint():
    member = make_member(org_child(org_root()))
    first = _event(member, "1")
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert insert_or_skip(first) is True
        assert first.pk is not None and not first._state.adding
        again = _event(member, "1")
        assert insert_or_skip(again) is False
        assert again.pk is None
        assert ServiceEvent.objects.filter(source_id="1").count() == 1
    assert _savepoints(queries) == 0
    stored = ServiceEvent.objects.get(pk=first.pk)
    assert stored.created_at is not None  # auto_now_add filled as by save()
    assert stored.occurred_at == first.occurred_at


def test_row_reads_complete_instances_like_the_orm():
    root = org_root()
    child = org_child(root)
    member = make_member(child)
    row_member, row_org = Row(type(member), "m"), Row(Org, "o")
    q = connection.ops.quote_name
    sql = (
        f"SELECT {row_member.select(q)}, {row_org.select(q)} "  # noqa: S608 - no user input
        f"FROM {q(member._meta.db_table)} m "
        f"JOIN {q(Org._meta.db_table)} o ON o.id = m.org_id WHERE m.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [member.pk])
        found = cursor.fetchone()
    read = row_member.read(found, 0)
    read_org = row_org.read(found, len(row_member))
    orm = type(member).objects.get(pk=member.pk)
    for field in orm._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
    assert read_org == child and read_org.path == child.path
    assert read.get_deferred_fields() == set()
    # a LEFT JOIN that found nothing reads as None
    assert row_org.read((None,) * (len(row_member) + len(row_org)), len(row_member)) is None
