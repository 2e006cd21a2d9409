"""Staff console of mutual aid: plans and categories (with ratio bands), enrolment batches and
premium invoices (.xlsx), enrolments, and the claims review queue (check, approve, reject with a
coded reason, pay) with the documents behind a permission-checked, audited view.

Claims hold health data: only ``mutualaid.view`` holders in scope see them, and every opening of
a claim's page and of a document is audited.

One module per mechanism; importing them registers the admins: ``plans`` (plans, categories),
``enrolment`` (batches, invoices, enrolments), ``claims`` (the review queue)."""

from . import claims, enrolment, plans
from .enrolment import invoice_xlsx

__all__ = ["claims", "enrolment", "invoice_xlsx", "plans"]
