from django.db import migrations

from gonghui.core.dbtriggers import append_only
from gonghui.funds.dbtriggers import balanced_transactions


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial"), ("core", "0002_auditentry_append_only")]
    operations = [
        append_only("funds_ledgertransaction"),
        append_only("funds_ledgerentry"),
        balanced_transactions(),
    ]
