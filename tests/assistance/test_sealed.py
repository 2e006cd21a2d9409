# ruff: noqa: S608 - SQL built from model metadata (quoted names), values as parameters
"""Hardship files at rest: causes, incomes, household health and income, notes, visit records
and evidence documents are ciphertext in the database and on disk; the console still shows them
to those who may open the file; amounts keep their non-negative checks in the service."""

from __future__ import annotations

import datetime as dt
import io
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from gonghui.assistance import services
from gonghui.assistance.models import (
    FileEvent,
    HardshipDocument,
    HardshipFile,
    HelpRecord,
    HouseholdMember,
)
from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.orgs.models import Role
from tests.factories import make_staff
from tests.sealing import files_under, mode, raw_column, raw_text

from .factories import apply, make_world, rules

pytestmark = pytest.mark.django_db

HEALTH = "肺癌晚期，正在化疗"
HOUSING = "租住地下室，无暖气"
EVIDENCE = "住院病历与低保证明已核"
CHILD = "王小明"
VISIT = "探望时申请人卧床不起"
CLOSE = "申请人病故"
PDF = b"%PDF-1.7\n" + "诊断：肺癌".encode() + b"x" * 200


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def boss(world):
    return make_staff(world.fed, Role.FEDERATION_ADMIN)


def sensitive_file(world, boss):
    f = apply(
        world.member,
        main_cause="disability",
        secondary_causes=["education"],
        applicant_income_fen=1_234_567,
        other_income_fen=7_654_321,
        housing="dormitory",
        housing_note=HOUSING,
        health_note=HEALTH,
        evidence_note=EVIDENCE,
        household=[
            {
                "relation": "child",
                "name": CHILD,
                "birth_date": dt.date(2015, 3, 1),
                "health": "serious",
                "income_fen": 3_456_789,
            }
        ],
    )
    f = services.file_transition(file=f, action="verify", actor=boss, note="核实：长期透析")
    f = services.file_transition(file=f, action="activate", actor=boss)
    rules(world.fed, visit=0)
    services.help_record_create(file=f, kind="visit", amount_fen=0, actor=boss, note=VISIT)
    return f


