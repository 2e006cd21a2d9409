"""The console shows names, never codes: kinds, audit actions and object references.

- ``code_filter(field, title, label_for)``: a list filter over a code column (a service-event
  kind, a ledger kind, an audit action) whose choices are the codes present, shown by label;
- ``object_link(type_label, object_id)``: 「核销 #123」, a link to the object's change page when
  the signed-in user may open that list (``core.labels`` names the type).

``LabelledAdmin`` keeps the request of the page being rendered, so that ``object_link`` can ask
the user's permission from a ``list_display`` column (which receives only the row).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from gonghui.core import labels

_REQUEST: ContextVar[HttpRequest | None] = ContextVar("gonghui_console_request", default=None)


def code_filter(
    field: str, title: Any, label_for: Callable[[str], Any]
) -> type[admin.SimpleListFilter]:
    """A list filter on ``field`` offering the codes present, each by its label."""

    class CodeFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            codes = (
                model_admin.get_queryset(request)
                .order_by()
                .values_list(field, flat=True)
                .distinct()
            )
            return sorted(((c, str(label_for(c))) for c in codes if c), key=lambda x: x[1])

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    CodeFilter.title = title
    CodeFilter.__name__ = f"CodeFilter_{field}"
    return CodeFilter


def object_link(type_label: str, object_id: Any) -> str:
    """The object's name and number, linked to its change page where the user may open it."""
    text = labels.object_label(type_label, object_id)
    if not type_label or object_id in (None, ""):
        return str(text)
    model = labels.model_for(type_label)
    request = _REQUEST.get()
    model_admin = admin.site._registry.get(model) if model is not None else None
    if request is None or model_admin is None or not model_admin.has_view_permission(request):
        return str(text)
    opts = model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
    except NoReverseMatch:
        return str(text)
    return format_html('<a href="{}">{}</a>', url, text)


class LabelledAdmin:
    """Mixin for a ModelAdmin whose columns call ``object_link``: renders with the request."""

    def _with_request(self, request: HttpRequest, view: Callable[[], HttpResponse]) -> Any:
        token = _REQUEST.set(request)
        try:
            response = view()
            render = getattr(response, "render", None)
            if render is not None and not getattr(response, "is_rendered", True):
                render()
            return response
        finally:
            _REQUEST.reset(token)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        parent = super().changelist_view  # type: ignore[misc]
        return self._with_request(request, lambda: parent(request, extra_context))

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        parent = super().changeform_view  # type: ignore[misc]
        return self._with_request(request, lambda: parent(request, *args, **kwargs))
