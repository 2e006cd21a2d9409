from django.db import migrations

from gonghui.core.dbtriggers import append_only


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial"), ("core", "0002_auditentry_append_only")]
    operations = [append_only("members_serviceevent"), append_only("members_memberhistory")]
