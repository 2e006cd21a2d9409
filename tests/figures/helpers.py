"""A district with two unions (A, B) and, beside it, another district whose rows must never be
counted; one period (March 2026, local days) and times in it, before it and after it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gonghui.core.timeutil import SHANGHAI
from gonghui.members import figures
from gonghui.orgs.models import Org
from tests.factories import org_child, org_root

START = dt.datetime(2026, 3, 1, tzinfo=SHANGHAI)
END = dt.datetime(2026, 4, 1, tzinfo=SHANGHAI)
IN = dt.datetime(2026, 3, 15, 10, tzinfo=SHANGHAI)
FIRST = dt.datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI)  # the period's first instant
BEFORE = dt.datetime(2026, 2, 28, 23, 59, tzinfo=SHANGHAI)
AFTER = dt.datetime(2026, 4, 1, 0, 0, tzinfo=SHANGHAI)  # the end is excluded
IN_DAY, BEFORE_DAY, AFTER_DAY = IN.date(), BEFORE.date(), AFTER.date()


@dataclass
class Tree:
    fed: Org
    district: Org
    a: Org
    b: Org
    other: Org  # a union of another district


def make_tree() -> Tree:
    fed = org_root()
    district = org_child(fed, kind=Org.Kind.DISTRICT)
    other_district = org_child(fed, kind=Org.Kind.DISTRICT)
    return Tree(
        fed=fed,
        district=district,
        a=org_child(district),
        b=org_child(district),
        other=org_child(other_district),
    )


def value(key: str, org: Org, start: dt.datetime = START, end: dt.datetime = END) -> Any:
    return figures.figure(key).compute(figures.Query(org=org, start=start, end=end))


def assert_figures(tree: Tree, expected: dict[str, tuple[Any, Any]]) -> None:
    """Each figure's value for union A and union B; an additive figure of the district is their
    sum (the other district's rows are not in it)."""
    for key, (at_a, at_b) in expected.items():
        assert value(key, tree.a) == at_a, (key, "A")
        assert value(key, tree.b) == at_b, (key, "B")
        if figures.figure(key).additive:
            assert value(key, tree.district) == at_a + at_b, (key, "district")
