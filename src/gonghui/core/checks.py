"""System checks (``gonghui check``; ``--deploy`` adds the deployment ones).

- ``core.E101`` / ``core.E102``: ``GONGHUI_PII_KEYS`` / ``GONGHUI_BLIND_INDEX_KEY`` are not
  32 bytes of base64 (every command that runs checks refuses: runserver, migrate…).
- ``core.E103``: the SMS backend sends nothing (console or memory) — ``--deploy`` only, since the
  embedded default prints codes to the log on purpose.
- ``core.E104``: the SMS backend cannot be imported — ``--deploy`` only.
- ``core.E105``: a provider backend of the SMS backend or of the fallback order lacks its
  credentials, signature or template table, or its table is not JSON — ``--deploy`` only.

Production also refuses the first three at start-up (``settings.py``), with the same messages
(``core.prodcheck``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.utils.module_loading import import_string

from . import prodcheck


@register(Tags.security)
def check_personal_data_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for problem in prodcheck.pii_keys_problems(settings.GONGHUI_PII_KEYS):
        errors.append(Error(problem, id="core.E101"))
    for problem in prodcheck.blind_index_key_problems(settings.GONGHUI_BLIND_INDEX_KEY):
        errors.append(Error(problem, id="core.E102"))
    return errors


@register(Tags.security, deploy=True)
def check_sms_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    path = settings.GONGHUI_SMS_BACKEND
    problem = prodcheck.sms_backend_problem(path)
    if problem:
        return [Error(problem, id="core.E103")]
    try:
        import_string(path.strip())
    except ImportError as exc:
        return [
            Error(
                f"GONGHUI_SMS_BACKEND {path!r} cannot be imported: {exc}",
                hint="Give the dotted path of an SMS backend class, e.g. gonghui.core.sms.AliyunSmsBackend.",
                id="core.E104",
            )
        ]
    return []


# The settings each provider backend needs (core.sms.aliyun, core.sms.tencent).
SMS_PROVIDER_SETTINGS = {
    "gonghui.core.sms.AliyunSmsBackend": (
        "GONGHUI_SMS_ALIYUN_ACCESS_KEY_ID",
        "GONGHUI_SMS_ALIYUN_ACCESS_KEY_SECRET",
        "GONGHUI_SMS_ALIYUN_SIGN_NAME",
        "GONGHUI_SMS_ALIYUN_TEMPLATES",
    ),
    "gonghui.core.sms.TencentSmsBackend": (
        "GONGHUI_SMS_TENCENT_SECRET_ID",
        "GONGHUI_SMS_TENCENT_SECRET_KEY",
        "GONGHUI_SMS_TENCENT_SDK_APP_ID",
        "GONGHUI_SMS_TENCENT_SIGN_NAME",
        "GONGHUI_SMS_TENCENT_TEMPLATES",
    ),
}


@register(Tags.security, deploy=True)
def check_sms_providers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    import json
    from operator import attrgetter  # every name is declared in settings.py: no default

    errors: list[CheckMessage] = []
    paths = [settings.GONGHUI_SMS_BACKEND, *settings.GONGHUI_SMS_FALLBACK]
    for path in dict.fromkeys(str(p).strip() for p in paths if p):
        names = SMS_PROVIDER_SETTINGS.get(path, ())
        missing = [name for name in names if not attrgetter(name)(settings)]
        if missing:
            errors.append(
                Error(
                    f"{path} needs {', '.join(missing)} (or the same names with _FILE)",
                    hint="See docs/deployment.md, SMS.",
                    id="core.E105",
                )
            )
            continue
        for name in names:
            if name.endswith("_TEMPLATES"):
                try:
                    table = json.loads(attrgetter(name)(settings))
                except ValueError:
                    table = None
                if not isinstance(table, dict):
                    errors.append(
                        Error(f"{name} is not a JSON object of template keys", id="core.E105")
                    )
    return errors
