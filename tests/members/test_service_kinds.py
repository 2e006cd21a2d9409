"""Every service-event kind an app writes is registered with a label and its counting rule, so
the member's history (and the dashboard) never shows a raw ``app.kind`` code (issue #12, item 2)
and every event is counted by a written rule (docs/figures.md, issue #13, item 1)."""

from __future__ import annotations

import ast
import datetime as dt
import functools
from pathlib import Path

import pytest
from django.utils import translation

import gonghui
from gonghui.members import servicekinds
from gonghui.members.models import ServiceEvent
from gonghui.members.services import service_event_compensate, service_event_record
from tests.factories import make_member
from tests.members.test_h5_pages import PHONE, add_event
from tests.members.test_h5_support import en_client, make_tree, sign_in

SRC = Path(gonghui.__file__).parent
WRITERS = {"service_event_record", "service_event_compensate", "service_events_record_many"}


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


@functools.cache
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
    # and the three writers: a record, a compensation, a batch
    assert {"members.enrolment", "venues.booking_cancelled", "mutualaid.enrolment"} <= set(kinds)


def test_every_written_kind_is_registered():
    registered = servicekinds.registered()
    missing = {k: where for k, where in written_kinds().items() if k not in registered}
    assert not missing, f"service-event kinds without a label (register in apps.py): {missing}"


def test_every_compensation_is_written_with_the_compensating_writer():
    """A compensating kind goes through service_event_compensate (member, org and amount come
    from the event it cancels), never through service_event_record."""
    for kind, where in dict(written_kinds()).items():
        rule = servicekinds.spec(kind)
        assert rule.is_compensation == ("compensate" in _writer_at(where)), (kind, where)


def _writer_at(where: str) -> str:
    path, line = where.rsplit(":", 1)
    for node in ast.walk(ast.parse((SRC / path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.lineno == int(line):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in WRITERS:
                return name
    raise AssertionError(where)


def test_every_cancellable_kind_has_its_compensation_written():
    """A kind registered as cancellable is cancelled somewhere (else the rule is dead)."""
    written = written_kinds()
    dead = {k: c for k, c in servicekinds.cancellations().items() if c not in written}
    assert not dead


def test_the_registry_is_consistent():
    assert servicekinds.problems() == []
    # and the system check reports nothing
    assert servicekinds.system_check() == []


def test_the_registry_check_finds_broken_pairs(monkeypatch):
    kinds = dict(servicekinds._KINDS)
    monkeypatch.setattr(servicekinds, "_KINDS", kinds)
    servicekinds.register("x.sale", "Sale", counts=True, cancelled_by="x.refund")
    assert any("x.refund is not registered" in p for p in servicekinds.problems())
    servicekinds.register("x.refund", "Refund", counts=True, compensates="x.sale")
    problems = servicekinds.problems()
    assert any("never counts" in p for p in problems)
    servicekinds.register(
        "x.refund",
        "Refund",
        counts=False,
        compensates="x.sale",
        amount=servicekinds.Amount.SPENT,
    )
    assert any("amount means" in p for p in servicekinds.problems())
    assert [e.id for e in servicekinds.system_check()] == ["members.E101"]


@pytest.mark.django_db
def test_an_unregistered_kind_is_refused_before_any_statement(django_assert_num_queries):
    member = make_member(make_tree().union)
    with django_assert_num_queries(0), pytest.raises(LookupError, match="not registered"):
        service_event_record(member=member, kind="members.lunch", source=member)
    with django_assert_num_queries(0), pytest.raises(ValueError, match="no amount"):
        service_event_record(member=member, kind="venues.booking", source=member, amount_fen=5)
    with django_assert_num_queries(0), pytest.raises(ValueError, match="compensating"):
        service_event_record(
            member=member, kind="benefits.redemption", source=member, amount_fen=-5
        )
    with pytest.raises(ValueError, match="not a compensating kind"):
        service_event_compensate(kind="benefits.redemption", source=member)
    assert not ServiceEvent.objects.exists()


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


# --- docs/figures.md: the table of the rules is the registry --------------------------------------

DOC = SRC.parent.parent / "docs" / "figures.md"
BEGIN, END = "<!-- rules table: begin -->", "<!-- rules table: end -->"


def rules_table() -> str:
    """The registry as the markdown table of docs/figures.md (labels in zh-hans)."""
    lines = [
        "| kind | label | counts as 人次 | `amount_fen` means | cancelled by |",
        "|---|---|---|---|---|",
    ]
    with translation.override("zh-hans"):
        for s in servicekinds.specs():
            cancel = f"`{s.cancelled_by}`" if s.cancelled_by else ""
            if s.compensates:
                cancel = f"(cancels `{s.compensates}`)"
            lines.append(
                f"| `{s.kind}` | {s.label} | {'yes' if s.counts else 'no'} "
                f"| {s.amount.value} | {cancel} |"
            )
    return "\n".join(lines)


def test_the_doc_table_is_the_registry():
    text = DOC.read_text(encoding="utf-8")
    table = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    expected = rules_table()
    assert table == expected, f"docs/figures.md is stale; the table is:\n{expected}"
