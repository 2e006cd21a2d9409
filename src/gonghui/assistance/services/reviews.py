"""Yearly review reminders: the case worker of each file whose review falls due is told once per
due period."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils.translation import gettext as _

from gonghui.core.audit import audit_record
from gonghui.core.sms import sms_send
from gonghui.core.timeutil import local_today

from ..models import (
    HardshipFile,
)
from ..selectors import files_due_for_review


def review_reminders_send(*, today: dt.date | None = None) -> int:
    """Tell each file's case worker (or, unassigned, the log) that a yearly review falls due.

    A file is reminded once per due period (``reminded_on`` is cleared by the review). Returns
    the number of files reminded. Staff users carry no phone here, so the notice goes to the
    ``gonghui.assistance`` log; with a phone on the user (``user.phone``) it is sent by SMS."""

    log = logging.getLogger("gonghui.assistance")
    today = today or local_today()
    count = 0
    for file in files_due_for_review(today=today).filter(reminded_on__isnull=True):
        with transaction.atomic():
            taken = HardshipFile.objects.filter(pk=file.pk, reminded_on__isnull=True).update(
                reminded_on=today
            )
            if taken != 1:
                continue
            worker = file.case_worker
            params = {"pk": file.pk, "org": file.org.name, "due": file.next_review_on}
            message = (
                _("Hardship file #%(pk)s (%(org)s) is due for its yearly review on %(due)s.")
                % params
            )
            phone = getattr(worker, "phone", "") if worker is not None else ""
            if phone:
                sms_send(
                    phone=phone,
                    template="assistance.review_due",
                    params=params,
                    message=str(message),
                    org_id=file.org_id,
                )
            log.info(
                "review reminder: file %s to %s: %s",
                file.pk,
                worker.get_username() if worker is not None else "(unassigned)",
                message,
            )
            audit_record(
                actor=None,
                action="assistance.file.remind",
                obj=file,
                org=file.org,
                data={"case_worker": getattr(worker, "pk", None), "due": str(file.next_review_on)},
            )
            count += 1
    return count
