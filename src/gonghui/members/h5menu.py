"""The member H5 home page's service grid. Apps above members register their entries in
``AppConfig.ready()``; members imports none of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: Any  # a lazy translation
    url_name: str
    order: int = 100
    icon: str = ""  # a Lucide icon name: static/vendor/icons/<icon>.svg (scripts/build-assets.sh)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_ENTRIES: dict[str, MenuEntry] = {}


def register(*, key: str, label: Any, url_name: str, icon: str = "", order: int = 100) -> None:
    """``icon``: a Lucide icon name (tests/members/test_h5_chrome.py requires one per tile)."""
    _ENTRIES[key] = MenuEntry(key=key, label=label, url_name=url_name, order=order, icon=icon)


def entries() -> list[MenuEntry]:
    """Registered entries whose URL exists, in order."""
    out = []
    for entry in sorted(_ENTRIES.values(), key=lambda e: (e.order, e.key)):
        try:
            entry.url  # noqa: B018 - resolve once to drop entries whose app has no URL mounted
        except NoReverseMatch:
            continue
        out.append(entry)
    return out
