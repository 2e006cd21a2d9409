"""Applications: submit once, the state machine (every legal move, every illegal one refused),
who may move what, intention and hire times, steps with who/when, service events."""

from __future__ import annotations

import itertools

import pytest

from gonghui.core.errors import NotFound, Refused
from gonghui.core.models import AuditEntry
from gonghui.jobs import services
from gonghui.jobs.models import Application, ApplicationStep, Posting
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff, org_child, org_root

from .factories import make_employer_staff, make_enterprise, make_posting

pytestmark = pytest.mark.django_db
S = Application.Status


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    root = org_root()
    union = org_child(root)
    ent = make_enterprise(union)
    posting = make_posting(ent)
    member = make_member(union)
    employer = make_employer_staff(ent)
    return root, union, ent, posting, member, employer


def test_submit_once_with_event_and_step(world):
    _root, _union, ent, posting, member, _employer = world
    a = services.application_submit(member=member, posting=posting)
    assert (a.status, a.source, a.enterprise_id, a.org_id) == (
        S.SUBMITTED,
        "online",
        ent.pk,
        posting.org_id,
    )
    ev = ServiceEvent.objects.get(member=member, kind="jobs.application")
    assert ev.source_id == str(a.pk)
    step = ApplicationStep.objects.get(application=a)
    assert (step.from_status, step.to_status, step.by_member) == ("", S.SUBMITTED, True)
    with pytest.raises(Refused) as exc:
        services.application_submit(member=member, posting=posting)
    assert exc.value.code == "already_applied"
    assert Application.objects.count() == 1
    assert ServiceEvent.objects.filter(kind="jobs.application").count() == 1


@pytest.mark.parametrize("status", [Posting.Status.DRAFT, Posting.Status.CLOSED])
def test_cannot_apply_to_a_posting_that_is_not_open(world, status):
    _root, _union, ent, _posting, member, _employer = world
    p = make_posting(ent, status=status)
    with pytest.raises(Refused) as exc:
        services.application_submit(member=member, posting=p)
    assert exc.value.code == "posting_closed"
    assert not Application.objects.exists()


def _at(world, status):
    """An application brought to ``status`` along the legal path."""
    _root, _union, _ent, posting, member, employer = world
    a = services.application_submit(member=member, posting=posting)
    path = {
        S.SUBMITTED: [],
        S.VIEWED: [S.VIEWED],
        S.INTERVIEW: [S.VIEWED, S.INTERVIEW],
        S.OFFERED: [S.VIEWED, S.INTERVIEW, S.OFFERED],
        S.HIRED: [S.VIEWED, S.INTERVIEW, S.OFFERED, S.HIRED],
        S.REJECTED: [S.REJECTED],
        S.WITHDRAWN: [],
    }[status]
    for to in path:
        a = services.application_transition(application=a, to_status=to, actor=employer)
    if status == S.WITHDRAWN:
        a = services.application_transition(application=a, to_status=S.WITHDRAWN, member=member)
    assert a.status == status
    return a


LEGAL = {
    (S.SUBMITTED, S.VIEWED),
    (S.VIEWED, S.INTERVIEW),
    (S.INTERVIEW, S.OFFERED),
    (S.OFFERED, S.HIRED),
    *((s, S.REJECTED) for s in (S.SUBMITTED, S.VIEWED, S.INTERVIEW, S.OFFERED)),
    *((s, S.WITHDRAWN) for s in (S.SUBMITTED, S.VIEWED, S.INTERVIEW, S.OFFERED)),
}
ALL_PAIRS = list(itertools.product(S.values, S.values))


def test_the_table_is_the_one_in_services():
    table = {(a, b) for a, nexts in services.TRANSITIONS.items() for b in nexts}
    assert table == LEGAL


@pytest.mark.parametrize(("src", "dst"), [p for p in ALL_PAIRS if p not in LEGAL])
def test_every_illegal_transition_is_refused(world, src, dst):
    _root, _union, _ent, _posting, member, employer = world
    a = _at(world, src)
    steps = ApplicationStep.objects.filter(application=a).count()
    kwargs = {"member": member} if dst == S.WITHDRAWN else {"actor": employer}
    with pytest.raises(Refused) as exc:
        services.application_transition(application=a, to_status=dst, **kwargs)
    assert exc.value.code == "illegal_transition" and exc.value.status == 409
    a.refresh_from_db()
    assert a.status == src
    assert ApplicationStep.objects.filter(application=a).count() == steps


@pytest.mark.parametrize(("src", "dst"), sorted(LEGAL))
def test_every_legal_transition_records_who_and_when(world, src, dst):
    _root, _union, _ent, _posting, member, employer = world
    a = _at(world, src)
    kwargs = {"member": member} if dst == S.WITHDRAWN else {"actor": employer}
    a = services.application_transition(application=a, to_status=dst, note="ok", **kwargs)
    a.refresh_from_db()
    assert a.status == dst
    step = ApplicationStep.objects.filter(application=a).order_by("-pk").first()
    assert (step.from_status, step.to_status, step.note) == (src, dst, "ok")
    if dst == S.WITHDRAWN:
        assert step.by_member and step.actor is None
    else:
        assert step.actor == employer and not step.by_member
        assert AuditEntry.objects.filter(action="jobs.application.status").exists()
    if dst in (S.OFFERED, S.HIRED):
        assert a.intention_at is not None
    if dst == S.HIRED:
        assert a.hired_at is not None


def test_only_the_member_withdraws_and_only_the_employer_moves(world):
    _root, _union, _ent, _posting, member, employer = world
    a = _at(world, S.SUBMITTED)
    with pytest.raises(Refused) as exc:
        services.application_transition(application=a, to_status=S.VIEWED, member=member)
    assert exc.value.code == "not_allowed"
    with pytest.raises(Refused) as exc:
        services.application_transition(application=a, to_status=S.WITHDRAWN, actor=employer)
    assert exc.value.code == "not_allowed"
    a.refresh_from_db()
    assert a.status == S.SUBMITTED


def test_strangers_cannot_move_an_application(world):
    root, union, _ent, _posting, _member, _employer = world
    a = _at(world, S.SUBMITTED)
    other_ent = make_enterprise(union)
    other_employer = make_employer_staff(other_ent)
    other_union = org_child(root)
    outside_admin = make_staff(other_union, Role.UNION_ADMIN)
    auditor = make_staff(union, Role.AUDITOR)  # sees, does not move
    someone = make_member(union)
    for actor in (other_employer, outside_admin, auditor):
        with pytest.raises(NotFound):
            services.application_transition(application=a, to_status=S.VIEWED, actor=actor)
    with pytest.raises(NotFound):
        services.application_transition(application=a, to_status=S.WITHDRAWN, member=someone)
    a.refresh_from_db()
    assert a.status == S.SUBMITTED
    # the union's own admin may move it
    admin = make_staff(union, Role.UNION_ADMIN)
    services.application_transition(application=a, to_status=S.VIEWED, actor=admin)


def test_intention_time_is_kept_when_hired(world):
    a = _at(world, S.OFFERED)
    first = a.intention_at
    _root, _union, _ent, _posting, _member, employer = world
    a = services.application_transition(application=a, to_status=S.HIRED, actor=employer)
    assert a.intention_at == first and a.hired_at >= first