def test_hardship_text_and_incomes_are_ciphertext_in_the_database(world, boss):
    f = sensitive_file(world, boss)
    services.file_transition(file=f, action="close", actor=boss, note=CLOSE)
    total = 1_234_567 + 7_654_321 + 3_456_789
    tables = (HardshipFile, HouseholdMember, HelpRecord, FileEvent, AuditEntry)
    dump = "\n".join(raw_text(m) for m in tables)
    for secret in (
        HEALTH, HOUSING, EVIDENCE, VISIT, CLOSE, "长期透析",
        "1234567", "7654321", "3456789", str(total), str((total + 1) // 2),
        "disability", "education", "dormitory", "serious",
    ):  # fmt: skip
        assert secret not in dump, secret
    for field in ("health_note", "applicant_income_fen", "main_cause", "close_reason"):
        assert raw_column(HardshipFile, field)[0].startswith("v1.")
    # The application still reads everything back.
    f = HardshipFile.objects.get(pk=f.pk)
    assert (f.health_note, f.housing_note, f.evidence_note, f.close_reason) == (
        HEALTH, HOUSING, EVIDENCE, CLOSE,
    )  # fmt: skip
    assert (f.applicant_income_fen, f.other_income_fen, f.household_income_fen) == (
        1_234_567, 7_654_321, total,
    )  # fmt: skip
    assert f.per_capita_income_fen == services.per_capita_fen(total, 2)
    assert (f.main_cause, f.secondary_causes, f.housing) == (
        "disability",
        ["education"],
        "dormitory",
    )
    person = f.household.get()
    assert (person.name, person.health, person.income_fen) == (CHILD, "serious", 3_456_789)
    assert HelpRecord.objects.get().note == VISIT
    assert [e.note for e in f.events.all()][-1] == CLOSE
    # What must stay queryable stays plain: state, dates, org, category, the grant amount.
    assert raw_column(HardshipFile, "status") == ["closed"]
    assert raw_column(HardshipFile, "category") == ["deep"]
    assert raw_column(HelpRecord, "amount_fen") == [0]


def test_evidence_document_is_ciphertext_on_disk_with_mode_0600(world, boss, settings):
    f = apply(world.member)
    doc = services.document_add(file=f, name="王小明诊断.pdf", stream=io.BytesIO(PDF), actor=boss)
    (path,) = files_under(settings.PRIVATE_ROOT)
    raw = path.read_bytes()
    assert PDF not in raw and "肺癌".encode() not in raw and b"%PDF" not in raw
    assert mode(path) == 0o600
    assert "王小明诊断" not in raw_text(HardshipDocument)
    assert HardshipDocument.objects.get().name == "王小明诊断.pdf"
    c = Client()
    c.force_login(boss)
    r = c.get(f"/admin/assistance/hardshipfile/{f.pk}/document/{doc.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    # The audit log of the upload and of the opening does not repeat the sealed name.
    assert AuditEntry.objects.filter(object_id=str(doc.pk)).count() == 2
    assert "王小明诊断" not in raw_text(AuditEntry)


def test_the_console_shows_the_sealed_text_to_a_supervisor(world, boss):
    f = sensitive_file(world, boss)
    c = Client()
    c.force_login(boss)
    page = c.get(f"/admin/assistance/hardshipfile/{f.pk}/change/").content.decode()
    for text in (HEALTH, HOUSING, EVIDENCE, CHILD, VISIT, "12,345.67"):
        assert text in page, text


@pytest.mark.parametrize(
    "kw",
    [
        {"applicant_income_fen": -1},
        {"other_income_fen": -1},
        {
            "household": [
                {
                    "relation": "child",
                    "name": "丙",
                    "birth_date": dt.date(2015, 1, 1),
                    "income_fen": -1,
                }
            ]
        },
    ],
)
def test_sealed_amounts_are_refused_negative_by_the_service(world, kw):
    with pytest.raises(Refused) as exc:
        apply(world.member, **kw)
    assert exc.value.code == "invalid_amount"
    assert not HardshipFile.objects.exists()


def test_sealed_amounts_are_refused_negative_by_the_model(world, boss):
    f = sensitive_file(world, boss)
    for field in ("applicant_income_fen", "other_income_fen"):
        setattr(f, field, -5)
        with pytest.raises(ValidationError) as exc:
            f.full_clean()
        assert field in exc.value.message_dict
        setattr(f, field, 0)
    person = f.household.get()
    person.income_fen = -1
    with pytest.raises(ValidationError):
        person.full_clean()


def test_the_model_still_refuses_bad_secondary_causes(world):
    f = apply(world.member, secondary_causes=["accident", "disaster"])
    for s1, s2, s3 in (("illness", "", ""), ("accident", "accident", ""), ("", "accident", "")):
        f.secondary_cause_1, f.secondary_cause_2, f.secondary_cause_3 = s1, s2, s3
        with pytest.raises(ValidationError):
            f.full_clean()


def _execute(sql, params=None):
    with connection.cursor() as cur:
        cur.execute(sql, params)


def test_the_data_migration_seals_rows_written_before(world, boss):
    f = sensitive_file(world, boss)
    q = connection.ops.quote_name
    # Put the row back as it was before the migration: plain text and plain numbers.
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {q('assistance_hardshipfile')} SET {q('health_note')} = %s, "
            f"{q('applicant_income_fen')} = %s, {q('main_cause')} = %s WHERE id = %s",
            [HEALTH, "1234567", "disability", f.pk],
        )
        cur.execute(
            f"UPDATE {q('assistance_householdmember')} SET {q('health')} = %s, "
            f"{q('income_fen')} = %s",
            ["serious", "3456789"],
        )
    assert HEALTH in raw_text(HardshipFile) and "3456789" in raw_text(HouseholdMember)
    migration = import_module("gonghui.assistance.migrations.0007_sealed_text_and_incomes")
    editor = SimpleNamespace(connection=connection, execute=_execute)
    for op in migration.Migration.operations:
        if hasattr(op, "code"):
            op.code(apps, editor)
    assert HEALTH not in raw_text(HardshipFile) and "1234567" not in raw_text(HardshipFile)
    assert "3456789" not in raw_text(HouseholdMember) and "serious" not in raw_text(HouseholdMember)
    f = HardshipFile.objects.get(pk=f.pk)
    assert (f.health_note, f.applicant_income_fen, f.main_cause) == (
        HEALTH,
        1_234_567,
        "disability",
    )
    person = f.household.get()
    assert (person.health, person.income_fen) == ("serious", 3_456_789)
    # Values already sealed were left as they were (the migration can run twice).
    before = raw_text(HardshipFile)
    for op in migration.Migration.operations:
        if hasattr(op, "code"):
            op.code(apps, editor)
    assert raw_text(HardshipFile) == before
