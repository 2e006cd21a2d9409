"""Console of hardship assistance: files (assigned case worker or supervisors only; every opening
audited), their actions page (transitions, assignment, help), help records, gradient rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from gonghui.core.audit import client_ip
from gonghui.core.forms import YuanField
from gonghui.core.money import format_fen
from gonghui.core.timeutil import local_today
from gonghui.orgs.admin_base import ObjectView, ScopedAdmin
from gonghui.orgs.console_export import Column, member_columns
from gonghui.orgs.listaudit import ListAuditedAdmin
from gonghui.orgs.models import Org, Role
from gonghui.orgs.scoping import can, visible_orgs

from . import selectors, services
from .models import (
    GradientRule,
    HardshipDocument,
    HardshipFile,
    HelpKind,
    HelpRecord,
    HouseholdMember,
)


def _can_open(request: HttpRequest, obj: Any = None) -> bool:
    if obj is None:
        return can(request.user, "assistance.supervise") or can(request.user, "assistance.work")
    return selectors.files_visible(request.user).filter(pk=obj.pk).exists()


class HouseholdInline(TabularInline):
    model = HouseholdMember
    fields = ("relation", "name", "birth_date", "health", "income")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("Income (last 12 months)"))
    def income(self, obj: HouseholdMember) -> str:
        return format_fen(obj.income_fen)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_open(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HelpInline(TabularInline):
    model = HelpRecord
    fields = ("given_on", "kind", "amount", "paid_by", "note", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("Amount"))
    def amount(self, obj: HelpRecord) -> str:
        return format_fen(obj.amount_fen)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_open(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DocumentInline(TabularInline):
    model = HardshipDocument
    fields = ("link", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("File name"))
    def link(self, obj: HardshipDocument) -> Any:
        from django.utils.html import format_html

        url = reverse("admin:assistance_hardshipfile_document", args=[obj.file_id, obj.pk])
        return format_html('<a href="{}" data-testid="document-link">{}</a>', url, obj.name)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_open(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DocumentForm(forms.Form):
    document = forms.FileField(
        label=_("Evidence document (PDF, JPG or PNG, at most 10 MB)"), allow_empty_file=True
    )


class TransitionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("verify", _("Verify")),
            ("activate", _("Activate")),
            ("review", _("Record the yearly review")),
            ("close", _("Close")),
            ("reopen", _("Reopen (returned to hardship)")),
        ],
    )
    note = forms.CharField(label=_("Note or reason"), max_length=200, required=False)


class AssignForm(forms.Form):
    case_worker: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Case worker"), queryset=get_user_model().objects.none()
    )

    def __init__(self, *args: Any, file: HardshipFile, **kw: Any) -> None:
        super().__init__(*args, **kw)
        paths = [file.org.path[:i] for i in range(Org.steplen, len(file.org.path) + 1, Org.steplen)]
        self.fields["case_worker"].queryset = (  # type: ignore[attr-defined]
            get_user_model()
            .objects.filter(
                is_active=True,
                role_assignments__role=Role.CASE_WORKER,
                role_assignments__org__path__in=paths,
            )
            .distinct()
            .order_by("username")
        )


class HelpForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of help"), choices=HelpKind.choices)
    amount = YuanField(label=_("Amount (yuan)"), required=False)
    given_on = forms.DateField(label=_("Date"), initial=local_today)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


@admin.register(HardshipFile)
class HardshipFileAdmin(ListAuditedAdmin, ScopedAdmin):
    audit_open = True  # a hardship file is sealed: every opening is audited
    assignment_scoped = True
    # The list shows who has a hardship file: each request is audited (filters, row count).
    list_audit_action = "assistance.file.list"
    list_audit_capabilities = ("assistance.supervise", "assistance.work")
    view_capability = "assistance.supervise"
    change_capability = None
    inlines = [HouseholdInline, HelpInline, DocumentInline]
    list_display = (
        "id",
        "member",
        "org",
        "category",
        "worker_type",
        "status",
        "is_returned",
        "case_worker",
        "next_review_on",
    )
    list_filter = ("status", "category", "worker_type", "is_returned")
    search_fields = ("=id", "member__name")
    list_select_related = ("member", "org", "case_worker")
    ordering = ("-created_at",)
    # No sealed field (causes, housing, health, notes) leaves the console in an export.
    export_select_related = ("member", "org", "case_worker")
    export_columns = (
        Column(_("File no."), "pk"),
        *member_columns(),
        Column(_("Union"), "org.name"),
        Column(_("Category"), "get_category_display"),
        Column(_("Type"), "get_worker_type_display"),
        Column(_("Status"), "get_status_display"),
        Column(_("Returned to hardship"), "is_returned"),
        Column(_("Case worker"), "case_worker"),
        Column(_("Applied on"), "applied_on"),
        Column(_("Activated on"), "activated_on"),
        Column(_("Next review due"), "next_review_on"),
        Column(_("Closed on"), "closed_on"),
    )
    fields = (
        "member",
        "org",
        "category",
        "worker_type",
        "main_cause",
        "secondary_causes_display",
        "status",
        "is_returned",
        "case_worker",
        "applicant_income",
        "other_income",
        "household_size",
        "household_income",
        "per_capita_income",
        "housing",
        "housing_note",
        "health_note",
        "evidence_note",
        "applied_on",
        "activated_on",
        "last_reviewed_on",
        "next_review_on",
        "closed_on",
        "close_reason",
        "actions_link",
    )
    readonly_fields = fields

    # Assignment-aware scope: supervisors see their subtree, case workers their own files.
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return HardshipFile.objects.filter(selectors.file_visible_q(request.user)).select_related(
            "member", "org", "case_worker"
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _can_open(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_open(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    @admin.display(description=_("Secondary causes"))
    def secondary_causes_display(self, obj: HardshipFile) -> str:
        labels = dict(HardshipFile._meta.get_field("main_cause").choices)  # type: ignore[arg-type]
        return ", ".join(str(labels[c]) for c in obj.secondary_causes)

    @admin.display(description=_("Applicant's income"))
    def applicant_income(self, obj: HardshipFile) -> str:
        return format_fen(obj.applicant_income_fen)

    @admin.display(description=_("Other household income"))
    def other_income(self, obj: HardshipFile) -> str:
        return format_fen(obj.other_income_fen)

    @admin.display(description=_("Household income"))
    def household_income(self, obj: HardshipFile) -> str:
        return format_fen(obj.household_income_fen)

    @admin.display(description=_("Per-capita income"))
    def per_capita_income(self, obj: HardshipFile) -> str:
        return format_fen(obj.per_capita_income_fen)

    @admin.display(description=_("Actions"))
    def actions_link(self, obj: HardshipFile) -> Any:
        from django.utils.html import format_html

        url = reverse("admin:assistance_hardshipfile_act", args=[obj.pk])
        return format_html('<a href="{}" data-testid="file-actions">{}</a>', url, _("Open actions"))

    def record_open(self, request: HttpRequest, object_id: str) -> None:
        # 404 when not visible; otherwise the opening is audited.
        selectors.file_open(user=request.user, pk=object_id, via="console", ip=client_ip(request))

    def object_views(self) -> list[ObjectView]:
        return [
            ObjectView("act", "act/", self.act_view),
            ObjectView("document", "document/<int:doc_id>/", self.document_view),
        ]

    def document_view(self, request: HttpRequest, object_id: str, doc_id: int) -> HttpResponseBase:
        """Send an evidence document to a user who may open its file (else 404); audited."""
        from gonghui.core.uploads import file_response

        doc, file_path = selectors.document_open(
            user=request.user, file_pk=object_id, doc_pk=doc_id, ip=client_ip(request)
        )
        return file_response(file_path, content_type=doc.content_type, download_name=doc.name)

    def act_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Transitions, assignment and help for one file (services refuse what is not allowed)."""
        try:
            file = selectors.files_visible(request.user).get(pk=object_id)
        except (HardshipFile.DoesNotExist, ValueError):
            raise Http404 from None
        which = request.POST.get("form") if request.method == "POST" else None
        transition = TransitionForm(request.POST if which == "transition" else None)
        assign = AssignForm(request.POST if which == "assign" else None, file=file)
        help_form = HelpForm(request.POST if which == "help" else None)
        document = DocumentForm(
            request.POST if which == "document" else None,
            request.FILES if which == "document" else None,
        )
        bound = {
            "transition": transition,
            "assign": assign,
            "help": help_form,
            "document": document,
        }.get(which or "")

        def do(data: dict[str, Any]) -> None:
            if which == "transition":
                services.file_transition(
                    file=file, action=data["action"], note=data["note"], actor=request.user
                )
            elif which == "document":
                upload = data["document"]
                services.document_add(
                    file=file, name=upload.name, stream=upload, size=upload.size, actor=request.user
                )
            elif which == "assign":
                services.file_assign(file=file, case_worker=data["case_worker"], actor=request.user)
            else:
                services.help_record_create(
                    file=file,
                    kind=data["kind"],
                    amount_fen=data["amount"],
                    given_on=data["given_on"],
                    note=data["note"],
                    actor=request.user,
                )

        if (done := self.act_submit(request, bound, do)) is not None:
            return done
        return self.act_page(
            request,
            file,
            title=_("Actions on file #%(pk)s") % {"pk": file.pk},
            template="admin/assistance/act.html",
            transition_form=transition,
            assign_form=assign if can(request.user, "assistance.supervise", file.org) else None,
            help_form=help_form,
            document_form=document,
            events=file.events.select_related("actor"),
        )


