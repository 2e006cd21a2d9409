"""Issue #10 item 6: anonymous rights intake is rate-limited per IP (5 an hour, 20 a day, in the
database: the limit holds when the cache is down) with a 429 and a zh-hans message, and needs a
proof of work: missing, forged, expired, for another form, or replayed is refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client

from gonghui.core import pow as pow_mod
from gonghui.core.pow import pow_challenge, pow_solve
from gonghui.rights.models import RightsCase

from .factories import api_solved, make_world, solved

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def api_intake(extra: dict, ip: str = "10.2.0.1", client: Client | None = None):
    body = {
        "kind": "consultation",
        "case_type": "consultation",
        "description": "加班费怎么算？",
        "anonymous": True,
        **extra,
    }
    return (client or Client()).post(
        "/api/v1/rights/intake", json.dumps(body), content_type="application/json", REMOTE_ADDR=ip
    )


def h5_form(page) -> dict:
    return {
        "kind": "consultation",
        "case_type": "consultation",
        "description": "加班费怎么算？请帮忙",
        "employer_name": "",
        "amount_claimed": "",
        "contact_phone": "",
        **solved(page),
    }


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_sixth_anonymous_h5_intake_in_an_hour_is_a_429_in_zh_hans(world):
    c = Client(REMOTE_ADDR="10.3.0.1")
    for _ in range(5):
        page = c.get("/m/rights/new")
        r = c.post("/m/rights/new", h5_form(page))
        assert r.status_code == 302, r.content.decode()[-2000:]
        cache.clear()  # counted in the database, not the cache
    page = c.get("/m/rights/new")
    r = c.post("/m/rights/new", h5_form(page))
    assert r.status_code == 429
    body = r.content.decode()
    assert 'data-testid="intake-error"' in body and "12351" in body
    error = body.split('data-testid="intake-error">', 1)[1].split("<", 1)[0]
    assert has_chinese(error), error
    assert RightsCase.objects.count() == 5
    # another IP is not affected
    other = Client(REMOTE_ADDR="10.3.0.2")
    assert other.post("/m/rights/new", h5_form(other.get("/m/rights/new"))).status_code == 302


def test_sixth_api_intake_is_a_429_and_the_day_limit_holds(world, settings):
    for _ in range(5):
        assert api_intake(api_solved()).status_code == 201
    r = api_intake(api_solved())
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert has_chinese(r.json()["message"])
    settings.GONGHUI_RIGHTS_INTAKE_PER_IP_HOUR = 100
    settings.GONGHUI_RIGHTS_INTAKE_PER_IP_DAY = 7
    assert api_intake(api_solved()).status_code == 201
    assert api_intake(api_solved()).status_code == 201
    assert api_intake(api_solved()).status_code == 429
    assert RightsCase.objects.count() == 7


def test_pow_missing_forged_replayed_expired_or_foreign_is_refused(world, monkeypatch):
    assert api_intake({}).json()["code"] == "pow_missing"
    good = api_solved()
    forged = dict(good, pow_challenge=good["pow_challenge"][:-2] + "xx")
    assert api_intake(forged).json()["code"] == "pow_invalid"
    wrong_work = dict(good, pow_nonce=str(int(good["pow_nonce"]) + 1))
    r = api_intake(wrong_work)
    # (the next counter may solve it too, by chance 1 in 4096)
    assert r.status_code in (400, 201)
    assert api_intake(good).status_code in (201, 400)
    replay = api_intake(good)
    assert replay.status_code == 400 and replay.json()["code"] == "pow_replayed"
    other = pow_challenge("members.enrol")
    foreign = {"pow_challenge": other["challenge"], "pow_nonce": pow_solve(other["challenge"], 12)}
    assert api_intake(foreign).json()["code"] == "pow_invalid"
    easy = signing.dumps({"p": "rights.intake", "r": "x", "b": 0}, salt=pow_mod.SALT)
    assert api_intake({"pow_challenge": easy, "pow_nonce": "0"}).json()["code"] == "pow_invalid"
    old = api_solved()
    real_now = signing.time.time
    monkeypatch.setattr(
        signing.time, "time", lambda: real_now() + dt.timedelta(hours=1).total_seconds()
    )
    assert api_intake(old).json()["code"] == "pow_expired"


def test_h5_anonymous_intake_without_the_proof_is_refused(world):
    c = Client()
    page = c.get("/m/rights/new")
    html = page.content.decode()
    assert "data-pow" in html and "core/pow.js" in html and "<script>" not in html
    data = h5_form(page)
    data["pow_nonce"] = ""
    r = c.post("/m/rights/new", data)
    assert r.status_code == 200 and 'data-testid="intake-error"' in r.content.decode()
    assert not RightsCase.objects.exists()


def test_the_limit_is_counted_in_the_one_counter_table(world):
    # Issue #10 follow-up: one rate-limit mechanism (core.throttle, table core_ratecounter);
    # the IP is not stored in clear.
    from gonghui.core.models import RateCounter

    assert api_intake(api_solved(), ip="10.4.4.4").status_code == 201
    buckets = list(RateCounter.objects.values_list("bucket", "count"))
    assert len(buckets) == 2 and {c for _b, c in buckets} == {1}
    assert not any("10.4.4.4" in b for b, _c in buckets)
