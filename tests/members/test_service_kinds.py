"""Every service-event kind an app writes has a registered label, so the member's history (and
later the dashboard) never shows a raw ``app.kind`` code (issue #12, item 2)."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.utils import translation

import gonghui
from gonghui.members import servicekinds
from tests.factories import make_member
from tests.members.test_h5_pages import PHONE, add_event
from tests.members.test_h5_support import en_client, make_tree, sign_in

SRC = Path(gonghui.__file__).parent
WRITERS = {"service_event_record"}


def _module_constants() -> dict[str, set[str]]:
    """NAME → its string values, over every module (a constant may live in a sibling module)."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, set()).add(node.value.value)
    return found


def _values(expr: ast.expr, constants: dict[str, set[str]], where: str) -> set[str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return _values(expr.body, constants, where) | _values(expr.orelse, constants, where)
    name = expr.id if isinstance(expr, ast.Name) else getattr(expr, "attr", None)
    if name and name in constants:
        return constants[name]
    raise AssertionError(f"{where}: kind={ast.unparse(expr)} is not a literal this test can read")


def written_kinds() -> dict[str, str]:
    """Every kind passed to a service-event writer anywhere in the source → where."""
    constants = _module_constants()
    kinds: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            fname = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if fname not in WRITERS:
                continue
            where = f"{path.relative_to(SRC)}:{node.lineno}"
            for kw in node.keywords:
                if kw.arg == "kind":
                    for kind in _values(kw.value, constants, where):
                        kinds.setdefault(kind, where)
    return kinds


def test_the_scan_finds_the_writers():
    kinds = written_kinds()
    # a few known writers, so that a scan that finds nothing cannot pass
    assert {"benefits.redemption", "academy.lesson_completed", "mutualaid.claim_paid"} <= set(kinds)


def test_every_written_kind_is_registered():
    registered = servicekinds.registered()
    missing = {k: where for k, where in written_kinds().items() if k not in registered}
    assert not missing, f"service-event kinds without a label (register in apps.py): {missing}"


def test_every_registered_label_is_translated():
    with translation.override("zh-hans"):
        raw = [k for k, label in servicekinds.registered().items() if str(label) in (k, "")]
    assert not raw


@pytest.mark.django_db
def test_history_shows_the_label_of_an_academy_kind():
    tree = make_tree()
    member = make_member(tree.union, phone=PHONE, name="李海")
    add_event(
        member,
        kind="academy.lesson_completed",
        amount_fen=0,
        at=dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC),
    )
    c = en_client()
    sign_in(c, member, PHONE)
    body = c.get("/m/history").content.decode()
    assert "academy.lesson_completed" not in body
    assert "Lesson completed" in body
