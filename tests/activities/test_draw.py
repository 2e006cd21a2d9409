"""The lottery: commitment before the window, same seed → same winners, nobody twice,
ineligible applicants never win, and the published proof alone recomputes the result."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest

from gonghui.activities import draw as draw_algo
from gonghui.activities import services
from gonghui.activities.models import Activity, Allocation, Audience, Kind, Registration
from gonghui.core import timeutil
from gonghui.core.errors import Refused
from tests.factories import make_member

from .factories import make_activity, make_session

pytestmark = pytest.mark.django_db
S = Registration.Status
SEED = "5eed" * 16


def lottery(union, organiser, *, seed=SEED, capacity=5, **kw):
    now = timeutil.now()
    activity = make_activity(
        union,
        kind=Kind.RECUPERATION,
        allocation=Allocation.LOTTERY,
        registration_opens=now + dt.timedelta(hours=1),
        registration_closes=now + dt.timedelta(days=2),
        **kw,
    )
    session = make_session(activity, capacity=capacity, starts_in_days=10)
    draw = services.draw_commit(actor=organiser, session=session, seed=seed)
    return activity, session, draw


def apply_all(activity: Activity, session, members):
    at = activity.registration_opens + dt.timedelta(minutes=1)
    return [services.registration_create(member=m, session=session, now=at) for m in members]


def run_and_publish(activity, session, organiser):
    after = activity.registration_closes + dt.timedelta(minutes=1)
    services.draw_run(actor=organiser, session=session, now=after)
    return services.draw_publish(actor=organiser, session=session, now=after)


def test_commit_hides_the_seed_and_must_precede_the_window(union, organiser, member):
    activity, session, draw = lottery(union, organiser)
    assert draw.seed == "" and SEED not in draw.seed_cipher
    assert draw.seed_hash == hashlib.sha256(bytes.fromhex(SEED)).hexdigest()
    with pytest.raises(Refused) as exc:
        services.draw_commit(actor=organiser, session=session, seed=SEED)
    assert exc.value.code == "already_committed"
    # once the window is open, no (new) commitment is accepted
    other = make_session(activity, capacity=2)
    with pytest.raises(Refused) as exc:
        services.draw_commit(
            actor=organiser,
            session=other,
            now=activity.registration_opens + dt.timedelta(seconds=1),
        )
    assert exc.value.code == "too_late"
    # and nobody can apply to a lottery session without a commitment
    with pytest.raises(Refused) as exc:
        services.registration_create(
            member=member, session=other, now=activity.registration_opens + dt.timedelta(minutes=1)
        )
    assert exc.value.code == "draw_not_committed"


def test_run_refused_while_window_open(union, organiser):
    activity, session, _draw = lottery(union, organiser)
    with pytest.raises(Refused) as exc:
        services.draw_run(actor=organiser, session=session, now=activity.registration_opens)
    assert exc.value.code == "window_open"


def test_winners_follow_the_algorithm_and_nobody_wins_twice(union, organiser):
    activity, session, _draw = lottery(union, organiser, capacity=5)
    members = [make_member(union) for _ in range(12)]
    regs = apply_all(activity, session, members)
    assert all(r.status == S.APPLIED for r in regs)
    draw = run_and_publish(activity, session, organiser)
    winners = draw.proof["winners"]
    assert len(winners) == 5 == len(set(winners))
    expected = sorted(regs, key=lambda r: draw_algo.ticket(SEED, r.pk))[:5]
    assert winners == [r.pk for r in expected]
    assert Registration.objects.filter(session=session, status=S.WON).count() == 5
    won_members = Registration.objects.filter(session=session, status=S.WON).values_list(
        "member", flat=True
    )
    assert len(set(won_members)) == 5
    # the others wait in draw order
    waiting = list(
        Registration.objects.filter(session=session, status=S.WAITLISTED)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    assert waiting == draw.proof["order"][5:]
    session.refresh_from_db()
    assert session.places_left == 0
    with pytest.raises(Refused) as exc:
        services.draw_run(
            actor=organiser,
            session=session,
            now=activity.registration_closes + dt.timedelta(hours=1),
        )
    assert exc.value.code == "already_run"


def test_same_seed_same_winners(union, organiser):
    a1, s1, _ = lottery(union, organiser)
    regs = apply_all(a1, s1, [make_member(union) for _ in range(10)])
    d1 = run_and_publish(a1, s1, organiser)
    ids = [r.pk for r in regs]
    order = draw_algo.draw_order(SEED, [(i, 0) for i in ids])
    assert d1.proof["order"] == order
    assert (
        draw_algo.draw_order(SEED, [(i, 0) for i in reversed(ids)]) == order
    )  # input order is irrelevant
    other_seed = draw_algo.draw_order("ab" * 32, [(i, 0) for i in ids])
    assert sorted(other_seed) == sorted(order)


def test_ineligible_applicants_never_win(union, organiser):
    activity, session, _draw = lottery(union, organiser, capacity=10)
    eligible = [make_member(union, is_frontline=True) for _ in range(3)]
    plain = [make_member(union) for _ in range(4)]
    regs = apply_all(activity, session, eligible + plain)
    # the rule tightens after they applied: frontline workers only
    Activity.objects.filter(pk=activity.pk).update(audience=Audience.FRONTLINE)
    session.refresh_from_db()
    draw = run_and_publish(activity, session, organiser)
    plain_ids = {r.pk for r in regs if r.member_id in {m.pk for m in plain}}
    assert not plain_ids & set(draw.proof["winners"])
    assert {rid for rid, _code in draw.proof["excluded"]} == plain_ids
    assert set(draw.proof["winners"]) == {r.pk for r in regs} - plain_ids
    for rid in plain_ids:
        reg = Registration.objects.get(pk=rid)
        assert reg.status == S.LOST and reg.reason


def test_no_shows_draw_after_others(union, organiser):
    activity, session, _draw = lottery(union, organiser, capacity=2)
    careless = make_member(union)
    past = make_session(make_activity(union), starts_in_days=-20)
    Registration.objects.create(
        session=past, member=careless, status=S.NO_SHOW, created_at=timeutil.now()
    )
    members = [careless] + [make_member(union) for _ in range(2)]
    regs = apply_all(activity, session, members)
    draw = run_and_publish(activity, session, organiser)
    assert regs[0].pk not in draw.proof["winners"]
    assert [regs[0].pk, 1] in draw.proof["applicants"]


def test_published_proof_recomputes_from_its_own_data(client, union, organiser):
    activity, session, draw = lottery(union, organiser, capacity=3)
    apply_all(activity, session, [make_member(union) for _ in range(8)])
    # not public before publication
    assert client.get(f"/api/v1/activities/draws/{session.pk}/proof").status_code == 404
    run_and_publish(activity, session, organiser)
    published = client.get(f"/api/v1/activities/draws/{session.pk}/proof")
    assert published.status_code == 200
    proof = json.loads(published.content)
    # a stranger's recomputation, with the standard library only
    seed = bytes.fromhex(proof["seed"])
    assert hashlib.sha256(seed).hexdigest() == proof["seed_hash"] == draw.seed_hash
    order = [
        a[0]
        for a in sorted(
            proof["applicants"],
            key=lambda a: (
                a[1],
                hmac.new(seed, str(a[0]).encode(), hashlib.sha256).hexdigest(),
                a[0],
            ),
        )
    ]
    assert order[: proof["places"]] == proof["winners"]
    assert draw_algo.verify(proof)
    tampered = dict(proof, winners=list(reversed(proof["winners"])))
    assert not draw_algo.verify(tampered)
