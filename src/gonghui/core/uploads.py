"""Private uploads, generic: checked by content, size-capped, stored under a random name in
``settings.PRIVATE_ROOT/<folder>/`` and served only by a view that has checked permission.

- Only PDF, JPEG and PNG: the first bytes (magic) decide, and the name's extension must agree
  (a program renamed ``.pdf`` is refused).
- At most ``max_bytes`` (default 10 MB); empty files are refused.
- A name with a path in it (``/``, ``\\``, ``..``), control characters or no extension is
  refused; the cleaned name is kept for display only; the stored name is random.
- ``stored_path`` resolves a stored name only inside its folder, so a crafted name cannot reach
  another file; ``file_response`` sends it with ``no-store`` and ``nosniff`` as an attachment.

Apps call ``check_upload`` → ``store`` inside their service, and ``remove_quietly`` when the
transaction that should have recorded the file fails.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _

from .errors import Refused

MAX_BYTES = 10 * 1024 * 1024
MAX_NAME_CHARS = 120

# (content type, extensions, magic prefix)
KINDS: tuple[tuple[str, tuple[str, ...], bytes], ...] = (
    ("application/pdf", (".pdf",), b"%PDF-"),
    ("image/jpeg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
    ("image/png", (".png",), b"\x89PNG\r\n\x1a\n"),
)
EXTENSION_OF = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_FOLDER_RE = re.compile(r"^[a-z][a-z0-9_]*(/[a-z0-9_]+)*$")


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    data: bytes
    sha256: str


def folder_path(folder: str) -> Path:
    """``PRIVATE_ROOT/<folder>`` (created); ``folder`` is a fixed app name like "assistance"."""
    if not _FOLDER_RE.match(folder):
        raise ValueError("folder must be a plain lowercase path such as 'assistance/documents'")
    path = Path(settings.PRIVATE_ROOT) / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def clean_name(name: Any, *, field: str = "document") -> str:
    """The display name of an upload; refuses names that carry a path or control characters."""
    raw = str(name or "")
    if not raw.strip():
        raise Refused(code="document_name", message=_("The file has no name."), field=field)
    if "/" in raw or "\\" in raw or ".." in raw or "\x00" in raw:
        raise Refused(
            code="document_name",
            message=_("A file name must not contain a path (/, \\ or ..)."),
            field=field,
        )
    if any(unicodedata.category(ch).startswith("C") for ch in raw):
        raise Refused(
            code="document_name",
            message=_("A file name must not contain control characters."),
            field=field,
        )
    cleaned = unicodedata.normalize("NFC", raw.strip())
    stem, dot, ext = cleaned.rpartition(".")
    if not dot or not stem:
        raise Refused(
            code="document_type",
            message=_("Only PDF, JPG and PNG files are accepted."),
            field=field,
        )
    if len(cleaned) > MAX_NAME_CHARS:
        cleaned = stem[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext
    return cleaned


def check_upload(
    *,
    name: Any,
    stream: IO[bytes],
    size: int | None = None,
    max_bytes: int = MAX_BYTES,
    field: str = "document",
) -> CheckedUpload:
    """Read and check one upload; raises ``Refused`` (nothing stored) when it is not acceptable."""
    display = clean_name(name, field=field)

    def too_large() -> Refused:
        return Refused(
            code="document_too_large",
            message=_("A file may be at most %(mb)s MB.") % {"mb": round(max_bytes / 2**20, 1)},
            field=field,
        )

    if size is not None and size > max_bytes:
        raise too_large()
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large()
    if not data:
        raise Refused(code="document_empty", message=_("The file is empty."), field=field)
    ext = "." + display.rpartition(".")[2].lower()
    for content_type, extensions, magic in KINDS:
        if data.startswith(magic):
            if ext not in extensions:
                raise Refused(
                    code="document_type",
                    message=_("The file's name does not match its content."),
                    field=field,
                )
            return CheckedUpload(
                name=display,
                content_type=content_type,
                size=len(data),
                data=data,
                sha256=hashlib.sha256(data).hexdigest(),
            )
    raise Refused(
        code="document_type", message=_("Only PDF, JPG and PNG files are accepted."), field=field
    )


def store(upload: CheckedUpload, *, folder: str) -> str:
    """Write the checked bytes under a fresh random name in ``folder``; returns that name."""
    stored = secrets.token_hex(20) + EXTENSION_OF[upload.content_type]
    with open(folder_path(folder) / stored, "xb") as fh:
        fh.write(upload.data)
    return stored


def stored_path(stored_name: str, *, folder: str) -> Path | None:
    """The file of a stored name, only if it lies inside ``folder`` and exists."""
    root = folder_path(folder).resolve()
    path = (root / stored_name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def remove_quietly(stored_names: list[str], *, folder: str) -> None:
    """Remove files written for a record whose transaction then failed."""
    for name in stored_names:
        path = stored_path(name, folder=folder)
        if path is not None:
            path.unlink(missing_ok=True)


def file_response(path: Path, *, content_type: str, download_name: str) -> FileResponse:
    """Send a private file: never cached, never sniffed, as an attachment."""
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        content_type=content_type,
        as_attachment=True,
        filename=download_name,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
