"""No two live (active or attended) exclusive bookings of one venue overlap: a PostgreSQL
EXCLUSION constraint.

Installed on PostgreSQL only (btree_gist gives GiST the ``=`` operator on the venue id); on
SQLite the service checks overlaps with the venue locked, and SQLite serialises writers."""

from typing import Any

from django.db import migrations

CONSTRAINT = "venues_booking_no_exclusive_overlap"

CREATE = f"""
ALTER TABLE venues_booking ADD CONSTRAINT {CONSTRAINT}
EXCLUDE USING gist (
    venue_id WITH =,
    tstzrange(starts_at, ends_at, '[)') WITH &&
) WHERE (status IN ('active', 'attended') AND mode = 'exclusive')
"""


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(CREATE)


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE venues_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("venues", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
