"""Terminals: create and update them (bound to a context in the actor's scope), their API keys
and posters, disabling; what a disabled terminal answers."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from gonghui.core import timeutil
from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

from .. import dispatch, selectors
from ..models import Terminal
from ..selectors import KEY_PREFIX, key_hash

POSTER_SALT = "gonghui.codes.poster"


def terminal_key_new() -> tuple[str, str, str]:
    """A fresh API key: (key, display prefix, SHA-256 hash). 256 random bits."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[: len(KEY_PREFIX) + 6], key_hash(key)


def _terminal_fields_check(*, kind: str, name: str, context_type: str, context_id: str) -> None:
    if kind not in Terminal.Kind.values:
        raise Refused(code="invalid", message=_("Unknown terminal kind."), field="kind")
    if not name.strip():
        raise Refused(code="required", message=_("A terminal needs a name."), field="name")
    if not context_type or not context_id:
        raise Refused(
            code="required",
            message=_("A terminal belongs to one context."),
            field="context_id" if context_type else "context_type",
        )


def terminal_context_check(*, actor: Any, org: Org, context_type: str, context_id: str) -> Org:
    """Where a staff member may bind a terminal: the context must exist (the context's app says
    so through its resolver, ``codes.dispatch``), lie in the actor's scope (``codes.terminals``)
    and in the terminal's org or below it — the terminal's org decides who operates it.

    Returns the context's org or refuses with a field error. A context out of scope reads like
    one that does not exist, so that scope cannot be probed."""
    if not can(actor, "codes.terminals", org):
        raise Refused(
            code="invalid",
            message=_("Choose an organisation within your scope."),
            field="org",
        )
    registration = next((r for r in dispatch.registered() if r.context_type == context_type), None)
    if registration is None or registration.resolve is None:
        raise Refused(
            code="invalid",
            message=_("Terminals cannot be set up for this kind of context."),
            field="context_type",
        )
    where = dispatch.context_org(context_type, context_id)
    if where is None or not can(actor, "codes.terminals", where):
        raise Refused(
            code="context_not_found",
            message=_("There is no such %(kind)s within your organisations.")
            % {"kind": registration.label},
            field="context_id",
        )
    if not where.path.startswith(org.path):
        raise Refused(
            code="context_outside_org",
            message=_(
                "This %(kind)s belongs to %(where)s, outside the terminal's organisation: "
                "choose %(where)s or an organisation above it."
            )
            % {"kind": registration.label, "where": where.name},
            field="context_id",
        )
    return where


def terminal_create(
    *,
    actor: Any,
    org: Org,
    kind: str,
    name: str,
    context_type: str,
    context_id: str,
    ip: str | None = None,
) -> tuple[Terminal, str]:
    """Create a terminal; returns it with its API key, which is shown once and never stored.

    A staff ``actor`` may bind it only to a context that exists and lies in their scope and in
    ``org`` (``terminal_context_check``). ``actor=None`` is trusted code (the demo, an app that
    creates the terminals of its own contexts), not a request: it is not checked."""
    context_id = str(context_id).strip()
    if actor is not None and not can(actor, "codes.terminals", org):
        raise NotFound()
    _terminal_fields_check(kind=kind, name=name, context_type=context_type, context_id=context_id)
    if actor is not None:
        terminal_context_check(
            actor=actor, org=org, context_type=context_type, context_id=context_id
        )
    key, prefix, digest = terminal_key_new()
    with transaction.atomic():
        terminal = Terminal.objects.create(
            org=org,
            kind=kind,
            name=name.strip()[:120],
            context_type=context_type,
            context_id=context_id,
            key_prefix=prefix,
            key_hash=digest,
            created_by=actor if is_staff_actor(actor) else None,
        )
        if actor is not None:
            audit_record(
                actor=actor,
                action="codes.terminal.create",
                obj=terminal,
                org=org,
                data={"kind": kind, "context": f"{context_type}:{context_id}"},
                ip=ip,
            )
    return terminal, key


