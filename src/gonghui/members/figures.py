"""The figures registry: what each service app publishes to the dashboard and the work report.

The dashboard (``gonghui.dashboard``) only reads and imports no service app. Each service app
registers, in its ``AppConfig.ready()``, the figures that exist only in its own tables — cases
opened, places given, hours served, coverage rates — the same way it registers its scan handlers
and service-event kinds. The figures counted from ``ServiceEvent`` (人次, amounts) and from
member activity (月活) need no registration: the dashboard reads them through
``members.selectors`` and ``members.servicekinds``.

A figure is computed for an org's subtree and a half-open period ``[start, end)`` of aware
datetimes (local-day boundaries). ``additive`` figures of an org equal the sum over its own rows
and its children's (a count, an amount); the dashboard's breakdown by child org relies on it.
A figure that is not additive (a rate, a distinct count) is computed per org. A ``stock`` figure
is a state at ``end`` (members insured, honorees), not a flow in the period.

``rows_url(query)`` answers the console list of the rows the figure counts, filtered to the
subtree and period (the drill-down's last step), or None.

Pending-work counters (``register_pending``) answer, for a staff user and an org, how many
things wait for them (enrolments to review, claims to check, …) and the console list where they
are; each app counts only what the user may act on (org scoping)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gonghui.orgs.models import Org


class Unit(enum.StrEnum):
    """How a figure's value reads."""

    COUNT = "count"  # an integer number of things or people
    FEN = "fen"  # money, integer fen (shown in yuan)
    HOURS = "hours"  # a Decimal number of hours
    PERMILLE = "permille"  # a rate in ‰ (integer), shown as a percentage with one decimal


@dataclass(frozen=True)
class Query:
    """An org's subtree and a half-open period of aware datetimes."""

    org: Org
    start: dt.datetime
    end: dt.datetime


Value = int | Decimal


@dataclass(frozen=True)
class Section:
    key: str
    label: Any
    order: int


@dataclass(frozen=True)
class Figure:
    key: str  # "<app>.<what>"
    label: Any  # what a person reads (gettext_lazy)
    section: str  # a registered section key
    unit: Unit
    compute: Callable[[Query], Value]
    additive: bool = True
    stock: bool = False
    rows_url: Callable[[Query], str | None] | None = None
    order: int = 0
    public: bool = True  # may appear in a report marked for publication


@dataclass(frozen=True)
class Pending:
    key: str
    label: Any
    count: Callable[[Any, Org], int]  # (staff user, org) -> things waiting in the org's subtree
    url: Callable[[Org], str]  # the console list where they are
    order: int = 0


_SECTIONS: dict[str, Section] = {}
_FIGURES: dict[str, Figure] = {}
_PENDING: dict[str, Pending] = {}


def register_section(key: str, label: Any, *, order: int = 0) -> None:
    """A group of figures on the dashboard (服务, 经费, 维权, …)."""
    _SECTIONS[key] = Section(key=key, label=label, order=order)


def register(
    key: str,
    label: Any,
    *,
    section: str,
    unit: Unit,
    compute: Callable[[Query], Value],
    additive: bool = True,
    stock: bool = False,
    rows_url: Callable[[Query], str | None] | None = None,
    order: int = 0,
    public: bool = True,
) -> None:
    """Publish one figure (see the module docstring)."""
    if "." not in key:
        raise ValueError("a figure key is '<app>.<what>'")
    _FIGURES[key] = Figure(
        key=key,
        label=label,
        section=section,
        unit=Unit(unit),
        compute=compute,
        additive=additive,
        stock=stock,
        rows_url=rows_url,
        order=order,
        public=public,
    )


def register_pending(
    key: str,
    label: Any,
    *,
    count: Callable[[Any, Org], int],
    url: Callable[[Org], str],
    order: int = 0,
) -> None:
    """Publish one pending-work counter (see the module docstring)."""
    _PENDING[key] = Pending(key=key, label=label, count=count, url=url, order=order)


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def figures(section: str | None = None) -> list[Figure]:
    found = [f for f in _FIGURES.values() if section is None or f.section == section]
    return sorted(
        found,
        key=lambda f: (_SECTIONS[f.section].order if f.section in _SECTIONS else 0, f.order, f.key),
    )


def figure(key: str) -> Figure:
    """The registered figure (LookupError if none)."""
    try:
        return _FIGURES[key]
    except KeyError:
        raise LookupError(f"no figure {key!r} is registered") from None


def pending() -> list[Pending]:
    return sorted(_PENDING.values(), key=lambda p: (p.order, p.key))


def problems() -> list[str]:
    """What is wrong with the registry: a figure in a section nobody registered."""
    return [
        f"figure {f.key!r} is in section {f.section!r}, which is not registered"
        for f in _FIGURES.values()
        if f.section not in _SECTIONS
    ]


def system_check(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Django system check over the registry (``members.E102``)."""
    from django.core import checks

    return [checks.Error(p, id="members.E102") for p in problems()]
