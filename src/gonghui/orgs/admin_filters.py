"""Console list filters that the dashboard's drill-down lands on.

- :func:`subtree_filter`: ``?org_tree=<id>`` keeps the rows of that org **and its whole
  subtree** (one ``path LIKE 'prefix%'``), offered over the orgs in the user's scope; the list's
  own scope still applies (an org outside it shows nothing).
- :func:`day_range_filter`: ``?<name>_from=YYYY-MM-DD&<name>_to=YYYY-MM-DD``, local
  (Asia/Shanghai) days, both included: on a datetime field the half-open interval
  [local midnight of from, local midnight after to), the same bounds the dashboard counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from gonghui.core.timeutil import format_date, local_midnight

from .models import Org
from .scoping import scope_roots, visible_orgs

#: How many orgs the subtree filter offers at most (the levels nearest the user's roots).
SUBTREE_CHOICES = 200


def subtree_filter(
    field: str, title: Any, capability: str, parameter: str = "org_tree"
) -> type[admin.SimpleListFilter]:
    """A list filter on ``field`` (an FK path to Org) that keeps an org's whole subtree."""

    class SubtreeFilter(admin.SimpleListFilter):
        parameter_name = parameter

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            roots = scope_roots(request.user, capability)
            depth = min((len(r) for r in roots), default=Org.steplen) // Org.steplen
            orgs = (
                visible_orgs(request.user, capability)
                .filter(depth__lte=depth + 2)
                .order_by("path")
                .only("pk", "name", "depth")[:SUBTREE_CHOICES]
            )
            out = [(str(o.pk), "　" * max(o.depth - depth, 0) + o.name) for o in orgs]
            value = self.value()
            if value and value not in {k for k, _label in out}:
                chosen = visible_orgs(request.user, capability).filter(pk=_int(value)).first()
                if chosen is not None:
                    out.append((str(chosen.pk), chosen.name))
            return out

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            if not value:
                return queryset
            org = Org.objects.filter(pk=_int(value)).only("path").first()
            if org is None:
                return queryset.none()
            lookup = f"{field}__path__startswith" if field else "path__startswith"
            return queryset.filter(**{lookup: org.path})

    SubtreeFilter.title = title
    SubtreeFilter.__name__ = f"SubtreeFilter_{field}"
    return SubtreeFilter


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def day_range_filter(field: str, title: Any, name: str) -> type[admin.ListFilter]:
    """A filter on a date or datetime ``field`` by local days ``<name>_from`` to ``<name>_to``
    (both included, either may be absent); shown as the range chosen, with "All" to clear it."""
    start_param, end_param = f"{name}_from", f"{name}_to"

    class DayRangeFilter(admin.ListFilter):
        def __init__(
            self, request: HttpRequest, params: dict[str, Any], model: type[Model], model_admin: Any
        ) -> None:
            super().__init__(request, params, model, model_admin)
            self.used_parameters: dict[str, Any] = {}
            for p in (start_param, end_param):
                if p in params:
                    value = params.pop(p)
                    self.used_parameters[p] = value[-1] if isinstance(value, list) else value
            self.first = _day(self.used_parameters.get(start_param))
            self.last = _day(self.used_parameters.get(end_param))

        def has_output(self) -> bool:
            return True

        def expected_parameters(self) -> list[str | None]:
            return [start_param, end_param]

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            is_datetime = isinstance(queryset.model._meta.get_field(field), models.DateTimeField)
            if self.first is not None:
                bound: Any = local_midnight(self.first) if is_datetime else self.first
                queryset = queryset.filter(**{f"{field}__gte": bound})
            if self.last is not None:
                if is_datetime:
                    queryset = queryset.filter(
                        **{f"{field}__lt": local_midnight(self.last + dt.timedelta(days=1))}
                    )
                else:
                    queryset = queryset.filter(**{f"{field}__lte": self.last})
            return queryset

        def choices(self, changelist: Any) -> Any:
            active = self.first is not None or self.last is not None
            yield {
                "selected": not active,
                "query_string": changelist.get_query_string(remove=[start_param, end_param]),
                "display": _("All"),
            }
            if active:
                yield {
                    "selected": True,
                    "query_string": changelist.get_query_string(),
                    "display": f"{format_date(self.first) if self.first else '…'} – "
                    f"{format_date(self.last) if self.last else '…'}",
                }

    DayRangeFilter.title = title
    DayRangeFilter.__name__ = f"DayRangeFilter_{field}"
    return DayRangeFilter
