"""AuditEntry.org (a foreign key into orgs, without a constraint) becomes the plain ``org_id``.

Core imports no other app (docs/architecture.md); the audit log's console moved to orgs.

Only the model state changes. The column is the same: ``org_id``, bigint, NULL allowed, with the
same single-column index and the same (org_id, at) index, and the foreign key was declared with
``db_constraint=False``, so no constraint exists to drop. ``sqlmigrate core 0007`` on
PostgreSQL emits no SQL: no table rewrite, no lock on the audit log.

Why 0001 still depends on orgs: 0001's state holds the foreign key to ``orgs.Org``. A state with a
lazy reference to a model that is not (yet) in the state cannot be rendered, so without the
dependency a fresh ``migrate`` may apply core 0001 before orgs 0001 and fail (and ``migrate core``
alone always would). Rewriting 0001's state to the integer would make it disagree with the
history that every existing database went through; this migration keeps history honest and
moves the state forward instead. The dependency is the one edge from core to orgs left in the
migration graph, allowed by name in tests/test_layers.py; it disappears when core's migrations
are squashed after every deployment has applied this one.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_rate_counter'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveIndex(
                    model_name='auditentry',
                    name='core_audite_org_id_13011d_idx',
                ),
                migrations.RemoveField(
                    model_name='auditentry',
                    name='org',
                ),
                migrations.AddField(
                    model_name='auditentry',
                    name='org_id',
                    field=models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='Organisation'),
                ),
                migrations.AddIndex(
                    model_name='auditentry',
                    index=models.Index(fields=['org_id', 'at'], name='core_audite_org_id_13011d_idx'),
                ),
            ],
        ),
    ]
