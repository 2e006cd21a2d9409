"""Writes of the mutual-aid app. Keyword-only, typed, one transaction each; ``Refused`` on bad
input. The calculator (``calculator.py``) is a pure function; documents are checked and stored
by ``core.uploads`` (folder ``models.DOCUMENT_FOLDER``)."""

from .claims import (
    EVENT_PAID,
    KIND_PAYOUT,
    Upload,
    claim_approve,
    claim_check,
    claim_pay,
    claim_reject,
    claim_submit,
    claim_view_record,
    document_open_record,
    normalise_invoice_no,
    paid_this_year,
    rule_of,
)
from .enrolment import (
    KIND_PREMIUM,
    coverage_window,
    enrolment_batch_create,
    plan_covers_org,
    premium_parts,
    premium_receive,
)

__all__ = [
    "EVENT_PAID",
    "KIND_PAYOUT",
    "KIND_PREMIUM",
    "Upload",
    "claim_approve",
    "claim_check",
    "claim_pay",
    "claim_reject",
    "claim_submit",
    "claim_view_record",
    "coverage_window",
    "document_open_record",
    "enrolment_batch_create",
    "normalise_invoice_no",
    "paid_this_year",
    "plan_covers_org",
    "premium_parts",
    "premium_receive",
    "rule_of",
]
