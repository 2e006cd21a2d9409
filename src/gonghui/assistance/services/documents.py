"""Evidence documents of a file: checked (type by content, size, safe name) and stored privately."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core import uploads
from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import Refused

from ..models import (
    HardshipDocument,
    HardshipFile,
)
from ..selectors import DOCUMENT_FOLDER

MAX_DOCUMENTS = 20


def document_add(
    *, file: HardshipFile, name: str, stream: Any, actor: Any, size: int | None = None
) -> HardshipDocument:
    """Check (type by content, size, safe name) and store one evidence document privately."""

    checked = uploads.check_upload(name=name, stream=stream, size=size, field="document")
    stored = uploads.store(checked, folder=DOCUMENT_FOLDER)
    try:
        with transaction.atomic():
            locked = HardshipFile.objects.select_for_update().get(pk=file.pk)
            if locked.documents.count() >= MAX_DOCUMENTS:
                raise Refused(
                    code="too_many_documents",
                    message=_("A file holds at most %(n)d documents.") % {"n": MAX_DOCUMENTS},
                    field="document",
                )
            doc = HardshipDocument.objects.create(
                file=locked,
                name=checked.name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                stored_name=stored,
                uploaded_by=actor if is_staff_actor(actor) else None,
            )
            audit_record(
                actor=actor,
                action="assistance.document.add",
                obj=doc,
                org=locked.org,
                data={"file": locked.pk, "size": checked.size, "type": checked.content_type},
            )
    except BaseException:
        uploads.remove_quietly([stored], folder=DOCUMENT_FOLDER)
        raise
    return doc
