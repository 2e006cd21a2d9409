from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gonghui.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import (
            chain,
            checks,  # noqa: F401  (registers the system checks)
            dbroles,
        )
        from .models import AuditEntry, SmsMessage
        from .sealed import register_columns

        # The SMS outbox's sealed phone, parameters and text (`gonghui rotate-pii-key`).
        register_columns(SmsMessage)

        # The audit log's hash chain (core.chain). Fields are fixed once rows are sealed.
        chain.register(
            "core.audit",
            model=AuditEntry,
            fields=(
                "id",
                "at",
                "actor_id",
                "actor_label",
                "action",
                "org_id",
                "object_type",
                "object_id",
                "object_repr",
                "data",
                "ip",
            ),
        )
        # After every `gonghui migrate`: privileges of the runtime role (core.dbroles).
        post_migrate.connect(dbroles.on_post_migrate, sender=self)
