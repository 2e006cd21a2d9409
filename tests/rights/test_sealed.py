# ruff: noqa: S608 - SQL built from model metadata (quoted names), values as parameters
"""Rights cases at rest: what happened (intake text, member's or anonymous) and the timeline's
notes are ciphertext in the database; the append-only timeline still refuses every change but
the key rotation's re-encryption (PostgreSQL trigger)."""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.test import Client

from gonghui.core import crypto, sealed
from gonghui.core.models import AuditEntry
from gonghui.orgs.models import Role
from gonghui.rights import services
from gonghui.rights.models import CaseEntry, RightsCase
from tests.conftest import postgres_only
from tests.factories import make_staff
from tests.sealing import raw_column, raw_text

from .factories import intake, make_world

pytestmark = pytest.mark.django_db

WHAT = "老板拖欠三个月工资，还打了我，医院诊断轻微脑震荡"
NOTE = "律师意见：工伤认定可能，需补医院证明"
ANSWER = "可以申请劳动仲裁，时效一年"


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def boss(world):
    return make_staff(world.fed, Role.FEDERATION_ADMIN)


def test_case_text_and_timeline_are_ciphertext_in_the_database(world, boss):
    case = intake(world.member, description=WHAT).case
    services.case_note(case=case, text=NOTE, actor=boss)
    services.case_advance(case=case, actor=boss, note="进入调解：对方同意面谈")
    anon = intake(
        None, anonymous=True, contact_phone="13912345678", description="匿名：欠薪两个月被威胁"
    ).case
    consultation = intake(
        world.member, kind="consultation", case_type="consultation", description="加班费怎么算？"
    ).case
    services.case_answer(case=consultation, text=ANSWER, actor=boss)
    services.case_close(case=case, outcome="resolved", actor=boss, note="已和解，补发工资")
    dump = raw_text(RightsCase) + raw_text(CaseEntry) + raw_text(AuditEntry)
    for secret in (
        WHAT,
        NOTE,
        ANSWER,
        "对方同意面谈",
        "欠薪两个月被威胁",
        "加班费",
        "已和解",
        "13912345678",
    ):
        assert secret not in dump, secret
    assert all(v.startswith("v1.") for v in raw_column(RightsCase, "description"))
    # The application reads it all back; the case number, state and amounts stay plain.
    case.refresh_from_db()
    assert case.description == WHAT and case.amount_claimed_fen == 1_500_000
    texts = [e.text for e in case.entries.all()]
    assert NOTE in texts and any("已和解，补发工资" in t for t in texts)
    assert RightsCase.objects.get(pk=anon.pk).description == "匿名：欠薪两个月被威胁"
    assert case.number in dump and "resolved" in dump


def test_the_console_shows_the_case_text_to_a_supervisor(world, boss):
    case = intake(world.member, description=WHAT).case
    services.case_note(case=case, text=NOTE, actor=boss)
    c = Client()
    c.force_login(boss)
    page = c.get(f"/admin/rights/rightscase/{case.pk}/change/").content.decode()
    assert WHAT in page and NOTE in page


def _execute(sql, params=None):
    with connection.cursor() as cur:
        cur.execute(sql, params)


def test_the_data_migration_seals_rows_written_before(world, boss):
    case = intake(world.member, description=WHAT).case
    services.case_note(case=case, text=NOTE, actor=boss)
    q = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {q('rights_rightscase')} SET {q('description')} = %s", [WHAT])
        if connection.vendor != "postgresql":  # the trigger keeps the timeline as it is there
            cur.execute(f"UPDATE {q('rights_caseentry')} SET {q('text')} = %s", [NOTE])
    migration = import_module("gonghui.rights.migrations.0005_sealed_case_text")
    editor = SimpleNamespace(connection=connection, execute=_execute)
    for op in migration.Migration.operations:
        if hasattr(op, "code"):
            op.code(apps, editor)
    assert WHAT not in raw_text(RightsCase) and NOTE not in raw_text(CaseEntry)
    case.refresh_from_db()
    assert case.description == WHAT and NOTE in [e.text for e in case.entries.all()]


@postgres_only()
def test_the_timeline_stays_append_only_but_can_be_resealed(world, boss):
    case = intake(world.member, description=WHAT).case
    entry = services.case_note(case=case, text=NOTE, actor=boss)
    q = connection.ops.quote_name
    table = q("rights_caseentry")
    token = crypto.encrypt(NOTE, purpose="rights.caseentry.text")
    for sql, params, reseal in (
        (f"UPDATE {table} SET {q('text')} = %s WHERE id = %s", [token, entry.pk], False),
        (f"UPDATE {table} SET {q('kind')} = 'closed' WHERE id = %s", [entry.pk], True),
        (f"UPDATE {table} SET {q('text')} = %s, {q('is_public')} = true WHERE id = %s",
         [token, entry.pk], True),
        (f"DELETE FROM {table} WHERE id = %s", [entry.pk], True),
    ):  # fmt: skip
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            if reseal:
                sealed.allow_reseal()
            with connection.cursor() as cur:
                cur.execute(sql, params)
    with transaction.atomic():
        sealed.allow_reseal()
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {table} SET {q('text')} = %s WHERE id = %s", [token, entry.pk])
    assert CaseEntry.objects.get(pk=entry.pk).text == NOTE
    assert raw_column(CaseEntry, "text")[-1] == token


@postgres_only()
def test_the_resealable_append_only_tables_name_their_sealed_columns():
    from gonghui.core.dbtriggers import resealable_columns

    assert resealable_columns(connection) == {
        "assistance_fileevent": ["note"],
        "rights_caseentry": ["text"],
    }


@postgres_only()
def test_a_role_allowed_to_update_only_the_sealed_column_can_reseal_and_nothing_else(world, boss):
    """How a runtime role without UPDATE on append-only tables rotates keys: a column grant on
    the columns ``resealable_columns`` names, the trigger refusing the rest."""
    case = intake(world.member, description=WHAT).case
    entry = services.case_note(case=case, text=NOTE, actor=boss)
    role, q = "gonghui_h3_reseal_probe", connection.ops.quote_name
    table = q("rights_caseentry")
    token = crypto.encrypt(NOTE, purpose="rights.caseentry.text")
    with connection.cursor() as cur:  # rolled back with the test's transaction
        cur.execute("SELECT current_schema()")
        schema = q(cur.fetchone()[0])
        cur.execute(f"CREATE ROLE {role} NOLOGIN")
        cur.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        cur.execute(f"GRANT SELECT ON {table} TO {role}")
        cur.execute(f"GRANT UPDATE ({q('text')}) ON {table} TO {role}")

    def as_role(sql, params, *, reseal):
        with transaction.atomic(), connection.cursor() as cur:
            if reseal:
                sealed.allow_reseal()
            cur.execute(f"SET LOCAL ROLE {role}")
            cur.execute(sql, params)

    set_text = f"UPDATE {table} SET {q('text')} = %s WHERE id = %s"
    with pytest.raises(DatabaseError, match="permission denied"):
        as_role(f"UPDATE {table} SET {q('kind')} = 'closed' WHERE id = %s", [entry.pk], reseal=True)
    with pytest.raises(DatabaseError, match="permission denied"):
        as_role(f"DELETE FROM {table} WHERE id = %s", [entry.pk], reseal=True)
    with pytest.raises(DatabaseError, match="append-only"):
        as_role(set_text, [token, entry.pk], reseal=False)
    as_role(set_text, [token, entry.pk], reseal=True)
    assert raw_column(CaseEntry, "text")[-1] == token
