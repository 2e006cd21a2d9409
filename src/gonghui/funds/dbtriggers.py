"""Database-side enforcement of the zero-sum rule (PostgreSQL).

``balanced_transactions()`` is a migration operation. On PostgreSQL it installs two constraint
triggers, DEFERRABLE INITIALLY DEFERRED, so that they run at COMMIT, after all the entries of a
transaction have been inserted:

- on ``funds_ledgerentry`` (each inserted entry): the entry's transaction must sum to zero and
  have at least two entries;
- on ``funds_ledgertransaction`` (each inserted transaction): the same, so that a transaction
  row with no entries at all cannot be committed either.

A violation raises ``check_violation`` (SQLSTATE 23514) and the whole commit fails. On other
databases the operation does nothing: the services check the same rule in code.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION funds_check_transaction_balanced() RETURNS trigger AS $$
DECLARE
  txn_id bigint;
  total numeric;
  n integer;
BEGIN
  IF TG_TABLE_NAME = 'funds_ledgerentry' THEN
    txn_id := NEW.transaction_id;
  ELSE
    txn_id := NEW.id;
  END IF;
  SELECT COALESCE(SUM(amount_fen), 0), COUNT(*) INTO total, n
    FROM funds_ledgerentry WHERE transaction_id = txn_id;
  IF total <> 0 OR n < 2 THEN
    RAISE EXCEPTION 'ledger transaction % is unbalanced: entries sum to % over % entries', txn_id, total, n
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = (
    ("funds_ledgerentry", "funds_ledgerentry_balanced"),
    ("funds_ledgertransaction", "funds_ledgertransaction_balanced"),
)


def balanced_transactions() -> migrations.RunPython:
    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(FUNCTION_SQL, params=None)
        for table, trigger in TRIGGERS:
            schema_editor.execute(
                f"CREATE CONSTRAINT TRIGGER {trigger} AFTER INSERT ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                f"EXECUTE FUNCTION funds_check_transaction_balanced()"
            )

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, trigger in TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS funds_check_transaction_balanced()")

    return migrations.RunPython(forwards, backwards, elidable=False)
