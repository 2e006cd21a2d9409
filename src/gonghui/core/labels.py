"""Readable names for the codes the apps store: audit actions and object references.

The audit log stores ``action`` as ``<app>.<object>.<verb>`` and the object as its model label
(``benefits.redemption``) and id. A person reads neither: the console shows
``action_label(action)`` and ``object_label(type, id)`` (「核销 #123」).

An action's label is, in order: the label an app registered for it with ``register_action``
(from its ``AppConfig.ready()``); else the object's model name and the verb's label
(「核销 · 作废」) when both are known (``register_verb`` adds a verb); else the code itself,
which the page walk (``tests/walk``) reports, so that a new action gets its label.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

_ACTIONS: dict[str, Any] = {}
_TYPES: dict[str, Any] = {}
_VERBS: dict[str, Any] = {
    "create": _("created"),
    "add": _("added"),
    "change": _("changed"),
    "update": _("changed"),
    "delete": _("deleted"),
    "approve": _("approved"),
    "reject": _("rejected"),
    "view": _("viewed"),
    "open": _("opened"),
    "list": _("list viewed"),
    "export": _("exported"),
    "import": _("imported"),
    "assign": _("assigned"),
    "cancel": _("cancelled"),
    "close": _("closed"),
    "void": _("voided"),
    "paid": _("marked paid"),
    "post": _("posted"),
    "set": _("set"),
    "status": _("status changed"),
    "lock": _("locked"),
    "unlock": _("unlocked"),
    "revoke": _("revoked"),
    "enable": _("enabled"),
    "disable": _("disabled"),
    "issue": _("issued"),
    "publish": _("published"),
    "run": _("run"),
    "commit": _("committed"),
    "remind": _("reminded"),
    "link": _("linked"),
    "advance": _("advanced"),
    "answer": _("answered"),
    "note": _("note added"),
    "verify": _("verified"),
    "check": _("checked"),
    "pay": _("paid"),
    "party_add": _("party added"),
    "create_recurring": _("weekly bookings created"),
    "capacity": _("places changed"),
    "terminal": _("terminal created"),
    "poster": _("poster printed"),
    "rotate_poster": _("poster renewed"),
    "rotate_key": _("key rotated"),
    "close_attendance": _("attendance closed"),
    "staff": _("checked in by staff"),
    "stock": _("stock changed"),
    "statement": _("statement downloaded"),
    "generate_slots": _("slots generated"),
    "activity_create": _("run as an activity"),
    "activity_link": _("linked to an activity"),
    "success": _("succeeded"),
    "failure": _("failed"),
    "lockout": _("locked out"),
    "reset": _("reset"),
    "reveal_id_number": _("ID number revealed"),
    "reveal_phone": _("phone revealed"),
}


def register_action(action: str, label: Any) -> None:
    """Register the (lazily translated) label of an audit action ``<app>.<object>.<verb>``."""
    if "." not in action:
        raise ValueError("an audit action is '<app>.<object>.<verb>'")
    _ACTIONS[action] = label


def register_verb(verb: str, label: Any) -> None:
    """Register the label of a verb, the last part of actions named after a model."""
    _VERBS[verb] = label


def register_type(type_label: str, label: Any) -> None:
    """Name an object type that is not a model label (``mutualaid.claim``, ``staffauth.login``):
    ledger sources and the object part of audit actions."""
    _TYPES[type_label] = label


def model_for(type_label: str) -> Any:
    """The model named ``<app>.<model>`` (underscores ignored), or None."""
    app_label, _dot, name = type_label.partition(".")
    if not name:
        return None
    try:
        return apps.get_model(app_label, name.replace("_", ""))
    except LookupError:
        return None


def action_label(action: str) -> Any:
    """What a person reads for an audit action; the code itself when nothing names it."""
    if action in _ACTIONS:
        return _ACTIONS[action]
    head, _dot, verb = action.rpartition(".")
    noun = type_name(head)
    if noun is not None and verb in _VERBS:
        return format_lazy("{} · {}", noun, _VERBS[verb])
    return action


def type_name(type_label: str) -> Any:
    """The name of an object type: registered, else its model's verbose name, else None."""
    if type_label in _TYPES:
        return _TYPES[type_label]
    model = model_for(type_label)
    return model._meta.verbose_name if model is not None else None


def object_label(type_label: str, object_id: Any) -> Any:
    """「核销 #123」 for ``("benefits.redemption", 123)``; ``#123`` when the type is unknown."""
    if not type_label:
        return f"#{object_id}" if object_id not in (None, "") else ""
    return format_lazy("{} #{}", type_name(type_label) or _("Other record"), object_id)


def registered_actions() -> dict[str, Any]:
    return dict(_ACTIONS)


def type_name_or_code(type_label: str) -> Any:
    return type_name(type_label) or type_label