def terminal_update(
    *,
    terminal: Terminal,
    actor: Any,
    org: Org,
    kind: str,
    name: str,
    context_type: str,
    context_id: str,
    ip: str | None = None,
) -> Terminal:
    """Rename a terminal or move it (org, context): the same checks as ``terminal_create``, on
    the terminal as it stands in the database and on what it becomes. Audited."""
    context_id = str(context_id).strip()
    with transaction.atomic():
        current = (
            Terminal.objects.select_for_update(of=("self",))
            .select_related("org")
            .filter(pk=terminal.pk)
            .first()
        )
        if current is None or not can(actor, "codes.terminals", current.org):
            raise NotFound()
        _terminal_fields_check(
            kind=kind, name=name, context_type=context_type, context_id=context_id
        )
        terminal_context_check(
            actor=actor, org=org, context_type=context_type, context_id=context_id
        )
        was = f"{current.context_type}:{current.context_id}"
        Terminal.objects.filter(pk=current.pk).update(
            org=org,
            kind=kind,
            name=name.strip()[:120],
            context_type=context_type,
            context_id=context_id,
        )
        audit_record(
            actor=actor,
            action="codes.terminal.update",
            obj=current,
            org=org,
            data={
                "kind": kind,
                "context": f"{context_type}:{context_id}",
                "was": was,
                "org_was": current.org_id,
            },
            ip=ip,
        )
    terminal.refresh_from_db()
    return terminal


def terminal_key_rotate(*, terminal: Terminal, actor: Any, ip: str | None = None) -> str:
    """A new key for the terminal; the old one stops working at once. Audited."""
    if not can(actor, "codes.terminals", terminal.org):
        raise NotFound()
    key, prefix, digest = terminal_key_new()
    with transaction.atomic():
        Terminal.objects.filter(pk=terminal.pk).update(key_prefix=prefix, key_hash=digest)
        audit_record(
            actor=actor, action="codes.terminal.rotate_key", obj=terminal, org=terminal.org, ip=ip
        )
    terminal.refresh_from_db()
    return key


def terminal_disable(
    *,
    terminal: Terminal,
    actor: Any,
    reason: str,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Terminal:
    """Disable a terminal: its key and posters answer 403 with the reason. Audited."""
    if not can(actor, "codes.terminals", terminal.org):
        raise NotFound()
    reason = (reason or "").strip()[:200] or _("Disabled by staff.")
    with transaction.atomic():
        Terminal.objects.filter(pk=terminal.pk).update(
            is_active=False, disabled_reason=reason, disabled_at=now or timeutil.now()
        )
        audit_record(
            actor=actor,
            action="codes.terminal.disable",
            obj=terminal,
            org=terminal.org,
            data={"reason": reason},
            ip=ip,
        )
    terminal.refresh_from_db()
    return terminal


def terminal_enable(*, terminal: Terminal, actor: Any, ip: str | None = None) -> Terminal:
    if not can(actor, "codes.terminals", terminal.org):
        raise NotFound()
    with transaction.atomic():
        Terminal.objects.filter(pk=terminal.pk).update(
            is_active=True, disabled_reason="", disabled_at=None
        )
        audit_record(
            actor=actor, action="codes.terminal.enable", obj=terminal, org=terminal.org, ip=ip
        )
    terminal.refresh_from_db()
    return terminal


def terminal_poster_rotate(*, terminal: Terminal, actor: Any, ip: str | None = None) -> Terminal:
    """Invalidate every printed poster of the terminal (a new poster must be printed). Audited."""
    if not can(actor, "codes.terminals", terminal.org):
        raise NotFound()
    with transaction.atomic():
        Terminal.objects.filter(pk=terminal.pk).update(poster_version=F("poster_version") + 1)
        audit_record(
            actor=actor,
            action="codes.terminal.rotate_poster",
            obj=terminal,
            org=terminal.org,
            ip=ip,
        )
    terminal.refresh_from_db()
    return terminal


def terminal_refusal(terminal: Terminal) -> Refused | None:
    """403 with the reason for a disabled terminal (or one whose org is inactive)."""
    if terminal.is_active and terminal.org.is_active:
        return None
    reason = terminal.disabled_reason or _("Disabled by staff.")
    return Refused(
        code="terminal_disabled",
        message=_("This terminal is disabled: %(reason)s") % {"reason": reason},
        status=403,
    )


def poster_token(terminal: Terminal) -> str:
    """The signed token printed (as a URL in a QR code) on the terminal's poster."""
    return signing.dumps({"t": terminal.pk, "v": terminal.poster_version}, salt=POSTER_SALT)


def poster_terminal(token: str) -> Terminal:
    """The terminal of a poster token, or Refused: forged, unknown, or from a replaced poster."""
    bad = Refused(
        code="poster_invalid",
        message=_("This poster code is not valid."),
        field="token",
        status=400,
    )
    if not isinstance(token, str) or len(token) > 300:
        raise bad
    try:
        data = signing.loads(token, salt=POSTER_SALT)
    except signing.BadSignature:
        raise bad from None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        raise bad
    terminal = selectors.terminal_with_org(data["t"])
    if terminal is None or terminal.poster_version != data.get("v"):
        raise bad
    return terminal