@admin.register(HelpRecord)
class HelpRecordAdmin(ListAuditedAdmin, ScopedAdmin):
    assignment_scoped = True
    list_audit_action = "assistance.helprecord.list"
    list_audit_capabilities = ("assistance.supervise", "assistance.work")
    scope_field = "file__org"
    view_capability = "assistance.supervise"
    change_capability = None
    list_display = ("given_on", "kind", "amount", "file", "paid_by", "created_by")
    list_filter = ("kind",)
    list_select_related = ("file__member", "paid_by", "created_by")
    ordering = ("-given_on", "-pk")
    date_hierarchy = "given_on"
    fields = (
        "file",
        "kind",
        "amount",
        "given_on",
        "note",
        "paid_by",
        "ledger_transaction",
        "created_by",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return HelpRecord.objects.filter(selectors.file_visible_q(request.user, "file"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _can_open(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return _can_open(request)
        return _can_open(request, obj.file)

    @admin.display(description=_("Amount"))
    def amount(self, obj: HelpRecord) -> str:
        return format_fen(obj.amount_fen)


class GradientRuleForm(forms.ModelForm):
    ceiling_yuan = YuanField(label=_("Yearly ceiling per file (yuan)"))

    class Meta:
        model = GradientRule
        fields = ("org", "year", "category", "kind")

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        if self.instance.pk is not None:
            c = self.instance.ceiling_fen
            self.fields["ceiling_yuan"].initial = f"{c // 100}.{c % 100:02d}"

    def clean_ceiling_yuan(self) -> int:
        fen: int = self.cleaned_data["ceiling_yuan"]
        self.instance.ceiling_fen = fen
        return fen


@admin.register(GradientRule)
class GradientRuleAdmin(ScopedAdmin):
    form = GradientRuleForm
    view_capability = "assistance.rules"
    change_capability = "assistance.rules"
    delete_capability = "assistance.rules"
    list_display = ("year", "org", "category", "kind", "ceiling")
    list_filter = ("year", "category", "kind")
    list_select_related = ("org",)
    ordering = ("-year", "org__path", "category", "kind")

    @admin.display(description=_("Yearly ceiling per file"))
    def ceiling(self, obj: GradientRule) -> str:
        return format_fen(obj.ceiling_fen)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, "assistance.rules").order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        # Figures of the year for the user's orgs (people visited, grants, amounts).
        extra_context = dict(extra_context or {})
        year = local_today().year
        roots = visible_orgs(request.user, "assistance.figures").order_by("path")
        tops = [o for o in roots if not any(o.path.startswith(r.path) and o != r for r in roots)]
        extra_context["assistance_figures"] = [
            (org, {**selectors.figures(org=org, year=year)}) for org in tops[:10]
        ]
        return super().changelist_view(request, extra_context)
