"""Private uploads, generic: checked by content, size-capped, stored encrypted under a random
name in ``settings.PRIVATE_ROOT/<folder>/`` and served only by a view that has checked permission.

- Only PDF, JPEG and PNG: the first bytes (magic) decide, and the name's extension must agree
  (a program renamed ``.pdf`` is refused).
- At most ``max_bytes`` (default 10 MB); empty files are refused.
- A name with a path in it (``/``, ``\\``, ``..``), control characters or no extension is
  refused; the cleaned name is kept for display only; the stored name is random.
- ``stored_path`` resolves a stored name only inside its folder, so a crafted name cannot reach
  another file; ``file_response`` sends it with ``no-store`` and ``nosniff`` as an attachment.
- At rest a file is AES-256-GCM ciphertext under the PII keys (``core.crypto.encrypt_bytes``,
  the folder and stored name as associated data, so a file cannot stand in for another one),
  written with mode 0600; ``read_stored``/``file_response`` decrypt it for an authorised viewer.
  ``gonghui rotate-pii-key`` re-encrypts the files registered with ``core.sealed.register_files``.

Apps call ``check_upload`` → ``store`` inside their service, and ``remove_quietly`` when the
transaction that should have recorded the file fails.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _

from . import crypto
from .errors import Refused
from .sealed import write_private

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
    cleaned = unicodedata.normalize("NFC", raw.strip()).lstrip(".")
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
            message=_("A file may be at most %(mb)s MB.") % {"mb": f"{max_bytes / 2**20:g}"},
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


def file_purpose(folder: str, stored_name: str) -> str:
    """The associated data of a stored file's ciphertext."""
    return f"uploads.{folder}/{stored_name}"


def store(upload: CheckedUpload, *, folder: str) -> str:
    """Encrypt the checked bytes into a new file (mode 0600) under a fresh random name in
    ``folder``; returns that name."""
    stored = secrets.token_hex(20) + EXTENSION_OF[upload.content_type]
    blob = crypto.encrypt_bytes(upload.data, purpose=file_purpose(folder, stored))
    write_private(folder_path(folder) / stored, blob)
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


def read_stored(stored_name: str, *, folder: str) -> bytes | None:
    """The plain bytes of a stored file (None if there is no such file in ``folder``).
    Raises ``crypto.DecryptionError`` if it does not decrypt (tampered, moved, key missing)."""
    path = stored_path(stored_name, folder=folder)
    if path is None:
        return None
    return crypto.decrypt_bytes(path.read_bytes(), purpose=file_purpose(folder, stored_name))


def read_path(path: Path) -> bytes:
    """The plain bytes of a file returned by ``stored_path`` (its folder is in its path)."""
    root = Path(settings.PRIVATE_ROOT).resolve()
    resolved = path.resolve()
    folder = resolved.parent.relative_to(root).as_posix()
    return crypto.decrypt_bytes(resolved.read_bytes(), purpose=file_purpose(folder, resolved.name))


def file_response(
    path: Path, *, content_type: str, download_name: str, as_attachment: bool = True
) -> FileResponse:
    """Send a private file (``path`` from ``stored_path``), decrypted: never cached, never
    sniffed, as an attachment unless told otherwise."""
    response = FileResponse(
        io.BytesIO(read_path(path)),
        content_type=content_type,
        as_attachment=as_attachment,
        filename=download_name,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
