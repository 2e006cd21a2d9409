"""Profile, my union, my service history and transfer pages; languages; CSP-safe markup."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from gonghui.core.timeutil import format_date, format_datetime
from gonghui.members import pii
from gonghui.members.models import ServiceEvent, TransferRequest
from gonghui.members.services import service_event_record
from tests.factories import make_member
from tests.members.test_h5_support import (
    en_client,
    field_errors,
    make_tree,
    sign_in,
    text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(db):
    return make_tree()


PHONE = "13912340001"
OTHER_PHONE = "13912340002"
UTC = dt.UTC


@pytest.fixture
def member(tree):
    return make_member(tree.union, phone=PHONE, name="李海", enterprise=tree.enterprise)


@pytest.fixture
def other(tree):
    return make_member(tree.other_union, phone=OTHER_PHONE, name="赵敏")


@pytest.fixture
def signed_in(member):
    c = en_client()
    sign_in(c, member, PHONE)
    return c


def add_event(member, *, kind: str, amount_fen: int, at: dt.datetime) -> ServiceEvent:
    # Any saved row can be the source; each event needs its own (kind, source).
    source = TransferRequest.objects.create(
        member=member, from_org=member.org, to_org=member.org, status="rejected"
    )
    return service_event_record(
        member=member, kind=kind, source=source, amount_fen=amount_fen, occurred_at=at
    )


def test_home_anonymous_offers_sign_in_and_join():
    body = text(en_client().get("/m/"))
    assert 'data-testid="home-login"' in body and 'href="/m/login"' in body
    assert 'data-testid="home-join"' in body and 'href="/m/join"' in body


def test_profile_card_is_masked_and_complete(signed_in, member, tree):
    body = text(signed_in.get("/m/"))
    assert f'data-testid="member-no">{member.member_no}' in body
    full_id = pii.open_id_number(member)
    assert full_id not in body and member.id_number_masked in body
    assert PHONE not in body and "139****0001" in body
    assert tree.union.name in body and tree.enterprise.name in body
    assert 'data-testid="member-status">Active' in body
    assert format_date(member.joined_on) in body
    assert 'href="/m/history"' in body and 'href="/m/union"' in body


def test_my_union_shows_name_and_contact(signed_in, tree):
    r = signed_in.get("/m/union")
    body = text(r)
    assert r.status_code == 200
    assert tree.union.name in body
    assert "王主席" in body and 'href="tel:0576-87654321"' in body
    assert tree.union.address in body
    assert 'data-testid="contact-above"' not in body


def test_my_union_without_a_phone_shows_the_nearest_union_above_that_has_one(tree):
    """Issue #12 item 6: a union without contact details left the member with 「—」 only."""
    from gonghui.orgs.models import Org

    Org.objects.filter(pk=tree.township.pk).update(
        contact_name="街道工会办", contact_phone="0576-87220000", address="玉环市玉城街道广陵路1号"
    )
    member = make_member(tree.other_union, phone="13900000077")
    c = en_client()
    sign_in(c, member, "13900000077")
    body = text(c.get("/m/union"))
    assert tree.other_union.name in body and 'data-testid="contact-above"' in body
    assert tree.township.name in body and 'href="tel:0576-87220000"' in body


def test_every_demo_union_gives_a_contact():
    from gonghui.demo import data

    assert all(spec.contact_name and spec.contact_phone and spec.address for spec in data.ORGS)


