"""Credentials and verification: issue, rotate, revoke; each refusal with its reason; lockout."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.codes import protocol, services
from gonghui.codes.models import PURPOSE_SEED, Credential
from gonghui.core import crypto
from gonghui.core.errors import NotFound, Refused
from gonghui.core.models import AuditEntry
from gonghui.members.models import Member
from gonghui.members.pii import open_phone
from gonghui.orgs.models import Role
from tests.factories import make_staff, org_root

from .conftest import code_at, now_utc

pytestmark = pytest.mark.django_db


def refused(reason, **kw):
    with pytest.raises(Refused) as exc:
        services.code_verify(**kw)
    assert exc.value.code == reason, exc.value.as_dict()
    assert str(exc.value.message)
    return exc.value


def test_issue_stores_the_seed_encrypted(member):
    credential, seed = services.credential_issue(member=member)
    assert len(seed) == 32
    assert protocol.CREDENTIAL_ID_MIN <= credential.pk <= protocol.CREDENTIAL_ID_MAX
    assert seed.hex() not in credential.seed_cipher
    assert crypto.decrypt(credential.seed_cipher, purpose=PURPOSE_SEED) == seed.hex()
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(credential.seed_cipher, purpose="members.phone")


def test_new_device_rotates(member, terminal):
    old, old_seed = services.credential_issue(member=member)
    new, new_seed = services.credential_issue(member=member)
    old.refresh_from_db()
    assert old.status == Credential.Status.REVOKED and old.revoked_reason == "rotated"
    assert new.status == Credential.Status.ACTIVE and new_seed != old_seed
    assert Credential.objects.filter(member=member, status="active").count() == 1
    refused("revoked", code=code_at(old, old_seed, now_utc()), terminal=terminal)
    cred, who = services.code_verify(code=code_at(new, new_seed, now_utc()), terminal=terminal)
    assert cred.pk == new.pk and who.pk == member.pk


def test_inactive_member_gets_no_credential(member):
    Member.objects.filter(pk=member.pk).update(status=Member.Status.LEFT)
    member.refresh_from_db()
    with pytest.raises(Refused) as exc:
        services.credential_issue(member=member)
    assert exc.value.status == 403


def test_code_works_exactly_once(issued, terminal):
    credential, seed = issued
    now = now_utc()
    code = code_at(credential, seed, now, seq=0)
    services.code_verify(code=code, terminal=terminal, now=now)
    refused("already_used", code=code, terminal=terminal, now=now)
    # the next sequence number in the same step works, an older one does not
    services.code_verify(code=code_at(credential, seed, now, seq=1), terminal=terminal, now=now)
    refused("already_used", code=code_at(credential, seed, now, seq=0), terminal=terminal, now=now)
    credential.refresh_from_db()
    assert credential.use_count == 2
    assert (credential.hw_step, credential.hw_seq) == (protocol.time_step(now.timestamp()), 1)


def test_previous_step_after_a_newer_use_is_already_used(issued, terminal):
    credential, seed = issued
    now = now_utc()
    services.code_verify(code=code_at(credential, seed, now), terminal=terminal, now=now)
    earlier = now - dt.timedelta(seconds=30)
    refused(
        "already_used", code=code_at(credential, seed, earlier, seq=5), terminal=terminal, now=now
    )


def test_clock_skew_of_one_step_is_accepted(issued, terminal):
    credential, seed = issued
    now = now_utc()
    services.code_verify(
        code=code_at(credential, seed, now - dt.timedelta(seconds=30)), terminal=terminal, now=now
    )
    services.code_verify(
        code=code_at(credential, seed, now + dt.timedelta(seconds=30)), terminal=terminal, now=now
    )


def test_expired(issued, terminal):
    credential, seed = issued
    now = now_utc()
    refused(
        "expired",
        code=code_at(credential, seed, now - dt.timedelta(seconds=90)),
        terminal=terminal,
        now=now,
    )
    refused(
        "expired",
        code=code_at(credential, seed, now + dt.timedelta(seconds=90)),
        terminal=terminal,
        now=now,
    )
    credential.refresh_from_db()
    assert credential.use_count == 0 and credential.fail_count == 0


def test_forged_mac_is_bad_signature_and_counted(issued, terminal):
    credential, seed = issued
    now = now_utc()
    code = code_at(credential, seed, now)
    forged = code[:13] + f"{(int(code[13:]) + 1) % 10**7:07d}"
    refused("bad_signature", code=forged, terminal=terminal, now=now)
    credential.refresh_from_db()
    assert credential.fail_count == 1 and credential.use_count == 0
    # the genuine code still works: a forgery did not use it up
    services.code_verify(code=code, terminal=terminal, now=now)


def test_code_from_another_seed_is_bad_signature(issued, terminal):
    credential, _seed = issued
    refused("bad_signature", code=code_at(credential, bytes(32), now_utc()), terminal=terminal)


def test_unknown_and_malformed(issued, terminal):
    credential, seed = issued
    code = code_at(credential, seed, now_utc())
    other_id = 100000000 if credential.pk != 100000000 else 100000001
    refused("unknown", code=f"{other_id}{code[9:]}", terminal=terminal)
    for bad in [
        "",
        "abc",
        code[:-1],
        code + "1",
        "0" + code[1:],
        code[:5] + "x" + code[6:],
        "9" * 500,
    ]:
        refused("malformed", code=bad, terminal=terminal)
    credential.refresh_from_db()
    assert credential.use_count == 0 and credential.fail_count == 0


def test_revoked_by_staff_is_audited(member, union, terminal):
    credential, seed = services.credential_issue(member=member)
    admin = make_staff(union, Role.UNION_ADMIN)
    services.credential_revoke(credential=credential, actor=admin)
    assert credential.status == "revoked" and credential.revoked_reason == "staff"
    assert (
        AuditEntry.objects.filter(
            action="codes.credential.revoke", object_id=str(credential.pk)
        ).count()
        == 1
    )
    refused("revoked", code=code_at(credential, seed, now_utc()), terminal=terminal)


def test_revoke_out_of_scope_is_404(issued):
    credential, _seed = issued
    stranger = make_staff(org_root(), Role.FEDERATION_ADMIN)
    with pytest.raises(NotFound):
        services.credential_revoke(credential=credential, actor=stranger)
    reviewer = make_staff(credential.member.org, Role.REVIEWER)
    with pytest.raises(NotFound):
        services.credential_revoke(credential=credential, actor=reviewer)
    credential.refresh_from_db()
    assert credential.status == "active"


def test_lockout_after_repeated_bad_codes_and_sms(
    issued, terminal, sms_outbox, django_capture_on_commit_callbacks
):
    credential, seed = issued
    now = now_utc()
    genuine = code_at(credential, seed, now)
    forged = genuine[:13] + f"{(int(genuine[13:]) + 1) % 10**7:07d}"
    threshold = services.lock_threshold()
    for _ in range(threshold - 1):
        refused("bad_signature", code=forged, terminal=terminal, now=now)
    assert sms_outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        refused("bad_signature", code=forged, terminal=terminal, now=now)
    credential.refresh_from_db()
    assert credential.locked_until == now + services.lock_duration(1)
    assert credential.lock_count == 1 and credential.fail_count == 0
    assert len(sms_outbox) == 1
    phone, message = sms_outbox[0]
    assert phone == open_phone(credential.member)
    assert message
    assert (
        AuditEntry.objects.filter(
            action="codes.credential.lock", object_id=str(credential.pk)
        ).count()
        == 1
    )
    # while locked, even the genuine code is refused as locked, and nothing more is counted
    err = refused("locked", code=genuine, terminal=terminal, now=now)
    assert err.status == 423
    refused("locked", code=forged, terminal=terminal, now=now)
    credential.refresh_from_db()
    assert credential.fail_count == 0 and credential.use_count == 0 and len(sms_outbox) == 1
    # after the lock, a fresh genuine code works
    later = now + services.lock_duration(1) + dt.timedelta(seconds=1)
    services.code_verify(code=code_at(credential, seed, later), terminal=terminal, now=later)


def test_second_lockout_lasts_longer(issued, terminal):
    credential, _seed = issued
    now = now_utc()
    forged = code_at(credential, bytes(32), now)
    for _ in range(services.lock_threshold()):
        refused("bad_signature", code=forged, terminal=terminal, now=now)
    later = now + services.lock_duration(1) + dt.timedelta(seconds=1)
    forged = code_at(credential, bytes(32), later)
    for _ in range(services.lock_threshold()):
        refused("bad_signature", code=forged, terminal=terminal, now=later)
    credential.refresh_from_db()
    assert credential.lock_count == 2
    assert credential.locked_until == later + services.lock_duration(2)
    assert services.lock_duration(2) == 2 * services.lock_duration(1)
    assert services.lock_duration(50) == dt.timedelta(hours=24)


def test_fail_window_restarts(issued, terminal):
    credential, _seed = issued
    now = now_utc()
    refused("bad_signature", code=code_at(credential, bytes(32), now), terminal=terminal, now=now)
    later = now + services.fail_window() + dt.timedelta(seconds=1)
    refused(
        "bad_signature", code=code_at(credential, bytes(32), later), terminal=terminal, now=later
    )
    credential.refresh_from_db()
    assert credential.fail_count == 1 and credential.fail_window_start == later


def test_unlock_by_staff(issued, terminal, union):
    credential, seed = issued
    now = now_utc()
    for _ in range(services.lock_threshold()):
        refused(
            "bad_signature", code=code_at(credential, bytes(32), now), terminal=terminal, now=now
        )
    admin = make_staff(union, Role.UNION_ADMIN)
    services.credential_unlock(credential=credential, actor=admin)
    assert credential.locked_until is None and credential.lock_count == 0
    assert AuditEntry.objects.filter(action="codes.credential.unlock").count() == 1
    services.code_verify(code=code_at(credential, seed, now), terminal=terminal, now=now)


def test_inactive_member_code_refused(issued, terminal):
    credential, seed = issued
    Member.objects.filter(pk=credential.member_id).update(status=Member.Status.SUSPENDED)
    refused("member_inactive", code=code_at(credential, seed, now_utc()), terminal=terminal)
