"""The migration that seals birth dates and drops the stored masks (issue 10, item 3) carries a
member created before it over intact, and can be reversed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gonghui.core import crypto
from gonghui.core.identifiers import make_id_number, mask_id_number, mask_phone
from gonghui.members import pii
from gonghui.members.models import PURPOSE_ID_NUMBER, PURPOSE_PHONE

BEFORE = [("members", "0004_alter_serviceevent_member_alter_serviceevent_org")]
# Forward to the app's latest migration (0005 seals; later ones add columns the current models
# read), so that the test leaves the schema as the other tests expect it.
AFTER = [("members", "0005_pii_sealed_birth_date_no_masks")]
BIRTH = dt.date(1979, 2, 28)
NUMBER = make_id_number(region="331021", birth=BIRTH, seq=456)
PHONE = "13912345678"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    if targets is AFTER:
        targets = executor.loader.graph.leaf_nodes("members")
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_member_and_enrolment_are_sealed_then_unsealed():
    old = _migrate(BEFORE)
    Org = old.get_model("orgs", "Org")
    org = Org.objects.create(
        path="9001", depth=1, numchild=0, name="迁移测试工会", code="MIG1", kind="grassroots"
    )
    sealed = {
        "id_number_cipher": crypto.encrypt(NUMBER, purpose=PURPOSE_ID_NUMBER),
        "id_number_index": pii.id_number_index(NUMBER),
        "id_number_masked": mask_id_number(NUMBER),
        "phone_cipher": crypto.encrypt(PHONE, purpose=PURPOSE_PHONE),
        "phone_index": pii.phone_index(PHONE),
        "phone_masked": mask_phone(PHONE),
    }
    old.get_model("members", "Member").objects.create(
        member_no="00000000018",
        name="迁移",
        gender="M",
        birth_date=BIRTH,
        org=org,
        joined_on=dt.date(2000, 1, 1),
        **sealed,
    )
    old.get_model("members", "Enrolment").objects.create(org=org, name="迁移", **sealed)

    _migrate(AFTER)
    from gonghui.members.models import Enrolment, Member

    for column in ("birth_date", "id_number_masked", "phone_masked"):
        assert column not in _columns("members_member")
    assert not {"id_number_masked", "phone_masked"} & _columns("members_enrolment")
    member = Member.objects.get(member_no="00000000018")
    assert member.birth_year == 1979 and member.birth_date == BIRTH
    assert BIRTH.isoformat() not in member.birth_date_cipher
    assert member.id_number_masked == mask_id_number(NUMBER)
    assert member.phone_masked == mask_phone(PHONE)
    assert Enrolment.objects.get().id_number_masked == mask_id_number(NUMBER)

    # Backwards: the plain columns come back, filled from the ciphertexts.
    back = _migrate(BEFORE)
    row = back.get_model("members", "Member").objects.get(member_no="00000000018")
    assert (row.birth_date, row.id_number_masked, row.phone_masked) == (
        BIRTH,
        mask_id_number(NUMBER),
        mask_phone(PHONE),
    )
    _migrate(AFTER)
