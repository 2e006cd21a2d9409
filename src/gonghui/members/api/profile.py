"""The signed-in member: profile, service history, transfer requests."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query

from .. import selectors
from ..apiauth import member_auth
from .common import (
    _auth,
    _member,
    _transfer,
    router,
)
from .schemas import (
    ERRORS,
    MeOut,
    ServiceEventOut,
    TransferOut,
)


@router.get(
    "/me",
    auth=member_auth,
    response={200: MeOut, **ERRORS},
    summary="My profile",
    operation_id="gonghui_members_api_me",
)
def me(request: HttpRequest) -> dict[str, Any]:
    return _member(_auth(request))


@router.get(
    "/me/events",
    auth=member_auth,
    response={200: list[ServiceEventOut], **ERRORS},
    summary="My service history",
    operation_id="gonghui_members_api_me_events",
)
def me_events(request: HttpRequest, limit: int = Query(50, ge=1, le=100)) -> list[dict[str, Any]]:
    events = selectors.member_service_history(member=_auth(request), limit=limit)
    return [
        {
            "kind": e.kind,
            "amount_fen": e.amount_fen,
            "org_name": e.org.name,
            "occurred_at": e.occurred_at,
        }
        for e in events
    ]


@router.get(
    "/me/transfers",
    auth=member_auth,
    response={200: list[TransferOut], **ERRORS},
    summary="My transfer requests",
    operation_id="gonghui_members_api_me_transfers",
)
def me_transfers(request: HttpRequest) -> list[dict[str, Any]]:
    return [_transfer(t) for t in selectors.transfers_of_member(member=_auth(request))]
