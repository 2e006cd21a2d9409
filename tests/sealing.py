# ruff: noqa: S608 - SQL built from model metadata (quoted names), values as parameters
"""Helpers for at-rest tests: read what the database and the disk really hold."""

from __future__ import annotations

import stat
from pathlib import Path

from django.db import connection


def raw_rows(model) -> list[tuple]:
    """Every row of the model's table as the database returns it (no field converters)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
        return cur.fetchall()


def raw_text(model) -> str:
    """The whole table, every value as text, for substring checks."""
    return "\n".join(" | ".join(str(v) for v in row) for row in raw_rows(model))


def raw_column(model, field: str) -> list:
    column = model._meta.get_field(field).column
    q = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {q(column)} FROM {q(model._meta.db_table)} ORDER BY {q(model._meta.pk.column)}"
        )
        return [row[0] for row in cur.fetchall()]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
