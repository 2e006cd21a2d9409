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


RESEALABLE_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION gonghui_refuse_change_but_reseal() RETURNS trigger AS $$
BEGIN
  -- Only the key rotation (core.sealed.allow_reseal) may rewrite the sealed columns named in
  -- the trigger's arguments, and then only if every other column stays as it was.
  IF TG_OP = 'UPDATE' AND current_setting('gonghui.reseal', true) = 'on'
     AND (to_jsonb(NEW) - TG_ARGV) = (to_jsonb(OLD) - TG_ARGV) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def append_only_resealable(table: str, columns: list[str]) -> migrations.RunPython:
    """Replace ``append_only(table)``'s trigger by one that also refuses UPDATE and DELETE,
    except a re-encryption of the sealed ``columns`` by ``core.sealed`` (key rotation, the
    migration that seals old rows) that changes nothing else."""
    trigger = f"{table}_append_only"
    if not columns or any(not c.replace("_", "").isalnum() for c in columns):
        raise ValueError("columns are plain column names")
    args = ", ".join(f"'{c}'" for c in columns)

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(RESEALABLE_FUNCTION_SQL, params=None)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION gonghui_refuse_change_but_reseal({args})"
        )

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(FUNCTION_SQL, params=None)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION gonghui_refuse_change()"
        )

    return migrations.RunPython(forwards, backwards, elidable=False)


def resealable_columns(connection: Any) -> dict[str, list[str]]:
    """PostgreSQL: the append-only tables whose trigger lets the key rotation re-encrypt some
    columns, with those columns (read back from the triggers' arguments).

    A runtime database role that has no UPDATE on append-only tables needs
    ``GRANT UPDATE (<columns>) ON <table>`` on exactly these for ``gonghui rotate-pii-key``;
    the trigger still refuses any other change."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, t.tgnargs, t.tgargs FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE n.nspname = current_schema() AND t.tgname = c.relname || '_append_only' "
            "AND p.proname = 'gonghui_refuse_change_but_reseal' ORDER BY 1"
        )
        rows = cur.fetchall()
    return {
        table: [a.decode() for a in bytes(args).split(b"\x00")[:nargs]]
        for table, nargs, args in rows
    }
