"""Two database roles on PostgreSQL: an owner that migrates, a runtime role that owns nothing.

The role that owns a table can disable its triggers (``ALTER TABLE … DISABLE TRIGGER``) or
empty it (``TRUNCATE``), and a superuser can also switch triggers off for a session
(``session_replication_role = replica``). So the application runs as a runtime role
(``DATABASE_URL``) that owns nothing and is no superuser, while ``gonghui migrate`` connects as
the owner (``DATABASE_MIGRATE_URL``). After every migrate, ``runtime_grant`` gives the runtime
role what the application needs and nothing more:

- ``SELECT, INSERT, UPDATE, DELETE`` on every table of the schema and ``USAGE, SELECT`` on its
  sequences, also through ``ALTER DEFAULT PRIVILEGES`` so that tables created by later
  migrations work for it at once;
- on the append-only tables (those with a ``<table>_append_only`` trigger, see
  ``core.dbtriggers``) ``UPDATE`` and ``DELETE`` are revoked again; ``TRUNCATE`` is never
  granted, and neither is ownership, so it can neither disable a trigger nor truncate.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections


def append_only_tables(connection: Any) -> list[str]:
    """Tables that carry an append-only trigger (installed by ``core.dbtriggers.append_only``)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND t.tgname = c.relname || '_append_only' "
            "ORDER BY 1"
        )
        return [r[0] for r in cur.fetchall()]


def runtime_grant(connection: Any, role: str) -> None:
    """Give ``role`` the application's privileges on the current schema (idempotent)."""
    q = connection.ops.quote_name
    r = q(role)
    with connection.cursor() as cur:
        cur.execute("SELECT current_schema()")
        schema = q(cur.fetchone()[0])
        for sql in (
            f"GRANT USAGE ON SCHEMA {schema} TO {r}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {r}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
        ):
            cur.execute(sql)
        for table in append_only_tables(connection):
            cur.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {q(table)} FROM {r}")


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """After `gonghui migrate` as the owner: grant the runtime role (if one is configured)."""
    role = settings.GONGHUI_DB_RUNTIME_ROLE
    connection = connections[using]
    if not role or connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute("SELECT current_user")
        if cur.fetchone()[0] == role:
            return  # one role for everything: nothing to grant
    runtime_grant(connection, role)
