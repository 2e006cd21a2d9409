# ruff: noqa: S608 - SQL built from model metadata (quoted names), values as parameters
"""Mutual-aid claims at rest: the hospital, the reviewer's reason text and the documents' names
are ciphertext in the database; documents are ciphertext on disk (mode 0600) through
core.uploads, and are served decrypted to those allowed."""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client

from gonghui.core import uploads
from gonghui.core.models import AuditEntry
from gonghui.mutualaid import services
from gonghui.mutualaid.models import DOCUMENT_FOLDER, AidClaim, ClaimDocument
from gonghui.orgs.models import Role
from tests.factories import make_staff
from tests.sealing import files_under, mode, raw_column, raw_text

from .factories import PDF, build_world, upload

pytestmark = pytest.mark.django_db

HOSPITAL = "台州市肿瘤医院"
DIAGNOSIS = "化疗记录不全，需补充出院小结"


@pytest.fixture
def world():
    return build_world()


def test_claim_text_is_ciphertext_in_the_database(world):
    claim = _submit(world)
    services.claim_reject(claim=claim, actor=None, reason="documents_missing", text=DIAGNOSIS)
    dump = raw_text(AidClaim) + raw_text(ClaimDocument)
    for secret in (HOSPITAL, DIAGNOSIS, "乳腺癌诊断"):
        assert secret not in dump, secret
    assert raw_column(AidClaim, "hospital")[0].startswith("v1.")
    claim = AidClaim.objects.get(pk=claim.pk)
    assert (claim.hospital, claim.reject_text) == (HOSPITAL, DIAGNOSIS)
    assert claim.documents.get().original_name == "乳腺癌诊断.pdf"
    # Queryable and summed things stay plain: the invoice number (duplicates), status, amount.
    assert "FP-778899" in dump and "rejected" in dump and "2000000" in dump


def _submit(world):
    from .factories import INVOICE_DATE

    return services.claim_submit(
        member=world.member,
        category=world.inpatient,
        hospital=HOSPITAL,
        invoice_no="FP-778899",
        invoice_date=INVOICE_DATE,
        amount_fen=2_000_000,
        uploads=[upload(PDF, "乳腺癌诊断.pdf")],
        actor=None,
    )


def test_documents_are_ciphertext_on_disk_with_mode_0600_and_served_decrypted(world, settings):
    claim = _submit(world)
    doc = claim.documents.get()
    (path,) = files_under(settings.PRIVATE_ROOT)
    assert path.parent == uploads.folder_path(DOCUMENT_FOLDER) and path.name == doc.stored_name
    raw = path.read_bytes()
    assert PDF not in raw and b"%PDF" not in raw and raw.startswith(b"v1.")
    assert mode(path) == 0o600
    c = Client()
    c.force_login(make_staff(world.union, Role.REVIEWER))
    r = c.get(f"/admin/mutualaid/aidclaim/{claim.pk}/document/{doc.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    # The audit log of the opening does not repeat the sealed name (nor the hospital).
    assert AuditEntry.objects.filter(action="mutualaid.document.open").exists()
    audit = raw_text(AuditEntry)
    assert "乳腺癌诊断" not in audit and HOSPITAL not in audit


def test_the_console_shows_the_hospital_to_a_reviewer(world):
    claim = _submit(world)
    c = Client()
    c.force_login(make_staff(world.union, Role.REVIEWER))
    page = c.get(f"/admin/mutualaid/aidclaim/{claim.pk}/change/").content.decode()
    assert HOSPITAL in page and "乳腺癌诊断.pdf" in page


def _execute(sql, params=None):
    with connection.cursor() as cur:
        cur.execute(sql, params)


# Not "a.pdf": a stored name is random hex + ".pdf", so it ends in "a.pdf" one time in 16.
OLD_NAME = "住院发票.pdf"


def test_the_data_migration_seals_rows_and_files_written_before(world, settings):
    claim = _submit(world)
    doc = claim.documents.get()
    path = uploads.stored_path(doc.stored_name, folder=DOCUMENT_FOLDER)
    path.write_bytes(PDF)  # a file stored before uploads were encrypted
    q = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {q('mutualaid_aidclaim')} SET {q('hospital')} = %s", [HOSPITAL])
        cur.execute(
            f"UPDATE {q('mutualaid_claimdocument')} SET {q('original_name')} = %s", [OLD_NAME]
        )
    migration = import_module("gonghui.mutualaid.migrations.0003_sealed_claim_text")
    editor = SimpleNamespace(connection=connection, execute=_execute)
    for op in migration.Migration.operations:
        if hasattr(op, "code"):
            op.code(apps, editor)
    assert HOSPITAL not in raw_text(AidClaim) and OLD_NAME not in raw_text(ClaimDocument)
    assert PDF not in path.read_bytes() and mode(path) == 0o600
    assert AidClaim.objects.get().hospital == HOSPITAL
    assert uploads.check_upload  # the one upload mechanism the services use
    assert uploads.read_stored(doc.stored_name, folder=DOCUMENT_FOLDER) == PDF
