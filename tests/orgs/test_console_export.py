"""The console's .xlsx export action (orgs.console_export) on the six lists that offer it.

On the demo data, with a second federation next to it: the union admin's export holds the rows
of its subtree and nothing else, one audit entry counts them, a cell starting with ``=`` comes
back as text (read with openpyxl), headers are in zh-hans, times local, amounts in yuan, phones
masked and no full ID number anywhere. The demo is loaded once for all six lists (one test)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from gonghui.activities.models import Activity, Registration
from gonghui.assistance.models import HardshipFile
from gonghui.benefits.models import Merchant, Redemption
from gonghui.core.models import AuditEntry
from gonghui.core.timeutil import SHANGHAI
from gonghui.funds.models import LedgerEntry, LedgerTransaction
from gonghui.members.models import Member
from gonghui.mutualaid.models import AidClaim
from gonghui.orgs.console_export import Column, columns_problem
from gonghui.orgs.models import Org, Role
from gonghui.orgs.scoping import scope
from gonghui.rights.models import RightsCase
from tests.core.test_xlsx import PAYLOAD, assert_payload_is_text
from tests.factories import make_staff, org_child, org_root

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


EXPORTING = {
    Redemption,
    AidClaim,
    HardshipFile,
    RightsCase,
    Registration,
    LedgerTransaction,
}


@dataclass
class Case:
    model: type[Model]
    inside: Any  # the key (first column) of a row in the union admin's subtree
    outside: Any  # the key of a row elsewhere (another federation or another union)
    scope_field: str  # the FK path to the org of an exported row (for the expected set)
    row_model: type[Model] | None = None  # the model of the exported rows (ledger: entries)


def export(client: Client, model: type[Model]) -> tuple[list[tuple[Any, ...]], bytes]:
    opts = model._meta
    response = client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        {"action": "export_xlsx", "select_across": "1", "index": "0", "_selected_action": "0"},
    )
    assert response.status_code == 200, (opts.label, response.status_code)
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    ), (opts.label, response.content[:300])
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True)), response.content


def make_redemption(*, merchant_org: Org | None) -> Redemption:
    from gonghui.benefits import services
    from tests.benefits.factories import World, make_offer

    world = World()
    offer = make_offer(world.merchant)
    red = services.redemption_create(
        terminal=world.terminal,
        member=world.member,
        bill_fen=12_345,
        offer_id=offer.pk,
        at=dt.datetime.now(tz=SHANGHAI) - dt.timedelta(hours=1),
    )
    Member.objects.filter(pk=world.member.pk).update(name=PAYLOAD)
    if merchant_org is not None:
        Merchant.objects.filter(pk=world.merchant.pk).update(org=merchant_org)
    return red


def ledger_txn(org: Org) -> LedgerTransaction:
    from tests.benefits.factories import welfare_funded

    welfare_funded(org, amount_fen=50_000)
    return LedgerTransaction.objects.filter(org=org).latest("pk")


def test_export_lists_are_scoped_audited_and_text_safe():
    call_command("demo", stdout=io.StringIO())
    union_admin = get_user_model().objects.get(username="union_admin")
    ua_org = union_admin.role_assignments.get().org
    inside_union = (
        Org.objects.filter(path__startswith=ua_org.path, kind=Org.Kind.GRASSROOTS)
        .order_by("path")
        .first()
    )
    assert inside_union is not None
    elsewhere = org_child(org_root(name="别处市总工会"), name="别处基层工会")
    # Text a spreadsheet would run, where the exports write it: names of members and unions.
    Member.objects.update(name=PAYLOAD)
    Org.objects.filter(pk=inside_union.pk).update(name=PAYLOAD)
    inside_union.refresh_from_db()

    cases: list[Case] = []
    # Redemptions (none in the demo): one of a merchant inside, one of another federation.
    red_in = make_redemption(merchant_org=inside_union)
    red_out = make_redemption(merchant_org=None)
    cases.append(Case(Redemption, red_in.pk, red_out.pk, "merchant__org"))
    # Claims, hardship files, rights cases: one moved inside, one moved to the other federation.
    for model, key in ((AidClaim, "number"), (HardshipFile, "pk"), (RightsCase, "number")):
        first, second = model.objects.order_by("pk")[:2]
        model.objects.filter(pk=first.pk).update(org=inside_union)
        model.objects.filter(pk=second.pk).update(org=elsewhere)
        cases.append(Case(model, getattr(first, key), getattr(second, key), "org"))
    # Registrations: the activity of one moved inside, of another to the other federation.
    regs = list(Registration.objects.select_related("session").order_by("pk"))
    reg_in = regs[0]
    reg_out = next(r for r in regs if r.session.activity_id != reg_in.session.activity_id)
    Activity.objects.filter(pk=reg_in.session.activity_id).update(org=inside_union)
    Activity.objects.filter(pk=reg_out.session.activity_id).update(org=elsewhere)
    cases.append(Case(Registration, reg_in.pk, reg_out.pk, "session__activity__org"))
    # The ledger (append-only): a posting inside and one in the other federation.
    txn_in, txn_out = ledger_txn(inside_union), ledger_txn(elsewhere)
    cases.append(
        Case(LedgerTransaction, txn_in.pk, txn_out.pk, "transaction__org", row_model=LedgerEntry)
    )
    assert {c.model for c in cases} == EXPORTING

    client = Client()
    client.force_login(union_admin)
    model_admins = admin.site._registry
    for case in cases:
        label = case.model._meta.label
        model_admin = model_admins[case.model]
        rows, body = export(client, case.model)
        header, data = rows[0], rows[1:]
        keys = [row[0] for row in data]
        assert case.inside in keys, label
        assert case.outside not in keys, label
        # Exactly the union admin's subtree: the rows its scope gives, no more, no fewer.
        row_model = case.row_model or case.model
        expected = scope(
            row_model.objects.all(), union_admin, model_admin.view_capability, case.scope_field
        )
        assert len(data) == expected.count(), label
        # zh-hans headers; the payload comes back as text, never a formula.
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in str(h)) for h in header), (
            label,
            header,
        )
        assert_payload_is_text(body)
        # Personal data masked: no 11-digit phone, no 18-character ID number in any cell.
        for row in data:
            for value in row:
                text = str(value or "")
                assert not (len(text) == 11 and text.isdigit() and text.startswith("1")), label
                assert not (len(text) == 18 and text[:17].isdigit()), label
        # One audit entry, in the union admin's org, counting the rows.
        entry = AuditEntry.objects.filter(action=f"{case.model._meta.label_lower}.export").get()
        assert entry.actor == union_admin, label
        assert entry.org_id == ua_org.pk, label
        assert entry.data["rows"] == len(data), label

    # Amounts in yuan, times local: the redemption inside (bill ¥123.45, an hour ago).
    rows, _body = export(client, Redemption)
    header = list(rows[0])
    row = next(r for r in rows[1:] if r[0] == red_in.pk)
    assert row[header.index("消费金额（元）")] == pytest.approx(123.45)
    local = red_in.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert row[header.index("核销时间")] == local


def test_export_of_an_out_of_scope_selection_is_empty():
    """Selected ids outside the user's scope are not exported (the action sees the admin's
    scoped queryset only)."""
    from tests.factories import make_staff

    red_out = make_redemption(merchant_org=None)
    red_in = make_redemption(merchant_org=None)
    user = make_staff(red_in.merchant.org, "union_admin")
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("admin:benefits_redemption_changelist"),
        {"action": "export_xlsx", "index": "0", "_selected_action": [red_out.pk, red_in.pk]},
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    keys = [row[0] for row in list(sheet.iter_rows(values_only=True))[1:]]
    assert keys == [red_in.pk]


def test_every_exporting_admin_has_the_action_and_no_sealed_column():
    offered = {m for m, ma in admin.site._registry.items() if getattr(ma, "export_columns", ())}
    assert offered == EXPORTING
    for model in offered:
        model_admin = admin.site._registry[model]
        row_model = LedgerEntry if model is LedgerTransaction else model
        assert columns_problem(row_model, model_admin.export_columns) is None, model


def test_a_sealed_column_is_refused():
    assert columns_problem(Member, [Column("x", "member_no")]) is None
    assert columns_problem(Member, [Column("x", "phone_masked")]) is None
    assert columns_problem(Member, [Column("x", "id_number_cipher")])
    assert columns_problem(HardshipFile, [Column("x", "main_cause")])  # a SealedTextField
    assert columns_problem(HardshipFile, [Column("x", "member.phone_cipher")])
    assert columns_problem(RightsCase, [Column("x", "description")])


def test_the_ledger_export_names_kinds_by_their_labels():
    from gonghui.funds import ledgerkinds
    from tests.benefits.factories import welfare_funded

    org = org_root()
    welfare_funded(org, amount_fen=50_000)
    client = Client()
    client.force_login(make_staff(org, Role.FEDERATION_ADMIN))
    rows, _body = export(client, LedgerTransaction)
    kinds = {row[2] for row in rows[1:]}  # the third column: 类型
    assert kinds and not kinds & set(ledgerkinds.registered()), kinds
