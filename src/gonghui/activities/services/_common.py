"""Shared by the activity writes: constants, the capability check, SMS notices after commit, and
the one conditional UPDATE that takes a place of a session."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import translation

from gonghui.core import crypto
from gonghui.core.errors import NotFound
from gonghui.core.sms import sms_send
from gonghui.members.models import Member
from gonghui.members.pii import open_phone
from gonghui.orgs.scoping import can

from ..models import Activity, Registration, Session

log = logging.getLogger("gonghui.activities.services")  # the name it always had

PURPOSE_DRAW_SEED = "activities.draw_seed"
ACTIVITY_SOURCE = "activities.activity"  # members.attendance source name
CHECKIN_OPENS_BEFORE = dt.timedelta(hours=2)
Status = Registration.Status


def _require(actor: Any, capability: str, activity: Activity) -> None:
    if not can(actor, capability, activity.org):
        raise NotFound()


@dataclass(frozen=True)
class Notice:
    """An SMS notice: the provider template's key and parameters, and the rendered text."""

    template: str
    params: dict[str, str]
    text: str


def _notify(member: Member, notice: Notice) -> None:
    """Send an SMS after the transaction commits (never for a rolled-back change)."""

    def send() -> None:
        try:
            phone = open_phone(member)
        except crypto.DecryptionError:
            log.error("cannot open the phone of member %s for an activity notice", member.pk)
            return
        sms_send(
            phone=phone,
            template=notice.template,
            params=notice.params,
            message=notice.text,
            org_id=member.org_id,
        )

    transaction.on_commit(send)


def _msg(template: str, text: Any, **kw: Any) -> Notice:
    """An SMS notice for ``template`` (``text`` is a gettext_lazy string rendered in the site's
    language with ``kw``, which are also the template's parameters)."""
    with translation.override(settings.LANGUAGE_CODE):
        rendered = str(text) % kw if kw else str(text)
    return Notice(template=template, params={k: str(v) for k, v in kw.items()}, text=rendered)


def _take_place(session_pk: int) -> bool:
    return (
        Session.objects.filter(pk=session_pk, places_left__gte=1).update(
            places_left=F("places_left") - 1
        )
        == 1
    )
