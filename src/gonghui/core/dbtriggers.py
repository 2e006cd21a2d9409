"""Database-side enforcement of append-only tables (PostgreSQL).

``append_only(table)`` is a migration operation: on PostgreSQL it installs a trigger that
refuses UPDATE and DELETE on the table; on other databases it does nothing (the ORM-level guard
in ``AppendOnlyModel`` still applies). TRUNCATE stays possible for operators and test teardown.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION gonghui_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def append_only(table: str) -> migrations.RunPython:
    trigger = f"{table}_append_only"

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(FUNCTION_SQL, params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION gonghui_refuse_change()"
        )

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")

    return migrations.RunPython(forwards, backwards, elidable=False)