def test_history_newest_first_money_and_shanghai_time(signed_in, member):
    add_event(
        member,
        kind="benefits.redemption",
        amount_fen=1250,
        at=dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
    )
    add_event(
        member,
        kind="activities.checkin",
        amount_fen=0,
        at=dt.datetime(2026, 3, 2, 16, 30, tzinfo=UTC),
    )
    body = text(signed_in.get("/m/history"))
    assert body.count('data-testid="event"') == 2
    # newest first; 16:30 UTC on 2 March is 00:30 on 3 March in Shanghai
    newer = format_datetime(dt.datetime(2026, 3, 2, 16, 30, tzinfo=UTC))
    older = format_datetime(dt.datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    assert newer.endswith("03-03 00:30") and older.endswith("03-01 10:00")
    assert body.index(newer) < body.index(older)
    assert "Activity check-in" in body and "Merchant discount" in body
    assert "¥12.50" in body


def test_history_is_paginated(signed_in, member):
    base = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(25):
        add_event(member, kind="benefits.redemption", amount_fen=i, at=base + dt.timedelta(hours=i))
    body = text(signed_in.get("/m/history"))
    assert body.count('data-testid="event"') == 20
    assert 'data-testid="next-page"' in body and "Page 1 of 2" in body
    newest = format_datetime(dt.datetime(2026, 1, 2, 0, 0, tzinfo=UTC))
    oldest = format_datetime(dt.datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    assert newest.endswith("01-02 08:00") and oldest.endswith("01-01 08:00")
    assert newest in body  # newest: hour 24 UTC = 08:00 next day in Shanghai
    body2 = text(signed_in.get("/m/history?page=2"))
    assert body2.count('data-testid="event"') == 5
    assert oldest in body2  # oldest
    assert newest not in body2
    assert text(signed_in.get("/m/history?page=99")).count('data-testid="event"') == 5


def test_history_empty(signed_in):
    assert 'data-testid="history-empty"' in text(signed_in.get("/m/history"))


def test_another_members_data_is_never_visible(signed_in, member, other, tree):
    add_event(
        other, kind="benefits.redemption", amount_fen=98765, at=dt.datetime(2026, 2, 2, tzinfo=UTC)
    )
    add_event(member, kind="venues.entry", amount_fen=0, at=dt.datetime(2026, 2, 3, tzinfo=UTC))
    for path in ("/m/", "/m/history", "/m/union", "/m/transfer"):
        body = text(signed_in.get(path))
        assert other.name not in body, path
        assert other.member_no not in body, path
        assert other.phone_masked not in body, path
        assert "987.65" not in body, path
    # the other member sees theirs, not ours
    c = en_client()
    sign_in(c, other, OTHER_PHONE)
    body = text(c.get("/m/history"))
    assert "¥987.65" in body and body.count('data-testid="event"') == 1
    assert member.member_no not in text(c.get("/m/"))


def test_session_of_a_member_who_left_is_signed_out(signed_in, member):
    from gonghui.members.models import Member

    Member.objects.filter(pk=member.pk).update(status=Member.Status.LEFT)
    assert signed_in.get("/m/history").status_code == 302
    assert member.member_no not in text(signed_in.get("/m/"))


# --- transfer ----------------------------------------------------------------------------------
def test_transfer_to_a_preselected_union(signed_in, member, tree):
    r = signed_in.get(f"/m/transfer?to={tree.other_union.pk}")
    body = text(r)
    assert 'data-testid="pick-preselected"' in body and tree.other_union.name in body
    r = signed_in.post(
        f"/m/transfer?to={tree.other_union.pk}",
        {"org": tree.other_union.pk, "note": "换了工作"},
    )
    assert r.status_code == 200
    assert 'data-testid="transfer-requested"' in text(r)
    t = TransferRequest.objects.get(member=member, status="pending")
    assert t.from_org == tree.union and t.to_org == tree.other_union and t.note == "换了工作"


def test_transfer_by_searching_an_employer(signed_in, member, tree):
    from tests.factories import EnterpriseFactory

    ent = EnterpriseFactory(name="东港水产有限公司", union=tree.other_union)
    body = text(signed_in.get("/m/transfer", {"q": "水产"}))
    assert f'name="enterprise" value="{ent.pk}"' in body
    r = signed_in.get("/m/transfer/unions", {"q": "水产"}, headers={"hx-request": "true"})
    assert text(r).lstrip().startswith('<div id="union-results"')
    signed_in.post("/m/transfer", {"enterprise": ent.pk})
    t = TransferRequest.objects.get(member=member, status="pending")
    assert t.to_org == tree.other_union and t.to_enterprise == ent


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("union", "You are already a member of this union."),
        ("federation", "Please choose a grassroots union or an industry federation."),
        (None, "Please choose a union."),
    ],
)
def test_bad_transfer_gives_an_error_and_creates_nothing(signed_in, member, tree, target, message):
    data = {"org": getattr(tree, target).pk} if target else {}
    r = signed_in.post("/m/transfer", data)
    assert r.status_code == 200
    assert field_errors(r, "union") == [message]
    assert TransferRequest.objects.filter(status="pending").count() == 0


