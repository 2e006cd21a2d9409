"""`gonghui rotate-pii-key` walks the core.sealed registry: members' PII, hardship files, rights
cases and their append-only timeline, mutual-aid claims, and the encrypted files of hardship and
claim documents are re-encrypted under the new key, and it reports 0 left."""

from __future__ import annotations

import base64
import io
from io import StringIO

import pytest
from django.core.management import call_command

from gonghui.assistance import services as assistance
from gonghui.core import crypto, sealed
from gonghui.core.models import AuditEntry
from gonghui.orgs.models import Role
from gonghui.rights import services as rights
from tests.assistance.factories import apply
from tests.assistance.factories import make_world as assistance_world
from tests.factories import make_member, make_staff
from tests.mutualaid.factories import build_world, submit
from tests.rights.factories import intake
from tests.sealing import files_under, mode, raw_column

K1 = "k1:" + base64.b64encode(b"\x11" * 32).decode()
K2 = "k2:" + base64.b64encode(b"\x22" * 32).decode()
PDF = b"%PDF-1.7\n" + b"y" * 300

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_under_k1(settings, tmp_path):
    settings.GONGHUI_PII_KEYS = K1
    settings.PRIVATE_ROOT = tmp_path / "private"
    world = assistance_world()
    boss = make_staff(world.fed, Role.FEDERATION_ADMIN)
    f = apply(world.member, health_note="糖尿病", evidence_note="病历已核")
    assistance.file_transition(file=f, action="verify", actor=boss, note="已核")
    assistance.document_add(file=f, name="病历.pdf", stream=io.BytesIO(PDF), actor=boss)
    case = intake(make_member(world.union), description="欠薪三个月").case
    rights.case_note(case=case, text="律师意见", actor=boss)
    intake(None, anonymous=True, contact_phone="13912345678", description="匿名投诉欠薪")
    aid = build_world("乙")
    submit(aid)
    assert _tokens_by_key() == {"k1"}
    assert {p.read_bytes()[:6] for p in files_under(settings.PRIVATE_ROOT)} == {b"v1.k1."}
    return settings


def _tokens_by_key() -> set[str]:
    kids = set()
    for entry in sealed.registered_columns():
        for column, _purpose in entry.columns:
            field = next(f for f in entry.model._meta.concrete_fields if f.column == column)
            for token in raw_column(entry.model, field.name):
                if token not in (None, ""):
                    kids.add(crypto.token_key_id(token))
    return kids


def _plain_snapshot() -> list:
    out = []
    for entry in sealed.registered_columns():
        names = [
            f.name
            for f in entry.model._meta.concrete_fields
            if f.column in {c for c, _p in entry.columns} and sealed.is_sealed(f)
        ]
        if names:
            out.append(sorted(entry.model._default_manager.values_list("pk", *names)))
    return out


def run(*args: str) -> str:
    out = StringIO()
    call_command("rotate_pii_key", *args, stdout=out)
    return out.getvalue()


def test_rotation_reencrypts_every_sealed_column_and_file_and_reports_zero_left(data_under_k1):
    settings = data_under_k1
    plain = _plain_snapshot()
    settings.GONGHUI_PII_KEYS = f"{K2},{K1}"
    dry = run("--dry-run")
    assert "assistance.hardshipfile: 1 rows would be re-encrypted" in dry
    assert "rights.caseentry: 3 rows would be re-encrypted" in dry
    assert "assistance.hardshipdocument (files): 1 files would be re-encrypted" in dry
    assert "mutualaid.claimdocument (files): 1 files would be re-encrypted" in dry

    out = run("--batch-size", "2")
    assert "assistance.hardshipfile: 1/1 (100%)" in out
    assert "rights.rightscase: 2/2 (100%)" in out
    assert "mutualaid.aidclaim: 1/1 (100%)" in out
    assert "mutualaid.claimdocument (files): 1/1 (100%)" in out
    assert "0 left under older keys" in out
    assert _tokens_by_key() == {"k2"}
    files = files_under(settings.PRIVATE_ROOT)
    assert len(files) == 2
    assert all(p.read_bytes()[:6] == b"v1.k2." and mode(p) == 0o600 for p in files)
    rows = AuditEntry.objects.get(action="members.pii.rotate_key").data["rows"]
    assert rows["assistance.hardshipdocument (files)"] == 1 and rows["rights.caseentry"] == 3

    # The old key can go: everything opens with k2 alone, documents included.
    settings.GONGHUI_PII_KEYS = K2
    assert _plain_snapshot() == plain
    from gonghui.assistance.models import HardshipDocument
    from gonghui.core import uploads

    doc = HardshipDocument.objects.get()
    assert uploads.read_stored(doc.stored_name, folder="assistance/documents") == PDF
    again = run()
    assert "0 left under older keys" in again and "assistance.hardshipfile=0" in again
