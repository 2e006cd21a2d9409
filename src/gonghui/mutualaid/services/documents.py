"""Claim documents through ``core.uploads`` (the one upload mechanism): checked by content
(magic bytes), size-capped, stored encrypted (mode 0600) under ``PRIVATE_ROOT/mutualaid/documents``
with a random name, never under a public URL.

- Only PDF, JPEG and PNG; the file's first bytes decide, and the name's extension must agree.
- At most ``MAX_DOCUMENT_BYTES`` (10 MB) and ``MAX_DOCUMENTS`` per claim.
- Refusals name the form field ``documents``.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from gonghui.core import uploads
from gonghui.core.uploads import CheckedUpload

FOLDER = "mutualaid/documents"
MAX_DOCUMENT_BYTES = uploads.MAX_BYTES
MAX_DOCUMENTS = 5
FIELD = "documents"

__all__ = ["FOLDER", "MAX_DOCUMENTS", "MAX_DOCUMENT_BYTES", "CheckedUpload"]


def documents_dir() -> Path:
    return uploads.folder_path(FOLDER)


def clean_name(name: Any) -> str:
    return uploads.clean_name(name, field=FIELD)


def check_upload(*, name: Any, stream: IO[bytes], size: int | None = None) -> CheckedUpload:
    """Read and check one upload; raises ``Refused`` (nothing stored) when it is not acceptable."""
    return uploads.check_upload(
        name=name, stream=stream, size=size, max_bytes=MAX_DOCUMENT_BYTES, field=FIELD
    )


def store(upload: CheckedUpload) -> str:
    """Encrypt and write the checked bytes under a fresh random name; returns that name."""
    return uploads.store(upload, folder=FOLDER)


def stored_path(stored_name: str) -> Path | None:
    """The file of a stored name, only if it is inside the documents folder and exists."""
    return uploads.stored_path(stored_name, folder=FOLDER)


def remove_quietly(stored_names: list[str]) -> None:
    """Remove files written for a claim whose transaction then failed."""
    uploads.remove_quietly(stored_names, folder=FOLDER)
