"""Demo data of the service apps, one module per app (e.g. ``benefits.py``).

Each module defines ``ORDER`` (int, lower runs first) and ``load() -> int`` (the number of rows
it created; a second run must create nothing). ``demo_load()`` runs them after the foundation's
data (orgs, enterprises, staff, members), in order. They find the foundation's rows by their
keys in ``gonghui.demo.data`` (org codes, enterprise USCCs, the demo member's phone)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable


def discover() -> list[tuple[str, Callable[[], int]]]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append((getattr(module, "ORDER", 100), info.name, module.load))
    return [(name, load) for _order, name, load in sorted(found)]
