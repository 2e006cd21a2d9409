"""Console of rights cases (assigned lawyer/case worker or supervisors only; every opening
audited; an actions page for notes, answers, steps, assignment, parties and closing; an overdue
filter), case types (configuration) and collective wage contracts with their coverage rate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.forms import YuanField
from gonghui.core.identifiers import normalize_member_no
from gonghui.core.money import format_fen
from gonghui.core.timeutil import local_today
from gonghui.members.models import Member
from gonghui.orgs.admin_base import ObjectView, ScopedAdmin
from gonghui.orgs.console_export import Column, Yuan
from gonghui.orgs.listaudit import ListAuditedAdmin
from gonghui.orgs.models import Org, Role
from gonghui.orgs.scoping import can, scope, visible_orgs

from . import selectors, services
from .models import CaseEntry, CaseParty, CaseStep, CaseType, CollectiveContract, RightsCase


def _can_open(request: HttpRequest, obj: Any = None) -> bool:
    if obj is None:
        return can(request.user, "rights.supervise") or can(request.user, "rights.work")
    return selectors.cases_visible(request.user).filter(pk=obj.pk).exists()


class _ReadOnlyInline(TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_open(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EntryInline(_ReadOnlyInline):
    model = CaseEntry
    fields = ("at", "kind", "text", "is_public", "actor")
    readonly_fields = fields


class PartyInline(_ReadOnlyInline):
    model = CaseParty
    fields = ("member", "amount_claimed_fen", "amount_recovered_fen")
    readonly_fields = fields


class OverdueFilter(admin.SimpleListFilter):
    title = _("Overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("Overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "1":
            return queryset.filter(status=RightsCase.Status.OPEN, due_on__lt=local_today())
        return queryset


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea, max_length=5000)
    public = forms.BooleanField(label=_("Shown to the applicant"), required=False)


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("Answer"), widget=forms.Textarea, max_length=5000)


class AdvanceForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=500, required=False)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=RightsCase.Outcome.choices[1:])
    amount_recovered = YuanField(
        label=_("Amount recovered (yuan)"), required=False, max_length=None
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


def _staff_with(role: str, org: Org) -> QuerySet:
    paths = [org.path[:i] for i in range(Org.steplen, len(org.path) + 1, Org.steplen)]
    return (
        get_user_model()
        .objects.filter(
            is_active=True, role_assignments__role=role, role_assignments__org__path__in=paths
        )
        .distinct()
        .order_by("username")
    )


class AssignForm(forms.Form):
    lawyer: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Lawyer"), queryset=get_user_model().objects.none(), required=False
    )
    case_worker: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Case worker"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args: Any, case: RightsCase, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["lawyer"].queryset = _staff_with(Role.LAWYER, case.org)  # type: ignore[attr-defined]
        self.fields["case_worker"].queryset = _staff_with(Role.CASE_WORKER, case.org)  # type: ignore[attr-defined]


class PartyForm(forms.Form):
    member_no = forms.CharField(label=_("Member number"), max_length=16)
    amount_claimed = YuanField(label=_("Amount claimed (yuan)"), required=False, max_length=None)
    amount_recovered = YuanField(
        label=_("Amount recovered (yuan)"), required=False, max_length=None
    )


FORMS = {
    "note": NoteForm,
    "answer": AnswerForm,
    "advance": AdvanceForm,
    "close": CloseForm,
    "assign": AssignForm,
    "party": PartyForm,
}


@admin.register(RightsCase)
class RightsCaseAdmin(ListAuditedAdmin, ScopedAdmin):
    audit_open = True  # a rights case is sealed: every opening is audited
    assignment_scoped = True
    # The list shows who has a case: each request is audited (filters, row count).
    list_audit_action = "rights.case.list"
    list_audit_capabilities = ("rights.supervise", "rights.work")
    view_capability = "rights.supervise"
    change_capability = None
    inlines = [PartyInline, EntryInline]
    list_display = (
        "number",
        "kind",
        "case_type",
        "org",
        "status",
        "step",
        "due_on",
        "lawyer",
        "case_worker",
    )
    list_filter = (OverdueFilter, "status", "kind", "case_type")
    search_fields = ("=number",)
    list_select_related = ("case_type", "org", "step", "lawyer", "case_worker")
    ordering = ("-created_at",)
    # Who asked is not exported (cases may be anonymous), nor any sealed text.
    export_select_related = ("case_type", "org", "step", "lawyer", "case_worker")
    export_columns = (
        Column(_("Case number"), "number"),
        Column(_("Kind"), "get_kind_display"),
        Column(_("Case type"), "case_type"),
        Column(_("Union"), "org.name"),
        Column(_("Employer (as entered)"), "employer_name"),
        Yuan(_("Amount claimed (yuan)"), "amount_claimed_fen"),
        Column(_("Status"), "get_status_display"),
        Column(_("Step"), "step"),
        Column(_("Due on"), "due_on"),
        Column(_("Lawyer"), "lawyer"),
        Column(_("Case worker"), "case_worker"),
        Column(_("Created at"), "created_at"),
    )
    fields = (
        "number",
        "kind",
        "case_type",
        "org",
        "member",
        "is_anonymous",
        "contact_phone_masked",
        "open_case_warning",
        "description",
        "enterprise",
        "employer_name",
        "claimed",
        "status",
        "step",
        "step_started_on",
        "due_on",
        "lawyer",
        "case_worker",
        "outcome",
        "recovered",
        "closed_at",
        "actions_link",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return RightsCase.objects.filter(selectors.case_visible_q(request.user)).select_related(
            "case_type", "org", "step", "lawyer", "case_worker", "member", "enterprise"
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _can_open(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_open(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    @admin.display(description=_("Amount claimed"))
    def claimed(self, obj: RightsCase) -> str:
        return format_fen(obj.amount_claimed_fen)

    @admin.display(description=_("Amount recovered"))
    def recovered(self, obj: RightsCase) -> str:
        return format_fen(obj.amount_recovered_fen)

    @admin.display(description=_("Other open cases of the member"))
    def open_case_warning(self, obj: RightsCase) -> Any:
        if obj.member is None:
            return ""
        numbers = services.open_cases_of(obj.member, exclude_pk=obj.pk)
        if not numbers:
            return ""
        return format_html(
            '<strong class="text-red-600" data-testid="open-case-warning">{}</strong>',
            ", ".join(numbers),
        )

    @admin.display(description=_("Actions"))
    def actions_link(self, obj: RightsCase) -> Any:
        url = reverse("admin:rights_rightscase_act", args=[obj.pk])
        return format_html('<a href="{}" data-testid="case-actions">{}</a>', url, _("Open actions"))

    def record_open(self, request: HttpRequest, object_id: str) -> None:
        selectors.case_open(user=request.user, pk=object_id, via="console", ip=client_ip(request))

    def object_views(self) -> list[ObjectView]:
        return [ObjectView("act", "act/", self.act_view)]

    def _form(self, name: str, case: RightsCase, data: Any) -> forms.Form:
        cls = FORMS[name]
        if cls is AssignForm:
            return AssignForm(data, case=case)
        return cls(data)

    def _do(self, request: HttpRequest, which: str, case: RightsCase, data: dict[str, Any]) -> None:
        user = request.user
        if which == "note":
            services.case_note(case=case, text=data["text"], public=data["public"], actor=user)
        elif which == "answer":
            services.case_answer(case=case, text=data["text"], actor=user)
        elif which == "advance":
            services.case_advance(case=case, note=data["text"], actor=user)
        elif which == "close":
            services.case_close(
                case=case,
                outcome=data["outcome"],
                amount_recovered_fen=data["amount_recovered"],
                note=data["note"],
                actor=user,
            )
        elif which == "assign":
            services.case_assign(
                case=case, lawyer=data["lawyer"], case_worker=data["case_worker"], actor=user
            )
        elif which == "party":
            member = (
                scope(Member.objects.all(), user, "members.view")
                .filter(member_no=normalize_member_no(data["member_no"]))
                .first()
            )
            if member is None:
                raise Refused(
                    code="unknown_member", message=_("No member with this number."), field="member"
                )
            services.case_party_add(
                case=case,
                member=member,
                amount_claimed_fen=data["amount_claimed"],
                amount_recovered_fen=data["amount_recovered"],
                actor=user,
            )

    def act_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        try:
            case = selectors.cases_visible(request.user).get(pk=object_id)
        except (RightsCase.DoesNotExist, ValueError):
            raise Http404 from None
        which = request.POST.get("form", "") if request.method == "POST" else ""
        forms_ = {
            name: self._form(name, case, request.POST if which == name else None) for name in FORMS
        }
        if not can(request.user, "rights.supervise", case.org):
            forms_.pop("assign")
        done = self.act_submit(
            request, forms_.get(which), lambda data: self._do(request, which, case, data)
        )
        if done is not None:
            return done
        titles = {
            "note": _("Add a note"),
            "answer": _("Answer the consultation"),
            "advance": _("Move to the next step"),
            "close": _("Close the case"),
            "assign": _("Assign"),
            "party": _("Add a claimant (collective case)"),
        }
        return self.act_page(
            request,
            case,
            title=_("Actions on case %(number)s") % {"number": case.number},
            template="admin/rights/act.html",
            forms=[(name, titles[name], form) for name, form in forms_.items()],
            entries=case.entries.select_related("actor"),
        )


class CaseStepInline(TabularInline):
    model = CaseStep
    fields = ("order", "name", "due_days")
    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "rights.config")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "rights.config")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "rights.config")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a step may be in use by a case


@admin.register(CaseType)
class CaseTypeAdmin(ScopedAdmin):
    """Deployment-wide configuration (federation admins)."""

    scope_field = None
    view_capability = "rights.config"
    change_capability = "rights.config"
    inlines = [CaseStepInline]
    list_display = ("code", "name", "is_active", "order")


@admin.register(CollectiveContract)
class CollectiveContractAdmin(ScopedAdmin):
    view_capability = "rights.contracts"
    change_capability = "rights.contracts_manage"
    list_display = (
        "title",
        "kind",
        "org",
        "enterprise",
        "valid_from",
        "valid_until",
        "increase",
        "workers_covered",
    )
    list_filter = ("kind",)
    list_select_related = ("org", "enterprise")
    search_fields = ("title",)
    ordering = ("-valid_until",)
    autocomplete_fields = ()

    @admin.display(description=_("Agreed wage increase"))
    def increase(self, obj: CollectiveContract) -> str:
        return f"{obj.wage_increase_bp / 100:.2f}%"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        from gonghui.orgs.models import Enterprise

        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, "rights.contracts_manage").order_by(
                "path"
            )
        elif db_field.name == "enterprise":
            kwargs["queryset"] = scope(
                Enterprise.objects.all(), request.user, "rights.contracts_manage", "union"
            ).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        extra_context = dict(extra_context or {})
        orgs = list(visible_orgs(request.user, "rights.contracts").order_by("path"))
        tops = [o for o in orgs if not any(o.path.startswith(r.path) and o != r for r in orgs)]
        today = local_today()
        rows = []
        for org in tops[:10]:
            cov = selectors.coverage(org=org, on=today)
            rate = cov["rate_bp"]
            rows.append((org, cov, "" if rate is None else f"{rate / 100:.2f}%"))
        extra_context["coverage_rows"] = rows
        return super().changelist_view(request, extra_context)