def test_second_pending_transfer_is_refused(signed_in, member, tree):
    signed_in.post("/m/transfer", {"org": tree.other_union.pk})
    r = signed_in.post("/m/transfer", {"org": tree.delivery.pk})
    assert field_errors(r, "union")
    assert tree.other_union.name in field_errors(r, "union")[0]
    assert TransferRequest.objects.filter(status="pending").count() == 1


def test_transfer_note_too_long_is_refused(signed_in, member, tree):
    r = signed_in.post("/m/transfer", {"org": tree.other_union.pk, "note": "长" * 201})
    assert r.status_code == 200
    assert TransferRequest.objects.filter(status="pending").count() == 0


# --- languages and markup ----------------------------------------------------------------------
PAGES_ANON = ["/m/", "/m/login", "/m/join"]
PAGES_MEMBER = ["/m/", "/m/union", "/m/history", "/m/transfer"]


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_pages_render_in_both_languages(member, lang):
    c = Client(headers={"accept-language": "en" if lang == "en" else "zh-CN,zh;q=0.9"})
    for path in PAGES_ANON:
        r = c.get(path)
        assert r.status_code == 200, path
        assert f'<html lang="{lang}">' in text(r), path
    sign_in(c, member, PHONE)
    for path in PAGES_MEMBER:
        r = c.get(path)
        assert r.status_code == 200, path
        assert f'<html lang="{lang}">' in text(r), path


def test_default_language_is_chinese_and_the_switch_offers_english():
    body = text(Client().get("/m/"))
    assert '<html lang="zh-hans">' in body
    assert 'name="language" value="en"' in body and 'action="/i18n/setlang/"' in body


def test_language_switch_sets_english(member):
    c = Client()
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/m/login"})
    assert r.status_code == 302 and r["Location"] == "/m/login"
    assert '<html lang="en">' in text(c.get("/m/login"))


def test_pages_have_no_inline_script_or_style_and_send_a_csp(signed_in):
    anonymous = en_client()
    pages = [(signed_in, p) for p in PAGES_MEMBER] + [(anonymous, p) for p in PAGES_ANON]
    for client, path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        body = text(r)
        assert "'unsafe-inline'" not in r["Content-Security-Policy"], path
        for tag in re.findall(r"<script\b[^>]*>", body):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", body), path
        assert not re.search(r"\sstyle=", body), path
        assert "<style" not in body, path
        assert re.search(r'href="/static/members/h5\.css"', body), path
        assert re.search(r'src="/static/vendor/htmx\.min\.js"', body), path
        assert re.search(r'src="/static/members/h5\.js"', body), path
        assert 'name="viewport"' in body, path


def test_transfer_search_leaves_out_the_members_own_union(signed_in, tree):
    body = text(signed_in.get("/m/transfer", {"q": "工会"}))
    assert f'name="org" value="{tree.other_union.pk}"' in body
    assert f'name="org" value="{tree.union.pk}"' not in body
    assert f'name="enterprise" value="{tree.enterprise.pk}"' not in text(
        signed_in.get("/m/transfer/unions", {"q": "海鲸"})
    )


def test_home_shows_the_services_registered_by_apps(client, tree):
    """The service grid lists what apps registered in ready() (here: the code page of codes)."""
    from gonghui.members import h5menu

    assert "code" in [e.key for e in h5menu.entries()]
    member = make_member(tree.union, n=4242)
    sign_in(client, member, "13900004242")
    body = client.get("/m/").content.decode()
    assert 'data-testid="service-code"' in body and 'href="/m/code/"' in body
