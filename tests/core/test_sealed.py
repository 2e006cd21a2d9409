"""core.sealed and encrypted core.uploads: tokens in columns, ciphertext files with mode 0600,
purpose binding, no lookups on sealed columns, the rotation registry."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.exceptions import FieldError

from gonghui.core import crypto, sealed, uploads
from tests.sealing import mode

K1 = "k1:" + base64.b64encode(b"\x01" * 32).decode()
K2 = "k2:" + base64.b64encode(b"\x02" * 32).decode()
PDF = b"%PDF-1.7\n" + "病历：乳腺癌 II 期".encode() + b"x" * 100


@pytest.fixture
def keys(settings, tmp_path):
    settings.GONGHUI_PII_KEYS = K1
    settings.PRIVATE_ROOT = tmp_path / "private"
    return settings


def test_bytes_round_trip_and_purpose_binding(keys):
    blob = crypto.encrypt_bytes(PDF, purpose="uploads.a/x.pdf")
    assert blob.startswith(b"v1.k1.") and PDF not in blob and b"%PDF" not in blob
    assert crypto.blob_key_id(blob) == "k1" and crypto.blob_key_id(PDF) is None
    assert crypto.decrypt_bytes(blob, purpose="uploads.a/x.pdf") == PDF
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(blob, purpose="uploads.a/y.pdf")  # another file's name
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(PDF, purpose="uploads.a/x.pdf")  # plain bytes are not accepted
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(bytes(tampered), purpose="uploads.a/x.pdf")


def test_a_stored_upload_is_ciphertext_with_mode_0600_and_reads_back(keys):
    checked = uploads.check_upload(name="诊断.pdf", stream=io.BytesIO(PDF))
    name = uploads.store(checked, folder="test/docs")
    path = uploads.stored_path(name, folder="test/docs")
    assert path is not None and mode(path) == 0o600
    raw = path.read_bytes()
    assert PDF not in raw and "乳腺癌".encode() not in raw and not raw.startswith(b"%PDF")
    assert raw.startswith(b"v1.k1.")
    assert uploads.read_stored(name, folder="test/docs") == PDF
    response = uploads.file_response(path, content_type="application/pdf", download_name="a.pdf")
    assert b"".join(response.streaming_content) == PDF
    # A file copied over another one's name does not decrypt (its name is associated data).
    other = uploads.store(checked, folder="test/docs")
    uploads.stored_path(other, folder="test/docs").write_bytes(raw)
    with pytest.raises(crypto.DecryptionError):
        uploads.read_stored(other, folder="test/docs")


def test_reseal_file_rotates_and_seals_plain_legacy_files(keys):
    checked = uploads.check_upload(name="a.pdf", stream=io.BytesIO(PDF))
    name = uploads.store(checked, folder="test/docs")
    path = uploads.stored_path(name, folder="test/docs")
    purpose = uploads.file_purpose("test/docs", name)
    keys.GONGHUI_PII_KEYS = f"{K2},{K1}"
    assert sealed.reseal_file(path, purpose=purpose) is True
    assert path.read_bytes().startswith(b"v1.k2.") and mode(path) == 0o600
    assert sealed.reseal_file(path, purpose=purpose) is False  # already current
    keys.GONGHUI_PII_KEYS = K2
    assert uploads.read_stored(name, folder="test/docs") == PDF
    # a plain file left from before sealing is encrypted in place
    path.write_bytes(PDF)
    assert sealed.reseal_file(path, purpose=purpose) is True
    assert uploads.read_stored(name, folder="test/docs") == PDF
    assert sorted(p.name for p in path.parent.iterdir()) == [name]  # no temporary file left


@pytest.mark.django_db
def test_sealed_columns_refuse_lookups_other_than_isnull(keys):
    from gonghui.assistance.models import HardshipFile

    assert HardshipFile.objects.filter(health_note__isnull=True).count() == 0
    for lookup in ("health_note", "health_note__icontains", "health_note__startswith"):
        with pytest.raises(FieldError):
            HardshipFile.objects.filter(**{lookup: "癌"}).count()


def test_every_model_with_sealed_fields_is_registered_for_rotation():
    from django.apps import apps

    registered = {entry.model for entry in sealed.registered_columns()}
    with_sealed = {
        m for m in apps.get_models() if any(sealed.is_sealed(f) for f in m._meta.get_fields())
    }
    assert with_sealed and with_sealed <= registered
    for entry in sealed.registered_columns():
        fields = {f.column for f in entry.model._meta.get_fields() if sealed.is_sealed(f)}
        assert fields <= {c for c, _p in entry.columns}
    folders = {(e.model._meta.label, e.folder) for e in sealed.registered_files()}
    assert folders == {
        ("assistance.HardshipDocument", "assistance/documents"),
        ("mutualaid.ClaimDocument", "mutualaid/documents"),
    }
