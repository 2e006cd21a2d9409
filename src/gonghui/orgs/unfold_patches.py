"""One fix to django-unfold's change list, installed by ``OrgsConfig.ready()``.

unfold's ``items_for_result`` (``unfold.templatetags.unfold_list``) computes every column header
of the list again for every cell's label: 100 rows of 12 columns build 1,200 header sets, each
with its sort links, about a third of the rendering time of a full console list. The headers
depend on the change list only (its columns, ordering and query string), never on the row, so
they are computed once per change list and reused (``tests/orgs/test_console_speed.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

_ATTR = "_gonghui_result_headers"


def _cached(original: Callable[[Any], Iterator[dict[str, Any]]]) -> Callable[[Any], Any]:
    def result_headers(cl: Any) -> Iterator[dict[str, Any]]:
        headers = getattr(cl, _ATTR, None)
        if headers is None:
            headers = list(original(cl))
            setattr(cl, _ATTR, headers)
        return iter(headers)

    result_headers.gonghui_cached = True  # type: ignore[attr-defined]
    result_headers.__wrapped__ = original  # type: ignore[attr-defined]
    return result_headers


def install() -> None:
    from unfold.templatetags import unfold_list

    if not getattr(unfold_list.result_headers, "gonghui_cached", False):
        unfold_list.result_headers = _cached(unfold_list.result_headers)
