"""Registration, waitlist, cancellation, eligibility, limits, deadlines, review, check-in."""

from __future__ import annotations

import datetime as dt

import pytest

from gonghui.activities import services
from gonghui.activities.models import (
    Allocation,
    Audience,
    CheckIn,
    Kind,
    Registration,
    Session,
)
from gonghui.core import timeutil
from gonghui.core.errors import NotFound, Refused
from gonghui.members.models import EmploymentType, ServiceEvent
from tests.factories import make_member, org_child

from .factories import make_activity, make_person, make_session

pytestmark = pytest.mark.django_db
S = Registration.Status


def refused(code, fn, **kw):
    with pytest.raises(Refused) as exc:
        fn(**kw)
    assert exc.value.code == code, exc.value.as_dict()
    assert str(exc.value.message)
    return exc.value


def test_first_come_confirms_then_waitlists_in_order(union):
    session = make_session(make_activity(union), capacity=2)
    members = [make_member(union) for _ in range(5)]
    regs = [services.registration_create(member=m, session=session) for m in members]
    assert [r.status for r in regs] == [S.CONFIRMED, S.CONFIRMED] + [S.WAITLISTED] * 3
    assert [r.position for r in regs[2:]] == [1, 2, 3]
    session.refresh_from_db()
    assert session.places_left == 0
    # a registration of a confirmed place is a service event; waitlisting is not
    assert ServiceEvent.objects.filter(kind="activities.registration").count() == 2


def test_duplicate_registration_refused_and_nothing_changes(union, member):
    session = make_session(make_activity(union), capacity=3)
    services.registration_create(member=member, session=session)
    refused("already_registered", services.registration_create, member=member, session=session)
    session.refresh_from_db()
    assert session.places_left == 2
    assert Registration.objects.filter(session=session).count() == 1


def test_cancel_promotes_waitlist_head_and_texts_them(
    union, sms_outbox, django_capture_on_commit_callbacks
):
    session = make_session(make_activity(union), capacity=1)
    a, b, c = (make_member(union) for _ in range(3))
    ra = services.registration_create(member=a, session=session)
    rb = services.registration_create(member=b, session=session)
    rc = services.registration_create(member=c, session=session)
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=ra, member=a)
    rb.refresh_from_db()
    rc.refresh_from_db()
    assert (rb.status, rc.status) == (S.CONFIRMED, S.WAITLISTED)
    assert len(sms_outbox) == 1
    session.refresh_from_db()
    assert session.places_left == 0
    # a waitlisted cancellation frees nothing; a confirmed one with an empty waitlist frees a place
    services.registration_cancel(registration=rc, member=c)
    services.registration_cancel(registration=rb, member=b)
    session.refresh_from_db()
    assert session.places_left == 1
    # cancelling twice is refused
    refused("not_cancellable", services.registration_cancel, registration=rb, member=b)
    # a member may register again after cancelling
    again = services.registration_create(member=a, session=session)
    assert again.status == S.CONFIRMED


def test_cancel_someone_elses_registration_is_not_found(union):
    session = make_session(make_activity(union), capacity=1)
    a, b = make_member(union), make_member(union)
    ra = services.registration_create(member=a, session=session)
    with pytest.raises(NotFound):
        services.registration_cancel(registration=ra, member=b)
    ra.refresh_from_db()
    assert ra.status == S.CONFIRMED


def test_cancellation_deadline(union, member):
    activity = make_activity(union, cancel_hours_before=48)
    session = make_session(activity, capacity=5, starts_in_days=1)
    reg = services.registration_create(member=member, session=session)
    exc = refused(
        "cancellation_closed", services.registration_cancel, registration=reg, member=member
    )
    assert exc.status == 409
    reg.refresh_from_db()
    assert reg.status == S.CONFIRMED


def test_registration_window(union, member):
    now = timeutil.now()
    early = make_activity(
        union,
        registration_opens=now + dt.timedelta(days=1),
        registration_closes=now + dt.timedelta(days=2),
    )
    refused("not_open", services.registration_create, member=member, session=make_session(early))
    late = make_activity(
        union,
        registration_opens=now - dt.timedelta(days=3),
        registration_closes=now - dt.timedelta(days=1),
    )
    refused("closed", services.registration_create, member=member, session=make_session(late))
    assert not Registration.objects.exists()


def test_unpublished_is_not_found(union, member):
    session = make_session(make_activity(union, is_published=False))
    with pytest.raises(NotFound):
        services.registration_create(member=member, session=session)


