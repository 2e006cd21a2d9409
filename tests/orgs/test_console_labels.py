"""The console's service records, ledger and audit log show names, never codes (issue #12,
item 2): kinds and actions by their registered labels, the object as 「核销 #12」 linked to its
page where the user may open it, and no column named after an attribute."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from gonghui.core import labels
from gonghui.core.audit import audit_record
from gonghui.funds import ledgerkinds
from gonghui.funds.models import AccountKind
from gonghui.funds.services import account_open, fund_allocate
from gonghui.members import servicekinds
from gonghui.members.models import ServiceEvent
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff, org_child, org_root

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def text(response) -> str:
    """The page's text without tags and attribute values."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def fed():
    return org_root(name="市总")


def test_service_records_show_kind_labels_and_readable_sources(client, fed):
    union = org_child(fed, name="一厂工会")
    member = make_member(union, name="王小明")
    ServiceEvent.objects.create(
        member=member,
        org=union,
        kind="benefits.redemption_void",
        source_type="members.member",  # any model the console lists
        source_id=str(member.pk),
        occurred_at=timezone.now(),
    )
    client.force_login(make_staff(fed, Role.FEDERATION_ADMIN))
    page = client.get(reverse("admin:members_serviceevent_changelist"))
    shown = text(page)
    assert "benefits.redemption_void" not in shown
    assert str(servicekinds.label_for("benefits.redemption_void")) == "优惠撤销"
    assert "优惠撤销" in shown
    assert f"members.member:{member.pk}" not in shown
    member_url = reverse("admin:members_member_change", args=[member.pk])
    assert f'<a href="{member_url}">会员 #{member.pk}</a>' in page.content.decode()
    for english in ("Source type", "Source id", "Member", "Org"):
        assert f">{english}<" not in page.content.decode()


def test_ledger_shows_kind_labels_and_readable_sources(client, fed):
    bank = account_open(org=fed, kind=AccountKind.BANK)
    welfare = account_open(org=fed, kind=AccountKind.WELFARE)
    fund_allocate(org=fed, from_account=bank, to_account=welfare, amount_fen=10_000)
    client.force_login(make_staff(fed, Role.FEDERATION_ADMIN))
    page = client.get(reverse("admin:funds_ledgertransaction_changelist"))
    shown = text(page)
    assert str(ledgerkinds.label_for("allocation")) == "拨款"
    assert "拨款" in shown
    assert not re.search(r"\ballocation\b", shown)


def test_audit_log_shows_action_labels_and_linked_objects(client, fed):
    union = org_child(fed, name="一厂工会")
    member = make_member(union, name="王小明")
    with transaction.atomic():
        audit_record(actor=None, action="members.member.create", obj=member, org=union)
        audit_record(actor=None, action="mutualaid.claim.pay", obj=member, org=union)
    client.force_login(make_staff(fed, Role.FEDERATION_ADMIN))
    page = client.get(reverse("admin:core_auditentry_changelist"))
    shown = text(page)
    assert "members.member.create" not in shown and "mutualaid.claim.pay" not in shown
    assert "会员 · 创建" in shown
    assert "互助申请 · 支付" in shown
    member_url = reverse("admin:members_member_change", args=[member.pk])
    assert f'<a href="{member_url}">会员 #{member.pk}</a>' in page.content.decode()
    assert "members.member" not in shown


def test_object_link_is_plain_text_for_a_role_that_cannot_open_the_list(client, fed):
    """An auditor reads the audit log but may not open members: the object is named, not linked."""
    union = org_child(fed, name="一厂工会")
    member = make_member(union, name="王小明")
    with transaction.atomic():
        audit_record(actor=None, action="members.member.create", obj=member, org=union)
    auditor = make_staff(fed, Role.AUDITOR)
    client.force_login(auditor)
    page = client.get(reverse("admin:core_auditentry_changelist"))
    assert f"会员 #{member.pk}" in text(page)
    member_url = reverse("admin:members_member_change", args=[member.pk])
    can_open = client.get(member_url).status_code == 200
    assert (f'href="{member_url}"' in page.content.decode()) == can_open


def test_labels_fall_back_to_model_names_and_say_record_for_unknown_types():
    assert str(labels.action_label("benefits.redemption.void")) == "核销 · 作废"
    assert str(labels.object_label("benefits.redemption", 12)) == "核销 #12"
    assert str(labels.object_label("nowhere.thing", 3)) == "记录 #3"
    assert labels.action_label("nowhere.thing.happen") == "nowhere.thing.happen"


def test_every_ledger_kind_posted_has_a_label():
    """The kinds the apps post (constants in their services) are registered."""
    for kind in (
        "allocation",
        "reversal",
        "benefits.subsidy",
        "benefits.subsidy_void",
        "benefits.settlement",
        "mutualaid.premium",
        "mutualaid.payout",
        "activities.subsidy",
        "activities.subsidy_refund",
        "assistance.help",
    ):
        assert ledgerkinds.label_for(kind) != kind, kind
