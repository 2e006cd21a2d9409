from django.db import migrations

from gonghui.core.dbtriggers import append_only


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial"), ("core", "0002_auditentry_append_only")]
    operations = [append_only("jobs_applicationstep")]
