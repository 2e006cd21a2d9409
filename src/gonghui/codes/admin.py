"""Staff console for codes: terminals (key shown once, disable, poster QR), credentials (revoke,
unlock — audited) and the scan log. Org-scoped through ``ScopedAdmin``."""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.audit import audit_record, client_ip
from gonghui.core.errors import Refused
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.admin_labels import LabelledAdmin, code_filter
from gonghui.orgs.scoping import can, visible_orgs

from . import dispatch, services
from .models import Credential, ScanRecord, Terminal


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


class TerminalForm(forms.ModelForm):
    context_type = forms.CharField(
        label=gettext_lazy("Context type"),
        max_length=48,
        help_text=gettext_lazy(
            "The kind of place the terminal serves, e.g. a store or an activity."
        ),
    )

    class Meta:
        model = Terminal
        fields = ["name", "kind", "org", "context_type", "context_id"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(r.context_type, r.label) for r in dispatch.registered()]
        current = self.instance.context_type if self.instance.pk else ""
        if current and current not in {c for c, _label in choices}:
            choices.append((current, current))
        if choices:
            self.fields["context_type"] = forms.ChoiceField(
                label=gettext_lazy("Context type"), choices=choices
            )

    # Set by ``TerminalAdmin.get_form``: the signed-in staff user the checks are made for.
    actor: Any = None

    def clean(self) -> dict[str, Any]:
        """The service's checks, as field errors: the context must exist and lie in the actor's
        scope and in the terminal's org (``services.terminal_context_check``)."""
        data = super().clean() or self.cleaned_data
        org, context_type = data.get("org"), data.get("context_type")
        context_id = str(data.get("context_id") or "").strip()
        if org is None or not context_type or not context_id or self.actor is None:
            return data
        data["context_id"] = context_id
        try:
            services.terminal_context_check(
                actor=self.actor, org=org, context_type=context_type, context_id=context_id
            )
        except Refused as refused:
            field = refused.field if refused.field in self.fields else None
            self.add_error(field, str(refused.message))
        return data


@admin.register(Terminal)
class TerminalAdmin(LabelledAdmin, ScopedAdmin):
    form = TerminalForm
    scope_field = "org"
    view_capability = "codes.terminals"
    change_capability = "codes.terminals"
    list_display = [
        "name",
        "kind",
        "org",
        "context_display",
        "context_id",
        "key_prefix",
        "is_active",
        "last_seen_at",
    ]
    list_filter = [
        "kind",
        "is_active",
        code_filter("context_type", gettext_lazy("Context type"), dispatch.label_of),
    ]
    search_fields = ["name", "context_id", "key_prefix"]
    readonly_fields = [
        "key_prefix",
        "is_active",
        "disabled_reason",
        "disabled_at",
        "created_at",
        "last_seen_at",
        "tools",
    ]
    actions = ["disable_selected", "enable_selected"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        base = ["name", "kind", "org", "context_type", "context_id"]
        if obj is None:
            return base
        return [
            *base,
            "key_prefix",
            "is_active",
            "disabled_reason",
            "disabled_at",
            "created_at",
            "last_seen_at",
            "tools",
        ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, "codes.terminals")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("Context type"), ordering="context_type")
    def context_display(self, obj: Terminal) -> str:
        return dispatch.label_of(obj.context_type)

    @admin.display(description=gettext_lazy("Tools"))
    def tools(self, obj: Terminal) -> str:
        if obj.pk is None:
            return ""
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:codes_terminal_poster", args=[obj.pk]),
            _("Poster QR code"),
            reverse("admin:codes_terminal_rotate_key", args=[obj.pk]),
            _("New API key"),
        )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # a class made for this request by modelform_factory
        return form

    # --- create and change through the service (checked, audited); the key is shown once --------
    def save_model(self, request: HttpRequest, obj: Terminal, form: Any, change: bool) -> None:
        fields = {
            "actor": request.user,
            "org": form.cleaned_data["org"],
            "kind": form.cleaned_data["kind"],
            "name": form.cleaned_data["name"],
            "context_type": form.cleaned_data["context_type"],
            "context_id": form.cleaned_data["context_id"],
            "ip": client_ip(request),
        }
        if change:
            saved = services.terminal_update(terminal=obj, **fields)
        else:
            saved, key = services.terminal_create(**fields)
            request._codes_new_key = key  # type: ignore[attr-defined]
        obj.pk = saved.pk
        obj.refresh_from_db()
        obj._state.adding = False

    # The services audit (codes.terminal.create / .update): no second, generic entry.
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return super(ScopedAdmin, self).log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return super(ScopedAdmin, self).log_change(request, obj, message)

    def response_add(
        self, request: HttpRequest, obj: Terminal, post_url_continue: str | None = None
    ) -> HttpResponse:
        key = getattr(request, "_codes_new_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        return self._key_page(request, obj, key)

    def _key_page(self, request: HttpRequest, obj: Terminal, key: str) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("API key of %(name)s") % {"name": obj.name},
            "terminal": obj,
            "key": key,
            "opts": self.model._meta,
        }
        return _no_store(TemplateResponse(request, "admin/codes/terminal_key.html", context))

    # --- extra pages ---------------------------------------------------------------------------
    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:pk>/poster/",
                self.admin_site.admin_view(self.poster_view),
                name="codes_terminal_poster",
            ),
            path(
                "<int:pk>/rotate-key/",
                self.admin_site.admin_view(self.rotate_key_view),
                name="codes_terminal_rotate_key",
            ),
        ]
        return extra + super().get_urls()

    def _terminal(self, request: HttpRequest, pk: int) -> Terminal:
        terminal = self.get_queryset(request).filter(pk=pk).first()
        if terminal is None or not can(request.user, "codes.terminals", terminal.org):
            raise Http404
        return terminal

    def poster_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A printable poster: the terminal's signed token as a URL in a QR code (segno)."""
        terminal = self._terminal(request, pk)
        if request.method == "POST":  # print a new poster: every old one stops working
            services.terminal_poster_rotate(
                terminal=terminal, actor=request.user, ip=client_ip(request)
            )
            messages.success(request, _("Old posters no longer work. Print this one."))
        elif request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        token = services.poster_token(terminal)
        url = request.build_absolute_uri(reverse("codes:poster_scan")) + "?t=" + token
        qr = segno.make(url, error="m")
        _audit_poster_view(request, terminal)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Poster of %(name)s") % {"name": terminal.name},
            "terminal": terminal,
            "qr_svg": mark_safe(qr.svg_inline(scale=6, border=4)),  # noqa: S308 - segno's own SVG
            "url": url,
            "opts": self.model._meta,
        }
        return _no_store(TemplateResponse(request, "admin/codes/terminal_poster.html", context))

    def rotate_key_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        terminal = self._terminal(request, pk)
        if request.method == "POST":
            key = services.terminal_key_rotate(
                terminal=terminal, actor=request.user, ip=client_ip(request)
            )
            return self._key_page(request, terminal, key)
        context = {
            **self.admin_site.each_context(request),
            "title": _("New API key for %(name)s") % {"name": terminal.name},
            "terminal": terminal,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/codes/terminal_rotate_key.html", context)

    # --- actions (audited through the services) -----------------------------------------------
    @admin.action(description=gettext_lazy("Disable selected terminals"))
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[Terminal]) -> None:
        for terminal in queryset.select_related("org"):
            services.terminal_disable(
                terminal=terminal,
                actor=request.user,
                reason=_("Disabled by staff."),
                ip=client_ip(request),
            )
        messages.success(request, _("Disabled %(n)d terminal(s).") % {"n": queryset.count()})

    @admin.action(description=gettext_lazy("Enable selected terminals"))
    def enable_selected(self, request: HttpRequest, queryset: QuerySet[Terminal]) -> None:
        for terminal in queryset.select_related("org"):
            services.terminal_enable(terminal=terminal, actor=request.user, ip=client_ip(request))
        messages.success(request, _("Enabled %(n)d terminal(s).") % {"n": queryset.count()})


