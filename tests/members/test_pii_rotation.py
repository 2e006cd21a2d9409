"""`gonghui rotate-pii-key`: re-encrypt members' and enrolments' personal data under the new key."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gonghui.core import crypto
from gonghui.core.models import AuditEntry
from gonghui.members import pii
from gonghui.members.models import Enrolment, Member
from tests.factories import id_number_for, make_member, org_child, org_root, phone_for

K1 = "k1:" + base64.b64encode(b"\x11" * 32).decode()
K2 = "k2:" + base64.b64encode(b"\x22" * 32).decode()

pytestmark = pytest.mark.django_db


def _tokens(model):
    return [tok for row in model.objects.all() for tok in (row.id_number_cipher, row.phone_cipher)]


def _plain(model):
    return {row.pk: (pii.open_id_number(row), pii.open_phone(row)) for row in model.objects.all()}


@pytest.fixture
def data_under_k1(settings):
    settings.GONGHUI_PII_KEYS = K1
    fed = org_root()
    union = org_child(fed)
    for n in range(7):
        make_member(union, n=9100 + n)
    for n in range(3):
        sealed = pii.seal(id_number=id_number_for(9200 + n), phone=phone_for(9200 + n))
        Enrolment.objects.create(org=union, name=f"申请人{n}", **sealed.as_fields())
    assert all(crypto.token_key_id(t) == "k1" for t in _tokens(Member) + _tokens(Enrolment))
    return settings


def run(*args: str) -> str:
    out = StringIO()
    call_command("rotate_pii_key", *args, stdout=out)
    return out.getvalue()


def test_rotation_re_encrypts_everything_then_old_key_can_go(data_under_k1):
    settings = data_under_k1
    before_members, before_enrolments = _plain(Member), _plain(Enrolment)
    index_before = list(Member.objects.values_list("id_number_index", "phone_index").order_by("pk"))

    settings.GONGHUI_PII_KEYS = f"{K2},{K1}"
    # New writes already use k2, old tokens still open.
    assert crypto.token_key_id(crypto.encrypt("x", purpose="p")) == "k2"
    assert _plain(Member) == before_members

    out = run("--batch-size", "3")
    # A progress line per batch: 7 members in batches of 3, 3 enrolments in one batch.
    assert "members.member: 3/7" in out and "members.member: 6/7" in out
    assert "members.member: 7/7 (100%)" in out
    assert "members.enrolment: 3/3 (100%)" in out
    assert all(crypto.token_key_id(t) == "k2" for t in _tokens(Member) + _tokens(Enrolment))

    entries = AuditEntry.objects.filter(action="members.pii.rotate_key")
    assert entries.count() == 1
    assert entries.get().data == {
        "key_id": "k2",
        "rows": {"members.member": 7, "members.enrolment": 3},
    }
    assert entries.get().actor_label == "gonghui rotate-pii-key"

    # Blind indexes do not depend on the PII keys and are untouched.
    assert (
        list(Member.objects.values_list("id_number_index", "phone_index").order_by("pk"))
        == index_before
    )

    # k1 can now be removed: everything still opens with k2 alone.
    settings.GONGHUI_PII_KEYS = K2
    assert _plain(Member) == before_members
    assert _plain(Enrolment) == before_enrolments


def test_rotation_is_idempotent(data_under_k1):
    settings = data_under_k1
    settings.GONGHUI_PII_KEYS = f"{K2},{K1}"
    run()
    tokens = _tokens(Member) + _tokens(Enrolment)
    out = run()
    assert _tokens(Member) + _tokens(Enrolment) == tokens  # nothing rewritten
    assert "members.member=0" in out and "members.enrolment=0" in out
    # One audit entry per run.
    assert AuditEntry.objects.filter(action="members.pii.rotate_key").count() == 2
    assert AuditEntry.objects.filter(action="members.pii.rotate_key").first().data["rows"] == {
        "members.member": 0,
        "members.enrolment": 0,
    }


def test_partly_rotated_rows_are_finished(data_under_k1):
    settings = data_under_k1
    settings.GONGHUI_PII_KEYS = f"{K2},{K1}"
    m = Member.objects.order_by("pk").first()
    phone_k2 = crypto.encrypt(pii.open_phone(m), purpose="members.phone")
    Member.objects.filter(pk=m.pk).update(phone_cipher=phone_k2)
    run()
    m.refresh_from_db()
    assert m.phone_cipher == phone_k2  # already under k2: left alone
    assert crypto.token_key_id(m.id_number_cipher) == "k2"


def test_dry_run_changes_nothing(data_under_k1):
    settings = data_under_k1
    settings.GONGHUI_PII_KEYS = f"{K2},{K1}"
    tokens = _tokens(Member) + _tokens(Enrolment)
    out = run("--dry-run")
    assert "members.member: 7 rows would be re-encrypted" in out
    assert "members.enrolment: 3 rows would be re-encrypted" in out
    assert _tokens(Member) + _tokens(Enrolment) == tokens
    assert not AuditEntry.objects.filter(action="members.pii.rotate_key").exists()


def test_missing_old_key_stops_with_a_clear_error(data_under_k1):
    settings = data_under_k1
    settings.GONGHUI_PII_KEYS = K2  # k1 dropped too early
    tokens = _tokens(Member)
    with pytest.raises(CommandError, match="GONGHUI_PII_KEYS"):
        run()
    assert _tokens(Member) == tokens
    assert not AuditEntry.objects.filter(action="members.pii.rotate_key").exists()


def test_bad_batch_size(data_under_k1):
    with pytest.raises(CommandError):
        run("--batch-size", "0")


def test_console_script_name(data_under_k1, capsys):
    """`gonghui rotate-pii-key` maps to this command."""
    import sys

    from gonghui.__main__ import main

    settings = data_under_k1
    settings.GONGHUI_PII_KEYS = f"{K2},{K1}"
    argv = sys.argv
    sys.argv = ["gonghui", "rotate-pii-key", "--dry-run"]
    try:
        main()
    finally:
        sys.argv = argv
    assert "would be re-encrypted" in capsys.readouterr().out


def test_birth_dates_are_re_encrypted_too_and_nothing_is_left(data_under_k1):
    """The sealed birth date (issue 10, item 3) rotates with the ID number and the phone."""
    settings = data_under_k1
    births = {m.pk: m.birth_date for m in Member.objects.all()}
    assert all(crypto.token_key_id(m.birth_date_cipher) == "k1" for m in Member.objects.all())
    settings.GONGHUI_PII_KEYS = f"{K2},{K1}"
    out = run("--dry-run")
    assert "members.member: 7 rows would be re-encrypted" in out
    run()
    assert all(crypto.token_key_id(m.birth_date_cipher) == "k2" for m in Member.objects.all())
    out = run("--dry-run")
    assert "members.member: 0 rows would be re-encrypted" in out
    assert "members.enrolment: 0 rows would be re-encrypted" in out
    settings.GONGHUI_PII_KEYS = K2
    assert {m.pk: m.birth_date for m in Member.objects.all()} == births


def test_a_member_with_only_its_birth_date_under_the_old_key_is_found(data_under_k1):
    settings = data_under_k1
    settings.GONGHUI_PII_KEYS = f"{K2},{K1}"
    run()
    m = Member.objects.order_by("pk").first()
    birth = m.birth_date
    settings.GONGHUI_PII_KEYS = f"{K1},{K2}"
    old = crypto.encrypt(birth.isoformat(), purpose="members.birth_date")
    Member.objects.filter(pk=m.pk).update(birth_date_cipher=old)
    settings.GONGHUI_PII_KEYS = f"{K2},{K1}"
    assert "members.member: 1 rows would be re-encrypted" in run("--dry-run")
    run()
    m.refresh_from_db()
    assert crypto.token_key_id(m.birth_date_cipher) == "k2" and m.birth_date == birth
