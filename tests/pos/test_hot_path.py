"""The redeem hot path (docs/decisions/0003-hot-path-sql.md) gains nothing from the cashier rules
of issue #10: a key-authenticated scan runs exactly the statements it ran before."""

from __future__ import annotations

import json
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext

# Measured on main at a535ed3 (before issue #10) with this very test, SQLite.
STATEMENTS_BEFORE = 17


def test_a_key_scan_gains_no_statement(client, shop):
    def scan():
        return client.post(
            "/api/v1/codes/scan",
            data=json.dumps({"code": shop.code(), "payload": {"bill_fen": 5000}}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Terminal {shop.key}",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )

    assert scan().status_code == 200  # warm: the first scan of a process sets things up
    with CaptureQueriesContext(connection) as queries:
        assert scan().status_code == 200
    assert len(queries.captured_queries) == STATEMENTS_BEFORE
