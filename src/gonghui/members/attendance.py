"""Things members sign up for and attend, offered by one app to another without a peer import.

An app that runs sessions with sign-up and check-in (``activities``) registers a *provider*
under a source name (``"activities.activity"``) in ``AppConfig.ready()`` and tells this module
of each check-in (``attended``, inside the check-in's transaction). An app that counts what
members attended (``honors``: volunteer hours) keeps a plain reference ``(source, id)``, asks the
provider for the thing and its attendance, and ``subscribe``s to check-ins. ``members`` imports
neither app; the two apps import only this module.

The values passed across are frozen dataclasses of plain data (ids, times, titles, a URL), never
the provider's model instances, so that the subscriber cannot reach into the provider's tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

# Kinds shared by providers and consumers (a provider maps its own kinds onto these).
KIND_VOLUNTEER = "volunteer"


@dataclass(frozen=True)
class Sitting:
    """One session of an attendable thing."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str


@dataclass(frozen=True)
class Attendable:
    """Something members register for and check in at (an activity with its sessions)."""

    source: str
    id: int
    title: str
    org_id: int
    kind: str
    is_published: bool
    registration_opens: dt.datetime
    registration_closes: dt.datetime
    sittings: tuple[Sitting, ...]
    member_url: str  # the member's page where they register

    @property
    def label(self) -> str:
        first = min((s.starts_at for s in self.sittings), default=None)
        return f"{self.title} ({first:%Y-%m-%d})" if first else self.title


@dataclass(frozen=True)
class Attended:
    """A member checked in at one sitting."""

    member_id: int
    sitting_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    checked_in_at: dt.datetime


class Provider(Protocol):
    def get(self, id: int) -> Attendable | None:
        """The thing, or None when it does not exist."""

    def find(self, *, user: Any, kind: str) -> list[Attendable]:
        """Things of ``kind`` that ``user`` may run (the provider's own capability and scope)."""

    def manages(self, *, user: Any, id: int) -> bool:
        """May ``user`` run this thing (its sessions, check-in)? False also when it is absent."""

    def attendance(self, id: int, *, member_id: int | None = None) -> list[Attended]:
        """Every check-in at the thing's sittings (of one member when ``member_id`` is given)."""

    def registration(self, id: int, *, member_id: int) -> str | None:
        """The label of the member's live registration for the thing (registered, waitlisted,
        applied, checked in…), or None when the member holds none: a page then offers to
        register only to those who have not."""

    def create(
        self,
        *,
        actor: Any,
        org: Any,
        kind: str,
        title: str,
        description: str,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        place: str,
        capacity: int,
        registration_opens: dt.datetime,
        registration_closes: dt.datetime,
        ip: str | None = None,
    ) -> Attendable:
        """Create a published thing with one sitting, checked and audited by the provider
        (out of the actor's scope: ``core.errors.NotFound``)."""


AttendedCallback = Callable[..., None]

_PROVIDERS: dict[str, Provider] = {}
_SUBSCRIBERS: list[AttendedCallback] = []


def register_provider(source: str, provider: Provider) -> None:
    if "." not in source:
        raise ValueError("a source is '<app>.<thing>'")
    _PROVIDERS[source] = provider


def provider(source: str) -> Provider:
    """The provider registered under ``source``; LookupError when its app is not installed."""
    try:
        return _PROVIDERS[source]
    except KeyError:
        raise LookupError(f"no attendance provider {source!r}") from None


def sources() -> list[str]:
    return sorted(_PROVIDERS)


def subscribe(callback: AttendedCallback) -> None:
    """``callback(*, source, id, member, sitting_id, at)`` runs after each check-in, inside the
    check-in's transaction: whatever it writes commits or rolls back with the check-in."""
    if callback not in _SUBSCRIBERS:
        _SUBSCRIBERS.append(callback)


def attended(*, source: str, id: int, member: Any, sitting_id: int, at: dt.datetime) -> None:
    """Called by the provider's app after recording a check-in (in its transaction)."""
    for callback in list(_SUBSCRIBERS):
        callback(source=source, id=id, member=member, sitting_id=sitting_id, at=at)