def _audit_poster_view(request: HttpRequest, terminal: Terminal) -> None:
    """Viewing a poster hands out a working token: record who printed it."""
    from django.db import transaction

    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="codes.terminal.poster",
            obj=terminal,
            org=terminal.org,
            data={"poster_version": terminal.poster_version},
            ip=client_ip(request),
        )


@admin.register(Credential)
class CredentialAdmin(ScopedAdmin):
    scope_field = "member__org"
    view_capability = "codes.credentials"
    change_capability = None  # read-only; revoke and unlock are actions
    list_display = [
        "id",
        "member",
        "status",
        "revoked_reason",
        "created_at",
        "last_used_at",
        "use_count",
        "locked_until",
    ]
    list_filter = ["status", "revoked_reason"]
    search_fields = ["=id", "member__member_no", "member__name"]
    list_select_related = ["member", "member__org"]
    fields = [
        "id",
        "member",
        "status",
        "revoked_reason",
        "revoked_at",
        "revoked_by",
        "created_at",
        "device_label",
        "last_used_at",
        "use_count",
        "hw_step",
        "hw_seq",
        "locked_until",
        "lock_count",
    ]
    readonly_fields = fields
    actions = ["revoke_selected", "unlock_selected"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        if not can(request.user, "codes.revoke"):
            found.pop("revoke_selected", None)
            found.pop("unlock_selected", None)
        return found

    @admin.action(description=gettext_lazy("Revoke selected credentials"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        done = 0
        for credential in queryset.select_related("member", "member__org"):
            try:
                services.credential_revoke(
                    credential=credential, actor=request.user, ip=client_ip(request)
                )
                done += 1
            except Refused:
                continue
        messages.success(request, _("Revoked %(n)d credential(s).") % {"n": done})

    @admin.action(description=gettext_lazy("Unlock selected credentials"))
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet[Credential]) -> None:
        done = 0
        for credential in queryset.select_related("member", "member__org"):
            try:
                services.credential_unlock(
                    credential=credential, actor=request.user, ip=client_ip(request)
                )
                done += 1
            except Refused:
                continue
        messages.success(request, _("Unlocked %(n)d credential(s).") % {"n": done})


@admin.register(ScanRecord)
class ScanRecordAdmin(ScopedAdmin):
    scope_field = "terminal__org"
    view_capability = "codes.terminals"
    change_capability = None
    list_display = ["created_at", "terminal", "via", "outcome", "status_code", "member"]
    list_filter = ["via", "outcome"]
    search_fields = ["idempotency_key", "terminal__name"]
    list_select_related = ["terminal", "member"]
    fields = [
        "created_at",
        "terminal",
        "via",
        "idempotency_key",
        "credential_id",
        "member",
        "status_code",
        "outcome",
        "response",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False
