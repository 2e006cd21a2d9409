"""The dashboard's reads go to the read replica when one is configured (``DATABASE_REPLICA_URL``).

Only the dashboard's: its views and API wrap their reads in :func:`reading_replica`, and inside
it :class:`ReplicaRouter` answers ``"replica"`` for every read. Writes never go there, and
nothing else reads there (a member's own pages must see what they just wrote). The router is
installed only when the ``replica`` alias exists (settings.py); ``GONGHUI_READ_REPLICA`` says
whether it is used (on when ``DATABASE_REPLICA_URL`` is set)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings

REPLICA = "replica"
F = TypeVar("F", bound=Callable[..., Any])

_reading = contextvars.ContextVar("gonghui_reading_replica", default=False)


@contextmanager
def reading_replica() -> Iterator[None]:
    """Reads inside go to the replica (when one is configured); also a decorator."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def on_replica(func: F) -> F:
    """Decorator form of :func:`reading_replica` for a view or an API operation."""

    @functools.wraps(func)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with reading_replica():
            return func(*args, **kwargs)

    return inner  # type: ignore[return-value]


def replica_in_use() -> bool:
    return bool(settings.GONGHUI_READ_REPLICA) and REPLICA in settings.DATABASES


class ReplicaRouter:
    """``db_for_read`` is the replica inside :func:`reading_replica`; nothing else is routed."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _reading.get() and replica_in_use():
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
