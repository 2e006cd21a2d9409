"""Member export service: masked by default, full values only with members.reveal, audited."""

from __future__ import annotations

import pytest

from gonghui.core.errors import NotFound, Refused
from gonghui.core.models import AuditEntry
from gonghui.members.models import Member
from gonghui.members.roster.export import HEADERS, members_export
from gonghui.members.roster.importer import roster_import
from gonghui.orgs.models import Role
from tests.factories import id_number_for, make_member, make_staff, phone_for
from tests.members.test_roster_support import (  # noqa: F401  (private_root is a fixture)
    World,
    new_job,
    private_root,
    read_xlsx,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]


@pytest.fixture
def world():
    w = World()
    make_member(w.union, n=21, enterprise=w.enterprise, is_frontline=True)
    make_member(w.union, n=22)
    return w


def test_masked_by_default(world, tmp_path):
    admin = make_staff(world.union, Role.UNION_ADMIN)
    out = tmp_path / "m.xlsx"
    assert members_export(actor=admin, org=world.union, out=out) == 2
    rows = read_xlsx(out)
    assert rows[0] == HEADERS
    body = repr(rows)
    for n in (21, 22):
        assert id_number_for(n) not in body and phone_for(n) not in body
    first = next(r for r in rows[1:] if r[9])
    assert first[9] == world.enterprise.uscc and first[12] == "是" and first[13] == "正常"
    entry = AuditEntry.objects.get(action="members.roster.export")
    assert entry.data == {"rows": 2, "revealed": False} and entry.actor_id == admin.pk


def test_reveal_needs_the_capability(world, tmp_path):
    out = tmp_path / "m.xlsx"
    auditor = make_staff(world.union, Role.AUDITOR)  # members.export, not members.reveal
    with pytest.raises(Refused) as exc:
        members_export(actor=auditor, org=world.union, out=out, reveal=True)
    assert exc.value.status == 403
    with pytest.raises(Refused):
        members_export(actor="gonghui export-members", org=world.union, out=out, reveal=True)
    assert not AuditEntry.objects.filter(action="members.roster.export").exists()

    with pytest.raises(NotFound):  # out of scope
        members_export(actor=make_staff(world.other, Role.UNION_ADMIN), org=world.union, out=out)
    with pytest.raises(NotFound):  # in scope, no export capability
        members_export(actor=make_staff(world.union, Role.REVIEWER), org=world.union, out=out)

    admin = make_staff(world.union, Role.UNION_ADMIN)
    members_export(actor=admin, org=world.union, out=out, reveal=True)
    rows = read_xlsx(out)[1:]
    assert {r[2] for r in rows} == {id_number_for(21), id_number_for(22)}
    assert AuditEntry.objects.get(action="members.roster.export").data == {
        "rows": 2,
        "revealed": True,
    }


def test_an_unmasked_export_imports_back_as_already_present(world, tmp_path):
    out = tmp_path / "full.xlsx"
    members_export(
        actor=make_staff(world.union, Role.UNION_ADMIN), org=world.union, out=out, reveal=True
    )
    before = sorted(Member.objects.values_list("pk", "updated_at"))
    result = roster_import(job=new_job(world.union, "full.xlsx"), path=out)
    assert (result.total, result.imported, result.present, result.errors) == (2, 0, 2, 0)
    assert sorted(Member.objects.values_list("pk", "updated_at")) == before
