"""The audit log and the service-event log are append-only: in code everywhere, in the database on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from gonghui.core.audit import audit_record
from gonghui.core.models import AuditEntry
from gonghui.members.models import MemberHistory
from gonghui.members.services import service_event_record
from tests.conftest import postgres_only
from tests.factories import make_member, make_staff, org_child, org_root

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    org = org_root()
    with transaction.atomic():
        return audit_record(actor=None, action="test.thing", obj=org, org=org, data={"a": 1})


@pytest.fixture
def event():
    union = org_child(org_root())
    member = make_member(union)
    with transaction.atomic():
        return service_event_record(
            member=member, kind="assistance.visit", source=member, amount_fen=100
        )


def test_audit_record_outside_a_transaction_raises(transactional_db):
    with pytest.raises(RuntimeError, match="transaction"):
        audit_record(actor=None, action="test.thing")
    assert AuditEntry.objects.count() == 0


def test_audit_record_fields_and_forbidden_keys(entry):
    assert entry.actor_label == "system"
    assert entry.object_type == "orgs.org"
    user = make_staff(None, None, username="auditor-x")
    with transaction.atomic():
        e = audit_record(
            actor=user,
            action="test.x",
            data={"id_number": "11010519491231002X", "phone": "1", "ok": 2},
        )
    assert e.actor_id == user.pk and e.actor_label == "auditor-x"
    assert e.data == {"ok": 2}


def test_audit_entry_rolls_back_with_the_act():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_record(actor=None, action="test.rollback")
        1 / 0  # noqa: B018
    assert not AuditEntry.objects.filter(action="test.rollback").exists()


@pytest.mark.parametrize("model_fixture", ["entry", "event"])
def test_orm_refuses_update_and_delete(request, model_fixture):
    obj = request.getfixturevalue(model_fixture)
    model = type(obj)
    obj.pk_before = obj.pk
    with pytest.raises(PermissionError):
        obj.save()
    with pytest.raises(PermissionError):
        obj.delete()
    with pytest.raises(PermissionError):
        model.objects.filter(pk=obj.pk).update(pk=obj.pk)
    with pytest.raises(PermissionError):
        model.objects.filter(pk=obj.pk).delete()
    with pytest.raises(PermissionError):
        model.objects.all().delete()
    assert model.objects.filter(pk=obj.pk).exists()


def test_member_history_append_only():
    member = make_member(org_child(org_root()))
    h = MemberHistory.objects.get(member=member)
    with pytest.raises(PermissionError):
        h.save()
    with pytest.raises(PermissionError):
        MemberHistory.objects.filter(pk=h.pk).update(reason="x")


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)


@postgres_only()
@pytest.mark.parametrize(
    ("model_fixture", "table", "column", "value"),
    [
        ("entry", "core_auditentry", "action", "forged"),
        ("event", "members_serviceevent", "amount_fen", 0),
    ],
)
def test_database_refuses_raw_update_and_delete(request, model_fixture, table, column, value):
    obj = request.getfixturevalue(model_fixture)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, obj.pk])  # noqa: S608
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {table} WHERE id = %s", [obj.pk])  # noqa: S608
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {table}", [])  # noqa: S608
    fresh = type(obj).objects.get(pk=obj.pk)
    assert getattr(fresh, column) == getattr(obj, column)


@postgres_only()
def test_database_refuses_raw_update_of_member_history():
    member = make_member(org_child(org_root()))
    h = MemberHistory.objects.get(member=member)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE members_memberhistory SET reason = %s WHERE id = %s", ["x", h.pk])


@postgres_only()
def test_database_still_accepts_inserts(entry):
    with transaction.atomic():
        audit_record(actor=None, action="test.second")
    assert AuditEntry.objects.count() == 2
