"""Audit of lists that show sensitive membership (who has a hardship file, who has a rights
case): one entry per request, with the filters and the row count, so that browsing such a list
leaves the same trace as opening one file does.

- ``list_audit(...)`` writes the entry in its own transaction (a list is a read: there is no
  transaction of an act to join). ``org`` is the highest org where the user holds one of the
  list's capabilities, so the entry is visible to auditors of that subtree.
- ``ListAuditedAdmin`` is a ModelAdmin mixin: after a changelist page is built (not when it is
  refused or redirects) it records ``list_audit_action`` with the query's filters (search and
  filters; the page number as ``page``), the rows shown and the total matched.

Lives in ``orgs`` because it needs the scoping helper; service apps use it from their admin and
API modules.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.template.response import TemplateResponse

from gonghui.core.audit import audit_record, client_ip

from .models import Org
from .scoping import scope_roots

# Query parameters that say how a list is shown, not what it shows.
_NOT_FILTERS = {"p", "o", "_popup", "_to_field", "_changelist_filters"}
_MAX_VALUE = 200


def query_filters(query: QueryDict) -> dict[str, Any]:
    """The filters of a list request: one value per parameter (a list when repeated)."""
    out: dict[str, Any] = {}
    for key, values in query.lists():
        if key in _NOT_FILTERS:
            continue
        cut = [v[:_MAX_VALUE] for v in values]
        out[key[:_MAX_VALUE]] = cut[0] if len(cut) == 1 else cut
    return out


def _home_org(user: Any, capabilities: tuple[str, ...]) -> Org | None:
    roots = [r for cap in capabilities for r in scope_roots(user, cap)]
    if not roots:
        return None  # a superuser (or nobody): a deployment-wide entry
    return Org.objects.filter(path=min(roots, key=lambda p: (len(p), p))).first()


def list_audit(
    *,
    actor: Any,
    action: str,
    capabilities: tuple[str, ...],
    via: str,
    filters: dict[str, Any],
    rows: int,
    ip: str | None,
    **extra: Any,
) -> None:
    """Record that ``actor`` was shown ``rows`` rows of a sensitive list."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=action,
            org=_home_org(actor, capabilities),
            data={"via": via, "filters": filters, "rows": rows, **extra},
            ip=ip,
        )


class ListAuditedAdmin:
    """Mixin for a ModelAdmin whose changelist shows who has a file or a case."""

    list_audit_action: str = ""
    list_audit_capabilities: tuple[str, ...] = ()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        cl = (
            response.context_data.get("cl")
            if isinstance(response, TemplateResponse) and response.context_data
            else None
        )
        if cl is not None and self.list_audit_action:
            extra: dict[str, Any] = {"total": cl.result_count}
            if request.GET.get("p"):
                extra["page"] = request.GET["p"][:_MAX_VALUE]
            list_audit(
                actor=request.user,
                action=self.list_audit_action,
                capabilities=self.list_audit_capabilities,
                via="console",
                filters=query_filters(request.GET),
                rows=len(cl.result_list),
                ip=client_ip(request),
                **extra,
            )
        return response
