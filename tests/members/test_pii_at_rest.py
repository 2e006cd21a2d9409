"""A stolen database reveals no ID number (issue 10, item 3).

The attacker holds a dump of every table (not the keys). For every demo person we count the
valid GB 11643 numbers consistent with everything stored in plain about that person, and demand
at least ``MIN_CANDIDATES``.

The plain columns are read from the database, not from a list: every row of every model that is
linked to a person (the person's own row, rows found through the blind index, rows reaching it by
foreign keys, and rows naming it through ``<x>_type``/``<x>_id`` references such as audit
entries) is inspected, column by column, for anything derived from the ID number: masked forms
(visible prefix and suffix), the birth date (as a date or as text), and whole runs of six or
more of the number's characters (region code, birth date as digits, the whole number). Phones are out of
this test.

The attacker is assumed to know more than the dump shows: the person's region code (the area
has few of them) and, since they are stored in plain for eligibility queries, the birth year and
the sex. What is left: the day of the year and the sequence number of the right parity,
365 × 500 = 182,500 numbers, each with its one check character.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import models, transaction

from gonghui.core import crypto
from gonghui.members.models import PURPOSE_ID_NUMBER
from gonghui.members.pii import open_id_number as pii_open

MIN_CANDIDATES = 10_000
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
BIRTH = range(6, 14)

RUN = re.compile(r"[0-9Xx]+")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
MASK = re.compile(r"([0-9Xx]*)(\*+)([0-9Xx]*)")


# --- what a value tells about a number ------------------------------------------------------


def _date_of(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


def leaked_positions(value: Any, number: str, birth: dt.date) -> dict[int, str]:
    """Positions of ``number`` (0–17) that ``value`` gives away, with their characters."""
    known: dict[int, str] = {}
    if value is None or isinstance(value, bool):
        return known
    if isinstance(value, dict):
        for k, v in value.items():
            known.update(leaked_positions(k, number, birth))
            known.update(leaked_positions(v, number, birth))
        return known
    if isinstance(value, list | tuple):
        for v in value:
            known.update(leaked_positions(v, number, birth))
        return known
    day = _date_of(value)
    if day is not None:
        if day == birth:
            known.update({i: number[i] for i in BIRTH})
        return known
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str) or value.startswith(f"{crypto.VERSION}."):
        return known  # a ciphertext token, or something that is not text
    text = value.upper()
    for m in ISO_DATE.finditer(text):
        try:
            if dt.date(int(m[1]), int(m[2]), int(m[3])) == birth:
                known.update({i: number[i] for i in BIRTH})
        except ValueError:
            pass
    mask = MASK.fullmatch(text.strip())
    if mask is not None:
        head, tail = mask[1], mask[3]
        if head and number.startswith(head):
            known.update({i: number[i] for i in range(len(head))})
        if tail and number.endswith(tail):
            known.update({i: number[i] for i in range(18 - len(tail), 18)})
    for run in RUN.findall(text):
        # A whole run of six or more characters found in the number (a region code, a birth
        # date as digits, the number itself). Runs are matched whole, so that a member number
        # or an amount that merely contains six of the number's digits is not taken for one.
        if len(run) >= 6:
            at = number.find(run)
            while at >= 0:
                known.update({i: number[i] for i in range(at, at + len(run))})
                at = number.find(run, at + 1)
    return known


def candidates(number: str, known: dict[int, str]) -> int:
    """Valid numbers with the region, birth year and sex of ``number`` and the ``known`` chars."""
    year, sex_parity = int(number[6:10]), int(number[16]) % 2
    base = sum(int(c) * w for c, w in zip(number[:6], WEIGHTS[:6], strict=True))
    dates = [0] * 11
    day = dt.date(year, 1, 1)
    while day.year == year:
        digits = f"{day:%Y%m%d}"
        if all(known.get(6 + i, c) == c for i, c in enumerate(digits)):
            dates[sum(int(c) * w for c, w in zip(digits, WEIGHTS[6:14], strict=True)) % 11] += 1
        day += dt.timedelta(days=1)
    seqs = [0] * 11
    for seq in range(1000):
        digits = f"{seq:03d}"
        if seq % 2 != sex_parity:
            continue
        if all(known.get(14 + i, c) == c for i, c in enumerate(digits)):
            seqs[sum(int(c) * w for c, w in zip(digits, WEIGHTS[14:17], strict=True)) % 11] += 1
    total = 0
    for a, n_dates in enumerate(dates):
        for b, n_seqs in enumerate(seqs):
            check = CHECK_CHARS[(base + a + b) % 11]
            if known.get(17, check) == check:
                total += n_dates * n_seqs
    return total


# --- the dump ---------------------------------------------------------------------------------


def _persons() -> dict[str, tuple[str, dt.date]]:
    """Blind index → (ID number, birth date) of every row holding a sealed ID number."""
    from gonghui.core.identifiers import parse_id_number

    out: dict[str, tuple[str, dt.date]] = {}
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        if not {"id_number_cipher", "id_number_index"} <= names:
            continue
        for index, token in model._default_manager.values_list(
            "id_number_index", "id_number_cipher"
        ):
            parsed = parse_id_number(crypto.decrypt(token, purpose=PURPOSE_ID_NUMBER))
            out[index] = (parsed.number, parsed.birth_date)
    return out


def _pk_or_none(model: type[models.Model], ref: Any) -> Any:
    try:
        return model._meta.pk.to_python(ref)
    except (ValidationError, ValueError, TypeError):
        return None  # not a key of that model


def _links() -> dict[type[models.Model], dict[Any, set[str]]]:
    """model → pk → the persons (blind indexes) its row is about."""
    linked: dict[type[models.Model], dict[Any, set[str]]] = defaultdict(dict)
    every = list(apps.get_models())
    labels = {m._meta.label_lower: m for m in every}
    for model in every:
        if "id_number_index" in {f.name for f in model._meta.concrete_fields}:
            for pk, index in model._default_manager.values_list("pk", "id_number_index"):
                linked[model].setdefault(pk, set()).add(index)
    for _round in range(4):
        grown = False
        for model in every:
            fields = model._meta.concrete_fields
            fks = [f for f in fields if f.is_relation and f.related_model in linked]
            names = {f.name for f in fields}
            refs = [
                (f"{p}_type", f"{p}_id")
                for p in ("object", "source", "target", "subject")
                if {f"{p}_type", f"{p}_id"} <= names
            ]
            for fk in fks:
                targets = linked[fk.related_model]
                for pk, ref in model._default_manager.values_list("pk", fk.attname):
                    persons = targets.get(ref)
                    if persons and not persons <= linked[model].get(pk, set()):
                        linked[model].setdefault(pk, set()).update(persons)
                        grown = True
            for type_field, id_field in refs:
                for pk, label, ref in model._default_manager.values_list(
                    "pk", type_field, id_field
                ):
                    target = labels.get(str(label))
                    if target not in linked:
                        continue
                    persons = linked[target].get(_pk_or_none(target, ref))
                    if persons and not persons <= linked[model].get(pk, set()):
                        linked[model].setdefault(pk, set()).update(persons)
                        grown = True
        if not grown:
            break
    return linked


def _plain_values(model: type[models.Model], pks: set[Any]) -> Iterator[tuple[Any, str, Any]]:
    """(pk, column, value) of every plain column (no keys, no phones) of the given rows."""
    columns = [
        f.attname
        for f in model._meta.concrete_fields
        if not f.is_relation and not f.primary_key and "phone" not in f.name
    ]
    if not columns:
        return
    pk_name = model._meta.pk.attname
    for row in model._default_manager.values(pk_name, *columns).iterator(chunk_size=2000):
        pk = row.pop(pk_name)
        if pk in pks:
            for column, value in row.items():
                yield pk, column, value


def dump_exposure() -> tuple[dict[str, int], dict[str, set[str]], set[str]]:
    """Per person: candidate count and the columns that leaked; and every model inspected."""
    persons = _persons()
    known: dict[str, dict[int, str]] = {key: {} for key in persons}
    sources: dict[str, set[str]] = defaultdict(set)
    inspected: set[str] = set()
    for model, rows in _links().items():
        inspected.add(model._meta.label_lower)
        for pk, column, value in _plain_values(model, set(rows)):
            for key in rows[pk]:
                number, birth = persons[key]
                found = leaked_positions(value, number, birth)
                if found:
                    known[key].update(found)
                    sources[key].add(f"{model._meta.label_lower}.{column}")
    counts = {key: candidates(persons[key][0], known[key]) for key in persons}
    return counts, sources, inspected


# --- the detector itself ----------------------------------------------------------------------

NUMBER = "33102119900517123X"
BIRTHDAY = dt.date(1990, 5, 17)


def test_nothing_known_leaves_a_year_of_days_times_500_sequences():
    assert candidates(NUMBER, {}) == 365 * 500


@pytest.mark.parametrize(
    ("value", "positions"),
    [
        ("331***********123X", {0, 1, 2, 14, 15, 16, 17}),
        ("33***X", {0, 1, 17}),
        (BIRTHDAY, set(BIRTH)),
        ("1990-05-17", set(BIRTH)),
        ({"note": "born 19900517"}, set(BIRTH)),
        (19900517, set(BIRTH)),
        (NUMBER, set(range(18))),
        ("331021", set(range(6))),
        ("M", set()),
        (dt.date(1990, 5, 18), set()),
        ("138****5678", set()),
        ("0000019900517", set()),  # contains the birth date, but is not derived from it
        (150000, set()),
        ("v1.k1.MzMxMDIxMTk5MDA1MTcxMjNY", set()),
    ],
)
def test_leaks_are_detected(value, positions):
    assert set(leaked_positions(value, NUMBER, BIRTHDAY)) == positions


def test_yesterdays_columns_narrowed_to_one():
    """The old plain columns (birth date and the 3+4 mask) gave the number away."""
    known = leaked_positions([BIRTHDAY, "331***********123X"], NUMBER, BIRTHDAY)
    assert candidates(NUMBER, known) == 1


@pytest.mark.django_db
def test_a_pickled_member_carries_no_plaintext():
    """Opened values are cached on the instance for display, never pickled (caches, queues)."""
    import pickle

    from tests.factories import make_member, org_child, org_root

    member = make_member(org_child(org_root()), n=4242)
    number, birth = pii_open(member), member.birth_date
    assert member.id_number_masked and member.phone_masked
    blob = pickle.dumps(member)
    for plain in (number, birth.isoformat(), member.id_number_masked, member.phone_masked):
        assert plain.encode() not in blob
    again = pickle.loads(blob)  # noqa: S301 - our own bytes, just written
    assert (again.birth_date, again.id_number_masked) == (birth, member.id_number_masked)


# --- the demo dump ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_dump(django_db_setup, django_db_blocker):
    """The demo loaded once for this module, inside a transaction rolled back afterwards."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("demo", verbosity=0)
            yield dump_exposure()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.django_db
def test_every_demo_person_keeps_at_least_10000_candidates(demo_dump):
    counts, sources, inspected = demo_dump
    assert len(counts) >= 2000
    # The scan is not vacuous: it reached the person tables and the tables that point at them.
    assert {"members.member", "members.enrolment", "members.memberhistory"} <= inspected
    assert len(inspected) >= 10
    worst = sorted(counts, key=counts.__getitem__)[:5]
    assert min(counts.values()) >= MIN_CANDIDATES, [(counts[k], sorted(sources[k])) for k in worst]
