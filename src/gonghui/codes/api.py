"""Codes API (/api/v1/codes/): credentials for members, scans for terminals.

- Members (session cookie, CSRF header on writes): ``POST credentials`` issues a credential for
  this device (the seed is in this one answer only), ``GET credentials/current`` polls status and
  high-water mark, ``POST reverse-scan`` submits a terminal's poster token.
- Terminals (``Authorization: Terminal <key>``, or a signed-in staff user with ``terminal_id``
  who may operate it: ``selectors.terminals_operable``, the rule of the checkout page too):
  ``POST scan`` with an ``Idempotency-Key`` header; ``GET terminal`` says who the terminal is.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema
from ninja.security import APIKeyHeader

from gonghui.core.apiauth import staff_auth
from gonghui.core.apischema import Error
from gonghui.core.errors import Refused
from gonghui.core.timeutil import now
from gonghui.members.apiauth import member_auth

from . import protocol, selectors, services
from .models import Terminal

router = Router(tags=["codes"])


# --- authentication -----------------------------------------------------------------------------


class TerminalKey(APIKeyHeader):
    """``Authorization: Terminal <key>``. A disabled terminal answers 403 with its reason."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key or not key.startswith("Terminal "):
            return None
        terminal = selectors.terminal_by_key(key[len("Terminal ") :].strip())
        if terminal is None:
            raise Refused(code="terminal_unknown", message=_("Unknown terminal key."), status=401)
        refusal = services.terminal_refusal(terminal)
        if refusal is not None:
            raise refusal
        return terminal


terminal_auth = [TerminalKey(), staff_auth]


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _terminal_of(request: HttpRequest, terminal_id: int | None) -> Terminal:
    principal = request.auth  # type: ignore[attr-defined]
    if isinstance(principal, Terminal):
        return principal
    if terminal_id is None:
        raise Refused(
            code="required",
            message=_("Name the terminal (terminal_id) when signed in as staff."),
            field="terminal_id",
        )
    terminal = selectors.terminal_operable(principal, terminal_id)
    refusal = services.terminal_refusal(terminal)
    if refusal is not None:
        raise refusal
    return terminal


# --- schemas ----------------------------------------------------------------------------------


class CredentialIssued(Schema):
    credential_id: int
    seed: str = Field(description="32 bytes, hex; returned only in this answer")
    step_seconds: int
    code_digits: int
    server_time: float


class CredentialStatus(Schema):
    credential_id: int
    status: str
    hw_step: int
    hw_seq: int
    locked_until: str | None
    server_time: float


class ScanIn(Schema):
    code: str = Field(max_length=64, description="20 digits (spaces and dashes are ignored)")
    payload: dict[str, Any] = Field(default_factory=dict)
    terminal_id: int | None = Field(default=None, description="only when signed in as staff")


class ReverseScanIn(Schema):
    token: str = Field(max_length=300, description="the token in the poster's QR code")
    payload: dict[str, Any] = Field(default_factory=dict)


class ScanOut(Schema):
    ok: bool
    code: str
    via: str
    message: str | None = None
    member: dict[str, Any] | None = None
    result: dict[str, Any] | None = None


class TerminalOut(Schema):
    id: int
    name: str
    kind: str
    org: str
    context_type: str
    context_id: str


# --- member endpoints --------------------------------------------------------------------------


@router.post("/credentials", auth=member_auth, response={201: CredentialIssued, 403: Error})
def credential_issue(request: HttpRequest) -> JsonResponse:
    """Issue this device's credential; any previous device's credential stops working."""
    member = request.auth  # type: ignore[attr-defined]
    credential, seed = services.credential_issue(
        member=member, device_label=request.headers.get("User-Agent", "")
    )
    body = {
        "credential_id": credential.pk,
        "seed": seed.hex(),
        "step_seconds": protocol.STEP_SECONDS,
        "code_digits": protocol.CODE_LENGTH,
        "server_time": now().timestamp(),
    }
    return _no_store(JsonResponse(body, status=201))


@router.get("/credentials/current", auth=member_auth, response={200: CredentialStatus, 404: Error})
def credential_current(request: HttpRequest) -> JsonResponse:
    """Status and high-water mark of the member's active credential (never the seed)."""
    credential = selectors.credential_current(request.auth)  # type: ignore[attr-defined]
    if credential is None:
        body: dict[str, Any] = {
            "code": "no_credential",
            "message": _("There is no active code on any device."),
            "field": None,
        }
        return _no_store(JsonResponse(body, status=404))
    body = {
        "credential_id": credential.pk,
        "status": credential.status,
        "hw_step": credential.hw_step,
        "hw_seq": credential.hw_seq,
        "locked_until": credential.locked_until.isoformat() if credential.locked_until else None,
        "server_time": now().timestamp(),
    }
    return _no_store(JsonResponse(body))


def _scan_response(result: services.ScanResult) -> JsonResponse:
    response = JsonResponse(result.body, status=result.status)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return _no_store(response)


@router.post(
    "/reverse-scan",
    auth=member_auth,
    response={200: ScanOut, 400: Error, 403: Error, 409: Error, 413: Error, 429: Error},
)
def reverse_scan(
    request: HttpRequest,
    data: ReverseScanIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> JsonResponse:
    """A signed-in member's phone submits a terminal's poster token: the same dispatch as a scan."""
    result = services.scan_poster(
        member=request.auth,  # type: ignore[attr-defined]
        token=data.token,
        payload=data.payload,
        idempotency_key=idempotency_key,
    )
    return _scan_response(result)


# --- terminal endpoints ------------------------------------------------------------------------


@router.post(
    "/scan",
    auth=terminal_auth,
    response={
        200: ScanOut,
        400: Error,
        401: Error,
        403: Error,
        404: Error,
        409: Error,
        413: Error,
        423: Error,
        429: Error,
    },
)
def scan(
    request: HttpRequest,
    data: ScanIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> JsonResponse:
    """Verify a member's code and hand it to the terminal's context. Needs an Idempotency-Key:
    a retry with the same key and body returns the first answer (``Idempotent-Replayed: true``)
    and changes nothing; the same key with another body answers 409."""
    terminal = _terminal_of(request, data.terminal_id)
    result = services.scan_code(
        terminal=terminal, code=data.code, payload=data.payload, idempotency_key=idempotency_key
    )
    return _scan_response(result)


@router.get(
    "/terminal", auth=terminal_auth, response={200: TerminalOut, 401: Error, 403: Error, 404: Error}
)
def terminal_whoami(request: HttpRequest, terminal_id: int | None = None) -> dict[str, Any]:
    """Who this terminal is (for a POS page or a gate to show)."""
    terminal = _terminal_of(request, terminal_id)
    return {
        "id": terminal.pk,
        "name": terminal.name,
        "kind": terminal.kind,
        "org": terminal.org.name,
        "context_type": terminal.context_type,
        "context_id": terminal.context_id,
    }
