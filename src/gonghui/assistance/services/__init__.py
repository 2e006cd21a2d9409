"""Writes of hardship assistance: files, their state machine, gradient rules and help records,
review reminders, evidence documents. Keyword-only; one transaction each; ``Refused`` on bad
input.

- ``files``: apply, recompute, transitions, assignment (and the per-capita income rule);
- ``help``: gradient rules and help records (paid through the ledger);
- ``reviews``: yearly review reminders;
- ``documents``: evidence documents.

Reads (``rule_for``, ``help_given``, the documents' storage folder) are in ``selectors``."""

from ..selectors import DOCUMENT_FOLDER, rule_for
from .documents import MAX_DOCUMENTS, document_add
from .files import (
    ACTION_LABELS,
    MAX_AMOUNT_FEN,
    MAX_HOUSEHOLD,
    REVIEW_INTERVAL_DAYS,
    SUPERVISOR_ACTIONS,
    TRANSITIONS,
    file_apply,
    file_assign,
    file_recompute,
    file_transition,
    per_capita_fen,
)
from .help import help_record_create, rule_set
from .reviews import review_reminders_send

__all__ = [
    "ACTION_LABELS",
    "DOCUMENT_FOLDER",
    "MAX_AMOUNT_FEN",
    "MAX_DOCUMENTS",
    "MAX_HOUSEHOLD",
    "REVIEW_INTERVAL_DAYS",
    "SUPERVISOR_ACTIONS",
    "TRANSITIONS",
    "document_add",
    "file_apply",
    "file_assign",
    "file_recompute",
    "file_transition",
    "help_record_create",
    "per_capita_fen",
    "review_reminders_send",
    "rule_for",
    "rule_set",
]
