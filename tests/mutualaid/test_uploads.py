"""Uploads: wrong type (a program renamed .pdf), oversized, and path-traversal names are
refused and store nothing; accepted files get random names under PRIVATE_ROOT; a document is
never reachable without permission (signed out, another member, staff of another subtree → 404)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _

from gonghui.core import uploads
from gonghui.core.errors import Refused
from gonghui.mutualaid.models import DOCUMENT_FOLDER, AidClaim, ClaimDocument
from gonghui.orgs.models import Role
from tests.factories import make_staff

from .factories import EXE, JPG, PDF, PNG, build_world, submit, upload
from .test_permissions import member_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    return build_world()


def stored_files(settings) -> list:
    root = settings.PRIVATE_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (EXE, "invoice.pdf", "document_type"),  # a program renamed .pdf
        (EXE, "setup.exe", "document_type"),
        (b"<html><script>", "page.pdf", "document_type"),
        (PNG, "scan.pdf", "document_type"),  # the name does not match the content
        (PDF, "invoice", "document_type"),  # no extension
        (b"", "empty.pdf", "document_empty"),
        (PDF, "../../etc/passwd.pdf", "document_name"),
        (PDF, "..\\..\\windows\\x.pdf", "document_name"),
        (PDF, "/tmp/x.pdf", "document_name"),
        (PDF, "a/b.pdf", "document_name"),
        (PDF, "x\x00.pdf", "document_name"),
        (PDF, "bad\nname.pdf", "document_name"),
    ],
)
def test_refused_uploads_store_nothing(world, settings, data, name, code):
    with pytest.raises(Refused) as exc:
        submit(world, uploads=[upload(data, name)])
    assert exc.value.code == code and exc.value.field == "documents"
    assert str(exc.value.message)
    assert AidClaim.objects.count() == 0 and stored_files(settings) == []


def test_oversized_is_refused(world, settings):
    big = PDF + b"0" * (uploads.MAX_BYTES + 1 - len(PDF))
    with pytest.raises(Refused) as exc:
        submit(world, uploads=[upload(big, "big.pdf")])
    assert exc.value.code == "document_too_large" and "10 MB" in str(exc.value.message)
    # the declared size is not trusted: a stream longer than declared is refused too
    lying = uploads.check_upload
    with pytest.raises(Refused):
        lying(name="big.pdf", stream=io.BytesIO(big), size=10)
    exactly = PDF + b"0" * (uploads.MAX_BYTES - len(PDF))
    ok = submit(world, uploads=[upload(exactly, "max.pdf")])
    assert ok.documents.get().size == uploads.MAX_BYTES
    assert len(stored_files(settings)) == 1


def test_accepted_types_and_clean_names(world, settings):
    claim = submit(
        world,
        uploads=[
            upload(PDF, "发票.PDF"),
            upload(JPG, "诊断 证明.jpeg"),
            upload(PNG, ".hidden.png"),
        ],
    )
    docs = list(claim.documents.order_by("id"))
    assert [d.content_type for d in docs] == ["application/pdf", "image/jpeg", "image/png"]
    assert [d.original_name for d in docs] == ["发票.PDF", "诊断 证明.jpeg", "hidden.png"]
    root = (settings.PRIVATE_ROOT / "mutualaid" / "documents").resolve()
    for d in docs:
        path = root / d.stored_name
        assert path.is_file() and path.parent == root
        assert d.original_name not in d.stored_name
    assert uploads.stored_path("../../etc/passwd", folder=DOCUMENT_FOLDER) is None


def test_h5_upload_refusals_show_the_reason(world, settings):
    c = member_client(world.member)
    form = {
        "category": world.inpatient.pk,
        "hospital": "玉环市人民医院",
        "invoice_no": "H5-1",
        "invoice_date": "2026-03-01",
        "amount": "1200.50",
    }
    r = c.post("/m/aid/claims/new", {**form, "documents": SimpleUploadedFile("a.pdf", EXE)})
    assert r.status_code == 400 and 'data-testid="error-documents"' in r.content.decode()
    with translation.override("zh-hans"):
        assert _("Only PDF, JPG and PNG files are accepted.") in r.content.decode()
    big = PDF + b"0" * uploads.MAX_BYTES
    r = c.post("/m/aid/claims/new", {**form, "documents": SimpleUploadedFile("b.pdf", big)})
    assert r.status_code == 400
    assert AidClaim.objects.count() == 0 and stored_files(settings) == []
    # Django keeps only the last part of a posted name; the file still gets a random name
    r = c.post(
        "/m/aid/claims/new",
        {**form, "documents": SimpleUploadedFile("../../../evil.pdf", PDF)},
    )
    assert r.status_code == 302
    doc = ClaimDocument.objects.get()
    assert doc.original_name == "evil.pdf"
    assert [p.name for p in stored_files(settings)] == [doc.stored_name]
    assert not (settings.PRIVATE_ROOT.parent / "evil.pdf").exists()


def test_a_document_is_never_reachable_without_permission(world):
    claim = submit(world)
    doc = claim.documents.get()
    other = build_world("乙")
    h5 = f"/m/aid/documents/{doc.pk}"
    console = f"/admin/mutualaid/aidclaim/{claim.pk}/document/{doc.pk}/"
    anonymous = Client()
    assert anonymous.get(h5).status_code == 404
    assert anonymous.get(console).status_code == 404
    assert member_client(world.members[1]).get(h5).status_code == 404
    assert member_client(other.member).get(h5).status_code == 404
    for staff in (
        make_staff(other.federation, Role.FEDERATION_ADMIN),
        make_staff(other.union, Role.REVIEWER),
        make_staff(world.union, Role.AUDITOR),  # in scope but no right to health data
        make_staff(world.union, Role.LAWYER),
    ):
        c = Client()
        c.force_login(staff)
        assert c.get(console).status_code == 404
        assert c.get(h5).status_code == 404
    # the owner and a reviewer of the union can open it
    assert member_client(world.member).get(h5).status_code == 200
    reviewer = Client()
    reviewer.force_login(make_staff(world.union, Role.REVIEWER))
    r = reviewer.get(console)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert "sandbox" in r["Content-Security-Policy"]
