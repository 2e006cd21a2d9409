"""Evidence documents of hardship files: type by content, size cap, safe names, private storage,
served only to those who may open the file (else 404), each opening audited."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gonghui.assistance import services
from gonghui.assistance.models import HardshipDocument
from gonghui.core import uploads
from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff

from .factories import apply, make_world

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + b"x" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    return make_world(funds_fen=0)


@pytest.fixture
def boss(world):
    return make_staff(world.fed, Role.FEDERATION_ADMIN)


@pytest.fixture
def file(world):
    return apply(world.member)


def stored_files(settings) -> list:
    root = settings.PRIVATE_ROOT / "assistance" / "documents"
    return sorted(root.iterdir()) if root.exists() else []


def test_a_good_document_is_stored_privately(world, boss, file, settings):
    doc = services.document_add(file=file, name="收入证明.pdf", stream=io.BytesIO(PDF), actor=boss)
    assert (doc.name, doc.content_type, doc.size) == ("收入证明.pdf", "application/pdf", len(PDF))
    files = stored_files(settings)
    assert [f.name for f in files] == [doc.stored_name]
    assert "收入证明" not in doc.stored_name
    # encrypted at rest (issue #10), the plain bytes only through core.uploads
    assert files[0].read_bytes() != PDF and b"%PDF" not in files[0].read_bytes()
    assert uploads.read_stored(doc.stored_name, folder="assistance/documents") == PDF
    assert AuditEntry.objects.filter(action="assistance.document.add").count() == 1


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("report.pdf", b"MZ\x90\x00 a program", "document_type"),
        ("photo.pdf", PNG, "document_type"),  # the name does not match the content
        ("notes.txt", b"hello", "document_type"),
        ("../../etc/passwd.pdf", PDF, "document_name"),
        ("..\\boot.pdf", PDF, "document_name"),
        ("a/b.pdf", PDF, "document_name"),
        ("bad\x07name.pdf", PDF, "document_name"),
        ("noextension", PDF, "document_type"),
        ("empty.pdf", b"", "document_empty"),
        ("big.pdf", b"%PDF-" + b"0" * (uploads.MAX_BYTES + 1), "document_too_large"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(boss, file, settings, name, data, code):
    with pytest.raises(Refused) as exc:
        services.document_add(file=file, name=name, stream=io.BytesIO(data), actor=boss)
    assert exc.value.code == code and str(exc.value.message)
    assert not HardshipDocument.objects.exists()
    assert stored_files(settings) == []


def test_a_failed_record_removes_the_stored_bytes(boss, file, settings, monkeypatch):
    monkeypatch.setattr(services.documents, "MAX_DOCUMENTS", 0)  # where document_add reads it
    with pytest.raises(Refused) as exc:
        services.document_add(file=file, name="a.png", stream=io.BytesIO(PNG), actor=boss)
    assert exc.value.code == "too_many_documents"
    assert stored_files(settings) == []


def test_stored_path_never_leaves_its_folder(settings):
    secret = settings.PRIVATE_ROOT / "other.txt"
    uploads.folder_path("assistance/documents")
    secret.write_text("x")
    assert uploads.stored_path("../../other.txt", folder="assistance/documents") is None
    assert uploads.stored_path(str(secret), folder="assistance/documents") is None
    with pytest.raises(ValueError):
        uploads.folder_path("../etc")


@pytest.mark.parametrize("role", Role.values)
def test_a_document_is_served_only_to_who_may_open_the_file(world, boss, file, role):
    doc = services.document_add(file=file, name="病历.png", stream=io.BytesIO(PNG), actor=boss)
    url = f"/admin/assistance/hardshipfile/{file.pk}/document/{doc.pk}/"
    user = make_staff(world.union, role)
    c = Client()
    c.force_login(user)
    r = c.get(url)
    audited = AuditEntry.objects.filter(action="assistance.document.view", object_id=str(doc.pk))
    if role in (Role.FEDERATION_ADMIN, Role.UNION_ADMIN):
        assert r.status_code == 200
        assert b"".join(r.streaming_content) == PNG
        assert r["Content-Type"] == "image/png" and "no-store" in r["Cache-Control"]
        assert r["X-Content-Type-Options"] == "nosniff" and "attachment" in r["Content-Disposition"]
        assert audited.get().actor_id == user.pk
    else:
        assert r.status_code == 404 and not audited.exists()
    # never under the public static or media URLs, never without sign-in
    assert Client().get(url).status_code in (302, 404)
    assert Client().get(f"/static/{doc.stored_name}").status_code == 404
    assert Client().get(f"/media/{doc.stored_name}").status_code == 404


def test_assigned_case_worker_gets_it_unassigned_does_not(world, boss, file):
    doc = services.document_add(file=file, name="a.png", stream=io.BytesIO(PNG), actor=boss)
    worker = make_staff(world.union, Role.CASE_WORKER)
    other = make_staff(world.union, Role.CASE_WORKER)
    services.file_assign(file=file, case_worker=worker, actor=boss)
    url = f"/admin/assistance/hardshipfile/{file.pk}/document/{doc.pk}/"
    for user, status in ((worker, 200), (other, 404)):
        c = Client()
        c.force_login(user)
        assert c.get(url).status_code == status
    # a document id under another file's URL is 404 too
    second = apply(make_member(world.union))
    c = Client()
    c.force_login(boss)
    assert (
        c.get(f"/admin/assistance/hardshipfile/{second.pk}/document/{doc.pk}/").status_code == 404
    )


def test_console_upload(world, boss, file, settings):
    c = Client()
    c.force_login(boss)
    url = f"/admin/assistance/hardshipfile/{file.pk}/act/"
    bad = c.post(
        url,
        {"form": "document", "document": SimpleUploadedFile("x.pdf", b"not a pdf")},
        follow=True,
    )
    assert bad.status_code == 200 and not HardshipDocument.objects.exists()
    ok = c.post(url, {"form": "document", "document": SimpleUploadedFile("证明.pdf", PDF)})
    assert ok.status_code == 302
    doc = HardshipDocument.objects.get()
    page = c.get(f"/admin/assistance/hardshipfile/{file.pk}/change/").content.decode()
    assert 'data-testid="document-link"' in page and doc.name in page
    api = c.get(f"/api/v1/assistance/files/{file.pk}").json()
    assert [d["name"] for d in api["documents"]] == ["证明.pdf"]
