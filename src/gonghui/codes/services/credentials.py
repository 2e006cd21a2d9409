"""Credentials: issue one per device (the previous one is rotated out), revoke, lift a lockout."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.db import IntegrityError, transaction

from gonghui.core import crypto, timeutil
from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.members.models import Member
from gonghui.orgs.scoping import can

from .. import protocol
from ..models import PURPOSE_SEED, Credential
from .verify import REASONS

log = logging.getLogger("gonghui.codes")


def _new_credential_id() -> int:
    span = protocol.CREDENTIAL_ID_MAX - protocol.CREDENTIAL_ID_MIN + 1
    return protocol.CREDENTIAL_ID_MIN + secrets.randbelow(span)


def credential_issue(
    *, member: Member, device_label: str = "", now: dt.datetime | None = None
) -> tuple[Credential, bytes]:
    """Issue a credential for ``member`` on a new device; the previous one is revoked (rotated).

    Returns the credential and its 32-byte seed. The seed is handed out only here, once; the
    server keeps it encrypted (``core.crypto``, purpose ``codes.seed``)."""
    now = now or timeutil.now()
    if member.status != Member.Status.ACTIVE:
        raise Refused(code="member_inactive", message=REASONS["member_inactive"][1], status=403)
    seed = secrets.token_bytes(protocol.SEED_BYTES)
    with transaction.atomic():
        # One issuance at a time per member: lock the member row.
        Member.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True).first()
        Credential.objects.filter(member=member, status=Credential.Status.ACTIVE).update(
            status=Credential.Status.REVOKED,
            revoked_reason=Credential.RevokeReason.ROTATED,
            revoked_at=now,
        )
        cipher = crypto.encrypt(seed.hex(), purpose=PURPOSE_SEED)
        for _attempt in range(8):
            try:
                with transaction.atomic():
                    credential = Credential.objects.create(
                        id=_new_credential_id(),
                        member=member,
                        seed_cipher=cipher,
                        device_label=device_label[:120],
                    )
                break
            except IntegrityError:  # the random id is taken: draw again
                continue
        else:  # pragma: no cover - 8 collisions in a space of 9e8
            raise RuntimeError("could not draw a free credential id")
    log.info("credential %s issued to member %s", credential.pk, member.pk)
    return credential, seed


def credential_revoke(
    *, credential: Credential, actor: Any, ip: str | None = None, now: dt.datetime | None = None
) -> Credential:
    """Staff revoke a credential (lost phone, misuse). Audited."""
    now = now or timeutil.now()
    org = credential.member.org
    if not can(actor, "codes.revoke", org):
        raise NotFound()
    with transaction.atomic():
        changed = Credential.objects.filter(
            pk=credential.pk, status=Credential.Status.ACTIVE
        ).update(
            status=Credential.Status.REVOKED,
            revoked_reason=Credential.RevokeReason.STAFF,
            revoked_at=now,
            revoked_by=actor if is_staff_actor(actor) else None,
        )
        if changed:
            audit_record(
                actor=actor, action="codes.credential.revoke", obj=credential, org=org, ip=ip
            )
    credential.refresh_from_db()
    return credential


def credential_unlock(*, credential: Credential, actor: Any, ip: str | None = None) -> Credential:
    """Staff lift a lockout early (the member proved who they are). Audited."""
    org = credential.member.org
    if not can(actor, "codes.revoke", org):
        raise NotFound()
    with transaction.atomic():
        Credential.objects.filter(pk=credential.pk).update(
            locked_until=None, fail_count=0, fail_window_start=None, lock_count=0
        )
        audit_record(actor=actor, action="codes.credential.unlock", obj=credential, org=org, ip=ip)
    credential.refresh_from_db()
    return credential