def test_eligibility_org_subtree(root, union):
    other = org_child(root)
    outsider = make_member(other)
    session = make_session(make_activity(union))
    exc = refused(
        "not_eligible_org", services.registration_create, member=outsider, session=session
    )
    assert union.name in str(exc.message)
    # an activity of the federation is open to its whole tree
    fed = make_session(make_activity(root))
    assert services.registration_create(member=outsider, session=fed).status == S.CONFIRMED


def test_eligibility_member_type(union):
    gig_only = make_session(make_activity(union, audience=Audience.GIG))
    frontline_only = make_session(make_activity(union, audience=Audience.FRONTLINE))
    employee = make_member(union)
    rider = make_member(union, employment_type=EmploymentType.GIG)
    frontline = make_member(union, is_frontline=True)
    refused("not_eligible_type", services.registration_create, member=employee, session=gig_only)
    assert services.registration_create(member=rider, session=gig_only).status == S.CONFIRMED
    refused("not_eligible_type", services.registration_create, member=rider, session=frontline_only)
    assert services.registration_create(member=frontline, session=frontline_only)


def test_screening_gender_and_age_at_session_date(union):
    activity = make_activity(
        union, kind=Kind.SCREENING, allocation=Allocation.REVIEW, gender="F", min_age=35, max_age=64
    )
    starts = timeutil.now() + dt.timedelta(days=10)
    session = make_session(activity, starts_at=starts)
    day = timeutil.to_local(starts).date()
    # a woman who turns 35 one day after the session is 34 on the session date
    young = make_person(
        union, gender="F", birth=day.replace(year=day.year - 35) + dt.timedelta(days=1)
    )
    ok = make_person(union, gender="F", birth=day.replace(year=day.year - 35))
    assert young.gender == ok.gender == "F"
    exc = refused("not_eligible_age", services.registration_create, member=young, session=session)
    assert "34" in str(exc.message)
    assert services.registration_create(member=ok, session=session).status == S.APPLIED


def test_screening_gender(union):
    session = make_session(make_activity(union, gender="F"))
    man, woman = make_person(union, gender="M"), make_person(union, gender="F")
    refused("not_eligible_gender", services.registration_create, member=man, session=session)
    assert services.registration_create(member=woman, session=session).status == S.CONFIRMED


def test_child_class_needs_child_of_the_right_age(union, member):
    activity = make_activity(union, kind=Kind.CAREER_CLASS, child_min_age=8, child_max_age=12)
    session = make_session(activity)
    day = timeutil.to_local(session.starts_at).date()
    refused("child_required", services.registration_create, member=member, session=session)
    exc = refused(
        "not_eligible_child_age",
        services.registration_create,
        member=member,
        session=session,
        child_name="小明",
        child_birth_date=day.replace(year=day.year - 5),
    )
    assert exc.field == "child_birth_date"
    reg = services.registration_create(
        member=member,
        session=session,
        child_name="小明",
        child_birth_date=day.replace(year=day.year - 9),
    )
    assert reg.child_name == "小明" and reg.status == S.CONFIRMED


def test_one_recuperation_a_year_across_activities(union, member):
    a1 = make_activity(union, kind=Kind.RECUPERATION, limit_per_year=1)
    a2 = make_activity(union, kind=Kind.RECUPERATION, limit_per_year=1)
    s1, s2 = make_session(a1), make_session(a2)
    services.registration_create(member=member, session=s1)
    exc = refused("limit_reached", services.registration_create, member=member, session=s2)
    assert exc.status == 409
    assert not Registration.objects.filter(session=s2).exists()
    # another kind is not limited by it
    assert services.registration_create(member=member, session=make_session(make_activity(union)))


