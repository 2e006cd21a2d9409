"""Every concrete field of our models names itself: an explicit, translated ``verbose_name``.

Without one Django makes a label up from the attribute (``Pk``, ``Source type``, ``Waitlist
counter``) and the console shows it in English. Auto-created primary keys are exempt (shown as
ID nowhere), and so are fields a third-party abstract base declares (treebeard's ``path``,
``depth``, ``numchild``), which we do not define."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.utils.functional import Promise


def _declared_by_third_party(model: type[models.Model], name: str) -> bool:
    for base in model.__mro__[1:]:
        meta = getattr(base, "_meta", None)
        if meta is None or not meta.abstract or base.__module__.startswith("gonghui."):
            continue
        if any(f.name == name for f in meta.local_fields):
            return True
    return False


def fields_without_verbose_name() -> list[str]:
    missing = []
    for model in apps.get_models():
        if not model.__module__.startswith("gonghui."):
            continue
        for field in (*model._meta.concrete_fields, *model._meta.local_many_to_many):
            if field.auto_created or _declared_by_third_party(model, field.name):
                continue
            given = getattr(field, "_verbose_name", None)
            if not isinstance(given, Promise):  # None, or a plain str that is never translated
                missing.append(f"{model._meta.label}.{field.name}")
    return missing


def test_every_field_has_a_translated_verbose_name():
    missing = fields_without_verbose_name()
    assert not missing, (
        f"{len(missing)} fields without a translated verbose_name "
        "(Django shows the attribute name instead):\n" + "\n".join(missing)
    )
