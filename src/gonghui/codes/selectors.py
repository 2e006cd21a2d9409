"""Reads of the code app."""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from gonghui.core.db import Row
from gonghui.core.errors import NotFound
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import scope

from .models import Credential, ScanRecord, Terminal

_TERMINAL = Row(Terminal, "t")
_ORG = Row(Org, "o")


@functools.cache
def _terminal_sql(vendor: str) -> str:
    """Every terminal request starts here: a fixed SELECT instead of select_related."""
    q = connection.ops.quote_name
    return (
        f"SELECT {_TERMINAL.select(q)}, {_ORG.select(q)} "  # noqa: S608 - no user input
        f"FROM {q(Terminal._meta.db_table)} t JOIN {q(Org._meta.db_table)} o ON o.id = t.org_id "
        "WHERE t.key_hash = %s"
    )


def credential_current(member: Member) -> Credential | None:
    """The member's active credential, if any."""
    return Credential.objects.filter(member=member, status=Credential.Status.ACTIVE).first()


def credential_latest(member: Member) -> Credential | None:
    """The member's newest credential, active or not."""
    return Credential.objects.filter(member=member).order_by("-created_at").first()


def terminal_by_key(key: str) -> Terminal | None:
    """The terminal whose API key is ``key`` (looked up by its SHA-256), active or not."""
    from .services import KEY_PREFIX, key_hash

    if not key or not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_terminal_sql(connection.vendor), [key_hash(key)])
        row = cursor.fetchone()
    if row is None:
        return None
    terminal = _TERMINAL.read(row, 0)
    terminal.org = _ORG.read(row, len(_TERMINAL))
    return terminal


def terminals_for_staff(user: Any, capability: str = "codes.scan") -> QuerySet[Terminal]:
    """Terminals that a staff user may operate (their orgs' subtrees)."""
    return scope(Terminal.objects.select_related("org"), user, capability)


def terminal_for_staff(user: Any, terminal_id: int, capability: str = "codes.scan") -> Terminal:
    """A terminal in the user's scope, or NotFound (404) — out of scope and absent look alike."""
    terminal = terminals_for_staff(user, capability).filter(pk=terminal_id).first()
    if terminal is None:
        raise NotFound(field="terminal_id")
    return terminal


def scans_recent(terminal: Terminal, *, limit: int = 50) -> QuerySet[ScanRecord]:
    return ScanRecord.objects.filter(terminal=terminal).order_by("-created_at", "-id")[:limit]
