"""Every .xlsx export the project writes, with a formula payload in each user-typed text field:
read back with openpyxl, the payload is a string cell (neutralised), never a formula or a link.

Exports: the member roster (members/roster/export.py), the roster import error report
(members/roster/report.py), the settlement statement (benefits), the premium invoice
(mutualaid), the attendee list (activities). ``tests/core/test_xlsx.py`` makes sure no other
module writes a workbook without ``core.xlsx``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from gonghui.core.timeutil import SHANGHAI
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, Org, Role
from tests.factories import make_member, make_staff

from .test_xlsx import PAYLOAD, assert_payload_is_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def poison_member(member: Member) -> None:
    Member.objects.filter(pk=member.pk).update(name=PAYLOAD)


def staff_client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_member_roster_export(tmp_path):
    from gonghui.members.roster.export import members_export
    from tests.factories import org_child, org_root

    root = org_root()
    union = org_child(root)
    poison_member(make_member(union))
    Org.objects.filter(pk=union.pk).update(name=PAYLOAD)
    out = tmp_path / "roster.xlsx"
    assert members_export(actor="operator", org=root, out=out) == 1
    assert_payload_is_text(out.read_bytes())


def test_roster_error_report(tmp_path):
    from gonghui.members.roster.report import write_error_report
    from gonghui.members.roster.validate import BadRow

    bad = BadRow(
        number=3, name=PAYLOAD, id_shown=PAYLOAD, phone_shown="-1", problems=[("姓名", PAYLOAD)]
    )
    path = write_error_report(tmp_path / "r.xlsx", [bad], file_name=PAYLOAD)
    assert_payload_is_text(path.read_bytes())


def test_settlement_statement():
    from gonghui.benefits import services
    from gonghui.benefits.models import Merchant, Store
    from tests.benefits.factories import World, make_offer

    world = World()
    offer = make_offer(world.merchant, title=PAYLOAD)
    poison_member(world.member)
    Store.objects.filter(pk=world.store.pk).update(name=PAYLOAD)
    yesterday = dt.datetime.now(tz=SHANGHAI) - dt.timedelta(days=1)
    red = services.redemption_create(
        terminal=world.terminal,
        member=world.member,
        bill_fen=1_000,
        offer_id=offer.pk,
        at=yesterday,
    )
    Merchant.objects.filter(pk=world.merchant.pk).update(name=PAYLOAD, settlement_account=PAYLOAD)
    world.merchant.refresh_from_db()
    settlement = services.settlement_create(
        merchant=world.merchant,
        period_start=red.local_date,
        period_end=red.local_date,
        actor=make_staff(world.root, Role.FEDERATION_ADMIN),
    )
    assert_payload_is_text(services.settlement_statement_xlsx(settlement))


def test_premium_invoice():
    from gonghui.mutualaid.admin import invoice_xlsx
    from gonghui.mutualaid.models import PremiumInvoice
    from tests.mutualaid.factories import build_world

    world = build_world()
    poison_member(world.member)
    Enterprise.objects.filter(pk=world.enterprise.pk).update(name=PAYLOAD)
    invoice = PremiumInvoice.objects.select_related("plan", "enterprise").get(
        enterprise=world.enterprise
    )
    assert_payload_is_text(invoice_xlsx(invoice))


def test_attendee_list():
    from gonghui.activities import services
    from gonghui.activities.models import Registration
    from tests.activities.factories import make_activity, make_session
    from tests.factories import org_child, org_root

    root = org_root()
    union = org_child(root)
    member = make_member(union)
    session = make_session(make_activity(union), starts_in_days=3)
    reg = services.registration_create(member=member, session=session)
    Registration.objects.filter(pk=reg.pk).update(child_name=PAYLOAD)
    poison_member(member)
    Org.objects.filter(pk=union.pk).update(name=PAYLOAD)
    c = staff_client(make_staff(union, Role.ORGANISER))
    r = c.get(f"/admin/activities/session/{session.pk}/attendees.xlsx")
    assert r.status_code == 200
    assert_payload_is_text(r.content)