def test_review_approve_within_quota_reject_with_reason(
    union, organiser, sms_outbox, django_capture_on_commit_callbacks
):
    activity = make_activity(union, kind=Kind.RECUPERATION, allocation=Allocation.REVIEW)
    session = make_session(activity, capacity=1)
    a, b = make_member(union), make_member(union)
    ra = services.registration_create(member=a, session=session)
    rb = services.registration_create(member=b, session=session)
    assert ra.status == rb.status == S.APPLIED
    with django_capture_on_commit_callbacks(execute=True):
        services.application_review(actor=organiser, registration=ra, approve=True, reason="ok")
    refused(
        "quota_full",
        services.application_review,
        actor=organiser,
        registration=rb,
        approve=True,
    )
    refused(
        "reason_required",
        services.application_review,
        actor=organiser,
        registration=rb,
        approve=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_review(
            actor=organiser, registration=rb, approve=False, reason="名额已满"
        )
    rb.refresh_from_db()
    assert rb.status == S.REJECTED and rb.reason == "名额已满"
    refused(
        "not_pending", services.application_review, actor=organiser, registration=rb, approve=True
    )
    assert len(sms_outbox) == 2


def test_review_out_of_scope_is_404(root, union):
    from gonghui.orgs.models import Role
    from tests.factories import make_staff

    other_staff = make_staff(org_child(root), Role.ORGANISER)
    activity = make_activity(union, allocation=Allocation.REVIEW)
    reg = services.registration_create(member=make_member(union), session=make_session(activity))
    with pytest.raises(NotFound):
        services.application_review(actor=other_staff, registration=reg, approve=True)


def test_priority_frontline_first_then_fewer_no_shows(union, organiser):
    activity = make_activity(union, kind=Kind.RECUPERATION, allocation=Allocation.REVIEW)
    session = make_session(activity, capacity=2)
    plain = make_member(union)
    frontline = make_member(union, is_frontline=True)
    careless = make_member(union, is_frontline=True)
    # the careless frontline worker did not show up last time
    past = make_activity(union)
    past_session = make_session(past, starts_in_days=-30)
    Registration.objects.create(
        session=past_session, member=careless, status=S.NO_SHOW, created_at=timeutil.now()
    )
    for m in (plain, careless, frontline):
        services.registration_create(member=m, session=session)
    result = services.applications_approve_by_priority(actor=organiser, session=session)
    assert result == {"approved": 2, "rejected": 0}
    statuses = {r.member_id: r.status for r in Registration.objects.filter(session=session)}
    assert statuses[frontline.pk] == S.APPROVED
    assert statuses[careless.pk] == S.APPROVED
    assert statuses[plain.pk] == S.APPLIED


def test_checkin_once_and_walk_in(union, organiser):
    session = make_session(
        make_activity(union), capacity=2, starts_at=timeutil.now() + dt.timedelta(minutes=30)
    )
    a, walker, late = make_member(union), make_member(union), make_member(union)
    services.registration_create(member=a, session=session)
    services.checkin_record(session=session, member=a, via="terminal")
    refused("already_checked_in", services.checkin_record, session=session, member=a, via="poster")
    checkin = services.checkin_record(session=session, member=walker, via="staff", actor=organiser)
    assert checkin.registration.walk_in
    refused("no_place", services.checkin_record, session=session, member=late, via="terminal")
    assert CheckIn.objects.filter(session=session).count() == 2
    assert ServiceEvent.objects.filter(kind="activities.checkin").count() == 2


def test_checkin_windows(union, member):
    session = make_session(make_activity(union), capacity=2, starts_in_days=3)
    services.registration_create(member=member, session=session)
    refused(
        "checkin_not_open", services.checkin_record, session=session, member=member, via="terminal"
    )
    later = session.ends_at + dt.timedelta(minutes=1)
    refused(
        "checkin_closed",
        services.checkin_record,
        session=session,
        member=member,
        via="terminal",
        now=later,
    )


def test_no_shows_after_the_session(union, organiser, member):
    session = make_session(make_activity(union), capacity=3, starts_in_days=2)
    other = make_member(union)
    services.registration_create(member=member, session=session)
    services.registration_create(member=other, session=session)
    services.checkin_record(session=session, member=other, via="terminal", now=session.starts_at)
    refused("not_ended", services.attendance_close, actor=organiser, session=session)
    n = services.attendance_close(
        actor=organiser, session=session, now=session.ends_at + dt.timedelta(hours=1)
    )
    assert n == 1
    assert Registration.objects.get(session=session, member=member).status == S.NO_SHOW
    assert services.no_show_count(member, before=session.ends_at + dt.timedelta(days=1)) == 1


def test_session_create_refuses_bad_input(union):
    activity = make_activity(union)
    now = timeutil.now()
    with pytest.raises(Refused):
        services.session_create(
            actor=None, activity=activity, starts_at=now, ends_at=now, place="x", capacity=3
        )
    with pytest.raises(Refused):
        services.session_create(
            actor=None,
            activity=activity,
            starts_at=now,
            ends_at=now + dt.timedelta(hours=1),
            place="x",
            capacity=0,
        )
    assert not Session.objects.filter(activity=activity).exists()
