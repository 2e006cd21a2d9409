"""Reads of the code app: credentials (the scan's first read is a fixed SELECT), terminals by
key, by poster or by who may operate them, stored scan answers."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from gonghui.core.db import Row
from gonghui.core.errors import NotFound
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import scope_q

from . import dispatch
from .models import Credential, ScanRecord, Terminal

KEY_PREFIX = "ght_"

_TERMINAL = Row(Terminal, "t")
_ORG = Row(Org, "o")
_CREDENTIAL = Row(Credential, "c")
_MEMBER = Row(Member, "m")


@functools.cache
def _terminal_sql(vendor: str) -> str:
    """Every terminal request starts here: a fixed SELECT instead of select_related."""
    q = connection.ops.quote_name
    return (
        f"SELECT {_TERMINAL.select(q)}, {_ORG.select(q)} "  # noqa: S608 - no user input
        f"FROM {q(Terminal._meta.db_table)} t JOIN {q(Org._meta.db_table)} o ON o.id = t.org_id "
        "WHERE t.key_hash = %s"
    )


@functools.cache
def _credential_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    return (
        f"SELECT {_CREDENTIAL.select(q)}, {_MEMBER.select(q)}, {_ORG.select(q)} "  # noqa: S608
        f"FROM {q(Credential._meta.db_table)} c "
        f"JOIN {q(Member._meta.db_table)} m ON m.id = c.member_id "
        f"JOIN {q(Org._meta.db_table)} o ON o.id = m.org_id WHERE c.id = %s"
    )


def key_hash(key: str) -> str:
    """The SHA-256 of a terminal's API key: what is stored and looked up, never the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def credential_load(credential_id: int) -> Credential | None:
    """The credential with its member and the member's org, in one fixed SELECT (a scan's
    first read: ``select_related`` over the three tables costs more Python than the query)."""
    with connection.cursor() as cursor:
        cursor.execute(_credential_sql(connection.vendor), [credential_id])
        row = cursor.fetchone()
    if row is None:
        return None
    credential = _CREDENTIAL.read(row, 0)
    member = _MEMBER.read(row, len(_CREDENTIAL))
    member.org = _ORG.read(row, len(_CREDENTIAL) + len(_MEMBER))
    credential.member = member
    return credential


def credential_current(member: Member) -> Credential | None:
    """The member's active credential, if any."""
    return Credential.objects.filter(member=member, status=Credential.Status.ACTIVE).first()


def credential_latest(member: Member) -> Credential | None:
    """The member's newest credential, active or not."""
    return Credential.objects.filter(member=member).order_by("-created_at").first()


def terminal_by_key(key: str) -> Terminal | None:
    """The terminal whose API key is ``key`` (looked up by its SHA-256), active or not."""
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


def terminal_with_org(terminal_id: int) -> Terminal | None:
    """A terminal with its org, active or not (a poster names its terminal by id)."""
    return Terminal.objects.select_related("org").filter(pk=terminal_id).first()


# Operating a terminal from a signed-in session (scan, today's list, void): granted only to the
# roles that run terminals (see apps.py); merchants' cashiers come through dispatch operators.
OPERATE = "pos.operate"


def terminals_operable(user: Any) -> QuerySet[Terminal]:
    """The one rule of who may operate which terminal from a signed-in session (the checkout
    page, ``/api/v1/pos/``, and ``/api/v1/codes/scan`` with ``terminal_id``):

    - union staff (console accounts) holding ``pos.operate``: the terminals of their subtrees;
    - anyone an app's operator admits (``codes.dispatch.register_operator``): a merchant's
      cashiers, the terminals of the merchant's stores.

    Posters are scanned by members' phones, not operated, so they are left out."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Terminal.objects.none()
    q = dispatch.operator_q(user)
    if user.is_staff:
        q |= scope_q(user, OPERATE)
    return (
        Terminal.objects.select_related("org")
        .filter(q)
        .exclude(kind=Terminal.Kind.SPOT_POSTER)
        .order_by("name", "pk")
    )


def terminal_operable(user: Any, terminal_id: int) -> Terminal:
    """A terminal the user may operate, or NotFound (404): out of reach and absent look alike."""
    terminal = terminals_operable(user).filter(pk=terminal_id).first()
    if terminal is None:
        raise NotFound(field="terminal_id")
    return terminal


def scans_recent(terminal: Terminal, *, limit: int = 50) -> QuerySet[ScanRecord]:
    return ScanRecord.objects.filter(terminal=terminal).order_by("-created_at", "-id")[:limit]


def scan_record_find(*, terminal: Terminal, key: str) -> ScanRecord | None:
    """The answer stored under the terminal's Idempotency-Key, if any."""
    return ScanRecord.objects.filter(terminal=terminal, idempotency_key=key).first()
