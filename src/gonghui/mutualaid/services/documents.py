"""Claim documents: checked by content (magic bytes), size-capped, stored privately.

- Only PDF, JPEG and PNG; the file's first bytes decide, and the name's extension must agree
  (a program renamed ``.pdf`` is refused).
- At most ``MAX_DOCUMENT_BYTES`` (10 MB) and ``MAX_DOCUMENTS`` per claim.
- A name with a path in it (``/``, ``\\``, ``..``), control characters or no extension is
  refused; the name kept for display is cleaned; the file itself is stored under
  ``settings.PRIVATE_ROOT/mutualaid/`` with a random name, never under a public URL.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from gonghui.core.errors import Refused

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 5
MAX_NAME_CHARS = 120

# (content type, extensions, magic prefix)
_KINDS: tuple[tuple[str, tuple[str, ...], bytes], ...] = (
    ("application/pdf", (".pdf",), b"%PDF-"),
    ("image/jpeg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
    ("image/png", (".png",), b"\x89PNG\r\n\x1a\n"),
)
EXTENSION_OF = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    data: bytes
    sha256: str


def documents_dir() -> Path:
    path = Path(settings.PRIVATE_ROOT) / "mutualaid" / "documents"
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_name(name: Any) -> str:
    """The display name of an upload; refuses names that carry a path or control characters."""
    raw = str(name or "")
    if not raw.strip():
        raise Refused(code="document_name", message=_("The file has no name."), field="documents")
    if "/" in raw or "\\" in raw or ".." in raw or "\x00" in raw:
        raise Refused(
            code="document_name",
            message=_("A file name must not contain a path (/, \\ or ..)."),
            field="documents",
        )
    if any(unicodedata.category(ch).startswith("C") for ch in raw):
        raise Refused(
            code="document_name",
            message=_("A file name must not contain control characters."),
            field="documents",
        )
    cleaned = unicodedata.normalize("NFC", raw.strip()).lstrip(".")
    stem, dot, ext = cleaned.rpartition(".")
    if not dot or not stem:
        raise Refused(
            code="document_type",
            message=_("Only PDF, JPG and PNG files are accepted."),
            field="documents",
        )
    if len(cleaned) > MAX_NAME_CHARS:
        cleaned = stem[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext
    return cleaned


def check_upload(*, name: Any, stream: IO[bytes], size: int | None = None) -> CheckedUpload:
    """Read and check one upload; raises ``Refused`` (nothing stored) when it is not acceptable."""
    display = clean_name(name)
    if size is not None and size > MAX_DOCUMENT_BYTES:
        raise _too_large()
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _too_large()
    if not data:
        raise Refused(code="document_empty", message=_("The file is empty."), field="documents")
    ext = "." + display.rpartition(".")[2].lower()
    for content_type, extensions, magic in _KINDS:
        if data.startswith(magic):
            if ext not in extensions:
                raise Refused(
                    code="document_type",
                    message=_("The file's name does not match its content."),
                    field="documents",
                )
            return CheckedUpload(
                name=display,
                content_type=content_type,
                size=len(data),
                data=data,
                sha256=hashlib.sha256(data).hexdigest(),
            )
    raise Refused(
        code="document_type",
        message=_("Only PDF, JPG and PNG files are accepted."),
        field="documents",
    )


def _too_large() -> Refused:
    return Refused(
        code="document_too_large",
        message=_("A file may be at most %(mb)d MB.") % {"mb": MAX_DOCUMENT_BYTES // (1024 * 1024)},
        field="documents",
    )


def store(upload: CheckedUpload) -> str:
    """Write the checked bytes under a fresh random name; returns that name."""
    stored = secrets.token_hex(20) + EXTENSION_OF[upload.content_type]
    path = documents_dir() / stored
    with open(path, "xb") as fh:
        fh.write(upload.data)
    return stored


def stored_path(stored_name: str) -> Path | None:
    """The file of a stored name, only if it is inside the documents folder and exists."""
    root = documents_dir().resolve()
    path = (root / stored_name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def remove_quietly(stored_names: list[str]) -> None:
    """Remove files written for a claim whose transaction then failed."""
    for name in stored_names:
        path = stored_path(name)
        if path is not None:
            path.unlink(missing_ok=True)
