"""Enrolment batches, invoices and premiums; claim submission; the review state machine; payout
through the ledger with a service event; figures."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import translation

from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.core.timeutil import local_today
from gonghui.funds.models import AccountKind, FundAccount, LedgerTransaction
from gonghui.funds.selectors import ledger_verify
from gonghui.members.models import Member, ServiceEvent
from gonghui.mutualaid import selectors, services
from gonghui.mutualaid.models import (
    AidClaim,
    AidEnrolment,
    ClaimDocument,
    EnrolmentBatch,
    PaidBy,
    PremiumInvoice,
)
from gonghui.orgs.models import Role
from tests.factories import make_member, make_staff

from .factories import (
    ENROLLED_AT,
    INVOICE_DATE,
    YEAR,
    build_world,
    claim_in,
    enrolment_of,
    fund,
    make_category,
    submit,
    upload,
)

pytestmark = pytest.mark.django_db
S = AidClaim.Status


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world():
    return build_world()


# --- enrolment --------------------------------------------------------------------------------


def test_batch_enrols_every_active_member_and_issues_the_invoice(world):
    batch = EnrolmentBatch.objects.get(plan=world.plan)
    assert batch.enrolled_count == 2 and batch.skipped_count == 0
    # each member enrolled is served once (docs/figures.md), at their own union
    events = ServiceEvent.objects.filter(kind="mutualaid.enrolment")
    enrolled = AidEnrolment.objects.filter(batch=batch)
    assert sorted(events.values_list("member_id", "org_id", "source_id")) == sorted(
        (e.member_id, e.member.org_id, str(e.pk)) for e in enrolled
    )
    e = enrolment_of(world)
    # ¥50 a share, the employer pays 70 %
    assert (e.premium_fen, e.unit_part_fen, e.member_part_fen) == (5000, 3500, 1500)
    assert e.coverage_from == dt.date(YEAR, 1, 2) and e.coverage_until == dt.date(YEAR, 12, 31)
    invoice = PremiumInvoice.objects.get(batch=batch)
    assert (invoice.member_count, invoice.total_fen, invoice.unit_part_fen) == (2, 10000, 7000)
    assert AuditEntry.objects.filter(action="mutualaid.batch.create").count() == 1


def test_second_batch_skips_enrolled_members_and_enrols_new_ones(world):
    newcomer = make_member(world.union, enterprise=world.enterprise)
    batch = services.enrolment_batch_create(
        plan=world.plan, enterprise=world.enterprise, actor=None, at=ENROLLED_AT
    )
    assert (batch.enrolled_count, batch.skipped_count) == (1, 2)
    assert AidEnrolment.objects.filter(member=newcomer).exists()
    assert ServiceEvent.objects.filter(kind="mutualaid.enrolment").count() == 3
    assert batch.invoice.member_count == 1


def test_batch_refusals(world):
    other = build_world("乙")
    with pytest.raises(Refused) as exc:
        services.enrolment_batch_create(
            plan=world.plan, enterprise=world.enterprise, actor=None, shares=4, at=ENROLLED_AT
        )
    assert exc.value.code == "invalid_shares"
    with pytest.raises(Refused) as exc:
        services.enrolment_batch_create(
            plan=world.plan,
            enterprise=world.enterprise,
            actor=None,
            at=dt.datetime(YEAR + 1, 1, 2, tzinfo=dt.UTC),
        )
    assert exc.value.code == "enrolment_closed"
    with pytest.raises(Refused) as exc:  # the other federation's plan does not serve this union
        services.enrolment_batch_create(
            plan=other.plan, enterprise=world.enterprise, actor=None, at=ENROLLED_AT
        )
    assert exc.value.code == "plan_not_for_org"
    with pytest.raises(Refused) as exc:
        services.enrolment_batch_create(
            plan=world.plan,
            enterprise=world.enterprise,
            actor=None,
            members=[other.member],
            at=ENROLLED_AT,
        )
    assert exc.value.code == "member_not_in_enterprise"


def test_paid_by_and_waiting_period():
    w = build_world("丙", waiting_days=30)
    e = enrolment_of(w)
    assert e.coverage_from == dt.date(YEAR, 2, 1)
    with pytest.raises(Refused) as exc:
        submit(w, invoice_date=dt.date(YEAR, 1, 20))
    assert exc.value.code == "waiting_period" and "2026-02-01" in str(exc.value.message)
    newcomer = make_member(w.union, enterprise=w.enterprise)
    services.enrolment_batch_create(
        plan=w.plan,
        enterprise=w.enterprise,
        actor=None,
        members=[newcomer],
        paid_by=PaidBy.MEMBER,
        shares=2,
        at=ENROLLED_AT,
    )
    e2 = enrolment_of(w, newcomer)
    assert (e2.premium_fen, e2.unit_part_fen, e2.member_part_fen) == (10000, 0, 10000)


def test_premiums_go_into_the_mutual_aid_fund(world):
    invoice = PremiumInvoice.objects.get(plan=world.plan)
    staff = make_staff(world.federation, Role.FEDERATION_ADMIN)
    services.premium_receive(invoice=invoice, actor=staff)
    fund_account = FundAccount.objects.get(org=world.federation, kind=AccountKind.MUTUAL_AID)
    assert fund_account.balance_fen == 10000
    clearing = FundAccount.objects.get(
        org=world.federation, kind=AccountKind.CLEARING, party_type="orgs.enterprise"
    )
    assert clearing.balance_fen == 10000 and clearing.party_id == str(world.enterprise.pk)
    txn = LedgerTransaction.objects.get(kind=services.KIND_PREMIUM)
    assert (txn.source_type, txn.source_id) == ("mutualaid.invoice", str(invoice.pk))
    with pytest.raises(Refused) as exc:
        services.premium_receive(invoice=invoice, actor=staff)
    assert exc.value.code == "invoice_paid"
    assert AuditEntry.objects.filter(action="mutualaid.invoice.paid").count() == 1
    assert ledger_verify().ok


# --- claims -----------------------------------------------------------------------------------


def test_submit_stores_the_document_privately(world, settings):
    claim = submit(world, invoice_no=" ab 123 ")
    assert claim.status == S.SUBMITTED and claim.invoice_no == "AB123"
    assert claim.number.startswith(f"MC{YEAR}") and claim.org == world.union
    doc = ClaimDocument.objects.get(claim=claim)
    assert doc.original_name == "invoice.pdf" and doc.content_type == "application/pdf"
    stored = list((settings.PRIVATE_ROOT / "mutualaid" / "documents").iterdir())
    assert [p.name for p in stored] == [doc.stored_name]
    assert doc.stored_name != "invoice.pdf" and len(doc.stored_name) == 44


def test_duplicate_invoice_names_the_earlier_claim_and_its_status(world):
    first = submit(world, invoice_no="FP-001")
    with pytest.raises(Refused) as exc:
        submit(world, member=world.members[1], invoice_no="fp-001")
    assert exc.value.code == "duplicate_invoice" and exc.value.status == 409
    message = str(exc.value.message)
    assert first.number in message and "Submitted" in message
    services.claim_check(claim=first, actor=None)
    with pytest.raises(Refused) as exc:
        submit(world, invoice_no="FP-001")
    assert "Checked" in str(exc.value.message)
    # A rejected claim frees its invoice number.
    services.claim_reject(claim=first, actor=None, reason="documents_missing")
    again = submit(world, invoice_no="FP-001")
    assert again.status == S.SUBMITTED


def test_submit_refusals(world):
    outsider = make_member(world.union)  # not enrolled
    cases = [
        ({"member": outsider}, "not_enrolled"),
        ({"invoice_date": dt.date(YEAR - 1, 12, 31)}, "not_covered"),
        ({"invoice_date": local_today() + dt.timedelta(days=2)}, "invoice_in_future"),
        ({"amount_fen": 0}, "invalid_amount"),
        ({"uploads": []}, "documents_missing"),
        ({"uploads": [upload() for _ in range(6)]}, "too_many_documents"),
    ]
    for kw, code in cases:
        with pytest.raises(Refused) as exc:
            submit(world, **kw)
        assert exc.value.code == code, kw
    assert AidClaim.objects.count() == 0 and ClaimDocument.objects.count() == 0


def test_staff_may_enter_a_claim_without_documents_and_it_is_audited(world):
    staff = make_staff(world.union, Role.REVIEWER)
    claim = submit(world, uploads=[], actor=staff)
    assert claim.submitted_by == staff
    assert AuditEntry.objects.filter(
        action="mutualaid.claim.create", object_id=str(claim.pk)
    ).exists()
    with pytest.raises(Refused) as exc:  # nothing to check without documents
        services.claim_check(claim=claim, actor=staff)
    assert exc.value.code == "documents_missing"


# --- the state machine ------------------------------------------------------------------------

ACTIONS = {
    "check": lambda c: services.claim_check(claim=c, actor=None),
    "approve": lambda c: services.claim_approve(claim=c, actor=None),
    "reject": lambda c: services.claim_reject(claim=c, actor=None, reason="not_covered"),
    "pay": lambda c: services.claim_pay(claim=c, actor=None),
}
LEGAL = {
    (S.SUBMITTED, "check"): S.CHECKED,
    (S.SUBMITTED, "reject"): S.REJECTED,
    (S.CHECKED, "approve"): S.APPROVED,
    (S.CHECKED, "reject"): S.REJECTED,
    (S.APPROVED, "pay"): S.PAID,
}


@pytest.mark.parametrize(
    ("status", "action"), list(itertools.product(S.values, ACTIONS)), ids=lambda v: str(v)
)
def test_every_transition(world, status, action):
    fund(world.plan, 10_000_000)
    claim = claim_in(world, status)
    before = AuditEntry.objects.count()
    if (status, action) in LEGAL:
        done = ACTIONS[action](claim)
        assert done.status == LEGAL[(status, action)]
        assert AidClaim.objects.get(pk=claim.pk).status == done.status
        assert AuditEntry.objects.count() == before + 1
    else:
        with pytest.raises(Refused) as exc:
            ACTIONS[action](claim)
        assert exc.value.code == "illegal_transition" and exc.value.status == 409
        assert str(exc.value.message)  # a message people can read
        assert str(S(status).label) in str(exc.value.message)
        assert AidClaim.objects.get(pk=claim.pk).status == status
        assert AuditEntry.objects.count() == before


def test_reject_needs_a_known_reason_and_text_for_other(world):
    claim = submit(world)
    with pytest.raises(Refused) as exc:
        services.claim_reject(claim=claim, actor=None, reason="because")
    assert exc.value.code == "invalid_reason"
    with pytest.raises(Refused) as exc:
        services.claim_reject(claim=claim, actor=None, reason="other", text=" ")
    assert exc.value.code == "reason_text_required"
    done = services.claim_reject(claim=claim, actor=None, reason="other", text="发票不清晰")
    assert (done.reject_reason, done.reject_text) == ("other", "发票不清晰")


def test_approve_explains_and_pay_posts_to_the_ledger_with_a_service_event(world):
    fund(world.plan, 2_000_000)
    reviewer = make_staff(world.union, Role.REVIEWER)
    claim = services.claim_check(claim=submit(world, amount_fen=2_000_000), actor=reviewer)
    claim = services.claim_approve(claim=claim, actor=reviewer)
    assert claim.payout_fen == 1_050_000
    assert [line["code"] for line in claim.explanation][-1] == "result"
    claim = services.claim_pay(claim=claim, actor=reviewer)
    assert claim.status == S.PAID and claim.paid_at is not None
    txn = LedgerTransaction.objects.get(pk=claim.ledger_transaction_id)
    assert (txn.kind, txn.source_type, txn.source_id) == (
        "mutualaid.payout",
        "mutualaid.claim",
        str(claim.pk),
    )
    entries = {e.account.kind: e.amount_fen for e in txn.entries.select_related("account")}
    assert entries == {AccountKind.MUTUAL_AID: 1_050_000, AccountKind.CLEARING: -1_050_000}
    event = ServiceEvent.objects.get(kind="mutualaid.claim_paid")
    assert (event.member_id, event.amount_fen, event.source_id) == (
        world.member.pk,
        1_050_000,
        str(claim.pk),
    )
    aid = FundAccount.objects.get(org=world.federation, kind=AccountKind.MUTUAL_AID)
    assert aid.balance_fen == 2_000_000 - 1_050_000
    assert ledger_verify().ok


def test_pay_is_refused_when_the_fund_is_short(world):
    claim = claim_in(world, S.APPROVED)
    with pytest.raises(Refused) as exc:
        services.claim_pay(claim=claim, actor=None)
    assert exc.value.code == "insufficient_funds"
    assert AidClaim.objects.get(pk=claim.pk).status == S.APPROVED
    assert not ServiceEvent.objects.filter(kind="mutualaid.claim_paid").exists()


def test_yearly_cap_across_sequential_claims(world):
    # cap ¥50,000; each ¥100,000 bill pays 4,500 + 24,000 + 35,000 = ¥63,500 by the bands
    first = claim_in(world, S.APPROVED, amount_fen=10_000_000)
    assert first.payout_fen == 5_000_000
    second = claim_in(world, S.CHECKED, amount_fen=10_000_000)
    with pytest.raises(Refused) as exc:
        services.claim_approve(claim=second, actor=None)
    assert exc.value.code == "nothing_to_pay"
    # a second category has its own cap
    outpatient = make_category(
        world.plan,
        kind="special_outpatient",
        deductible_fen=0,
        annual_cap_fen=300_000,
        bands=((None, 8000),),
    )
    third = claim_in(world, S.APPROVED, amount_fen=500_000, category=outpatient)
    assert third.payout_fen == 300_000
    # a rejected claim does not count against the cap
    assert (
        services.paid_this_year(
            enrolment=enrolment_of(world), category=world.inpatient, exclude=None
        )
        == 5_000_000
    )


def test_shares_raise_the_cap():
    w = build_world("丁", shares=2)
    claim = claim_in(w, S.APPROVED, amount_fen=20_000_000)
    assert claim.payout_fen == 10_000_000


def test_figures_per_subtree_and_year(world):
    fund(world.plan, 10_000_000)
    claim_in(world, S.PAID, amount_fen=2_000_000)
    claim_in(world, S.PAID, amount_fen=1_100_000, member=world.members[1])
    claim_in(world, S.APPROVED, amount_fen=1_100_000)
    claim_in(world, S.REJECTED)
    got = selectors.figures(org=world.federation, year=YEAR)
    assert got == {
        "year": YEAR,
        "insured_person_times": 2,
        "reimbursements": 2,
        "amount_paid_fen": 1_050_000 + 510_000,
    }
    assert selectors.figures(org=world.union, year=YEAR)["reimbursements"] == 2
    assert selectors.figures(org=world.federation, year=YEAR - 1)["insured_person_times"] == 0
    other = build_world("戊")
    assert selectors.figures(org=other.federation, year=YEAR)["reimbursements"] == 0


def test_inactive_member_cannot_be_enrolled(world):
    leaver = make_member(world.union, enterprise=world.enterprise)
    Member.objects.filter(pk=leaver.pk).update(status=Member.Status.LEFT)
    leaver.refresh_from_db()
    with pytest.raises(Refused) as exc:
        services.enrolment_batch_create(
            plan=world.plan,
            enterprise=world.enterprise,
            actor=None,
            members=[leaver],
            at=ENROLLED_AT,
        )
    assert exc.value.code == "member_inactive"


def test_invoice_date_constant_is_inside_coverage():
    assert INVOICE_DATE.year == YEAR
