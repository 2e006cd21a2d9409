"""Writes of the code app, by mechanism: ``verify`` (code verification, lockout, high-water mark),
``credentials`` (issue, revoke, unlock), ``terminals`` (create, update, context check, keys,
posters), ``scans`` (the scan pipeline: dispatch, rate limits, stored answers). See
docs/code-protocol.md. The key helpers (``KEY_PREFIX``, ``key_hash``) live in ``selectors``."""

from ..selectors import KEY_PREFIX, key_hash
from .credentials import credential_issue, credential_revoke, credential_unlock
from .scans import MAX_PAYLOAD_BYTES, ScanResult, scan_code, scan_poster
from .terminals import (
    POSTER_SALT,
    poster_terminal,
    poster_token,
    terminal_context_check,
    terminal_create,
    terminal_disable,
    terminal_enable,
    terminal_key_new,
    terminal_key_rotate,
    terminal_poster_rotate,
    terminal_refusal,
    terminal_update,
)
from .verify import (
    REASONS,
    Checked,
    code_refusal,
    code_verify,
    fail_window,
    lock_duration,
    lock_threshold,
    seed_of,
)

__all__ = [
    "KEY_PREFIX",
    "MAX_PAYLOAD_BYTES",
    "POSTER_SALT",
    "REASONS",
    "Checked",
    "ScanResult",
    "code_refusal",
    "code_verify",
    "credential_issue",
    "credential_revoke",
    "credential_unlock",
    "fail_window",
    "key_hash",
    "lock_duration",
    "lock_threshold",
    "poster_terminal",
    "poster_token",
    "scan_code",
    "scan_poster",
    "seed_of",
    "terminal_context_check",
    "terminal_create",
    "terminal_disable",
    "terminal_enable",
    "terminal_key_new",
    "terminal_key_rotate",
    "terminal_poster_rotate",
    "terminal_refusal",
    "terminal_update",
]
