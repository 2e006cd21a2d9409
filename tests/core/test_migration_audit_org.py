"""core 0007 turns AuditEntry.org (a foreign key into orgs) into the plain ``org_id`` by state only:
an entry written at the previous head keeps its org id, and the column is untouched."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", "0006_rate_counter")]
AFTER = [("core", "0007_auditentry_org_id")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _org_id_column():
    with connection.cursor() as cursor:
        for c in connection.introspection.get_table_description(cursor, "core_auditentry"):
            if c.name == "org_id":
                return (c.type_code, c.null_ok)
    return None


@pytest.fixture
def back_to_the_head():
    """Whatever happens, the database ends at the head of every app's migrations again (later
    migrations of core, such as the SMS outbox, are unapplied on the way back to 0006)."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_entry_written_at_previous_head_keeps_its_org_id(back_to_the_head):
    column = _org_id_column()
    old = _migrate(BEFORE)
    assert _org_id_column() == column
    Org = old.get_model("orgs", "Org")
    org = Org.objects.create(
        path="9002", depth=1, numchild=0, name="审计迁移工会", code="MIG2", kind="grassroots"
    )
    AuditEntry = old.get_model("core", "AuditEntry")
    with transaction.atomic():
        before = AuditEntry.objects.create(action="orgs.org.change", org=org, object_repr="x")
        system = AuditEntry.objects.create(action="members.pii.rotate_key")

    _migrate(AFTER)
    from gonghui.core.models import AuditEntry as Current

    assert _org_id_column() == column  # same column, same type, still NULL-able
    assert Current.objects.get(pk=before.pk).org_id == org.pk
    assert Current.objects.get(pk=system.pk).org_id is None
    assert Current.objects.filter(org_id=org.pk).count() == 1
