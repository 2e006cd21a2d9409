"""audit_record(): the one way to write the audit log, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from .actors import is_staff_actor
from .models import AuditEntry

# Keys that never go into audit data, whatever a caller passes.
_FORBIDDEN_KEYS = {"id_number", "phone", "password", "seed", "secret", "otp", "code"}


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    org: Any = None,
    data: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one audit entry. Must run inside the transaction of the act it records.

    ``org`` is the org the act belongs to (an Org, its id, or None); the entry keeps its id."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        raise RuntimeError("audit_record() must be called inside transaction.atomic")
    clean = {k: v for k, v in (data or {}).items() if k not in _FORBIDDEN_KEYS}
    user = actor if is_staff_actor(actor) else None
    if user is not None:
        label = user.get_username()
    elif actor is None:
        label = "system"
    else:
        label = str(actor)[:150]
    return AuditEntry.objects.create(
        actor=user,
        actor_label=label,
        action=action,
        org_id=getattr(org, "pk", org),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=clean,
        ip=ip,
    )


def client_ip(request: Any) -> str | None:
    """REMOTE_ADDR; behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn's forwarded-allow-ips)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None
