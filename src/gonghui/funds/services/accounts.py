"""Fund accounts: opened once per (org, kind, party), renamed or closed; never a balance write."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused
from gonghui.orgs.models import Org

from ..models import NEGATIVE_ALLOWED_KINDS, AccountKind, FundAccount, normal_side_of
from .common import Source, _clean_ref


@transaction.atomic
def account_open(
    *,
    org: Org,
    kind: str,
    party: Source | None = None,
    name: str = "",
    allow_negative: bool | None = None,
    actor: Any = None,
) -> FundAccount:
    """Get or create the org's account of ``kind`` (for ``party``, e.g. ("benefits.merchant", 7))."""
    if kind not in AccountKind.values:
        raise Refused(code="invalid_kind", message=_("Unknown account kind."), field="kind")
    party_type, party_id = _clean_ref(party, field="party")
    if not name:
        name = str(AccountKind(kind).label) + (f" {party_type}:{party_id}" if party_type else "")
    if len(name) > 120:
        raise Refused(code="invalid_name", message=_("The name is too long."), field="name")
    account, created = FundAccount.objects.get_or_create(
        org=org,
        kind=kind,
        party_type=party_type,
        party_id=party_id,
        defaults={
            "name": name,
            "normal_side": normal_side_of(kind),
            "allow_negative": kind in NEGATIVE_ALLOWED_KINDS
            if allow_negative is None
            else allow_negative,
        },
    )
    if created and is_staff_actor(actor):
        audit_record(
            actor=actor,
            action="funds.account.open",
            obj=account,
            org=org,
            data={"kind": kind, "party": [party_type, party_id] if party_type else None},
        )
    return account


@transaction.atomic
def account_update(
    *, account: FundAccount, actor: Any, name: str | None = None, is_active: bool | None = None
) -> FundAccount:
    """Rename or (de)activate an account; never touches its balance."""
    locked = FundAccount.objects.select_for_update().get(pk=account.pk)
    changed: list[str] = []
    if name is not None and name != locked.name:
        if not name.strip() or len(name) > 120:
            raise Refused(
                code="invalid_name", message=_("A name is 1 to 120 characters."), field="name"
            )
        locked.name = name.strip()
        changed.append("name")
    if is_active is not None and is_active != locked.is_active:
        locked.is_active = is_active
        changed.append("is_active")
    if changed:
        locked.save(update_fields=changed)
        if is_staff_actor(actor):
            audit_record(
                actor=actor,
                action="funds.account.update",
                obj=locked,
                org=locked.org,
                data={f: getattr(locked, f) for f in changed},
            )
    return locked
