"""Staff console of the jobs app. Union staff see their subtree (``jobs.view``, ``jobs.manage``);
employer staff (``EmployerStaff``) see only their own enterprise's postings and applicants and
move those applications. Anything else answers 404. Every console write is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin, TabularInline

from gonghui.codes.models import Terminal
from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.timeutil import local_today
from gonghui.orgs.admin_base import ParentScopedInline, ScopedAdmin
from gonghui.orgs.models import Enterprise, Org
from gonghui.orgs.scoping import (
    can,
    is_unrestricted,
    scope,
    scope_q,
    scope_roots,
    visible_orgs,
)

from . import selectors, services
from .models import (
    Application,
    ApplicationStep,
    Booth,
    EmployerStaff,
    FairCheckin,
    JobFair,
    Posting,
    SkillPayRaise,
    SkillPayScheme,
)


class EmployerAwareAdmin(ScopedAdmin):
    """ScopedAdmin that also lets employer staff in, to their own enterprise's rows only."""

    enterprise_field = "enterprise"
    employer_can_view = True
    employer_can_change = False
    employer_can_add = False

    def _employer_ids(self, request: HttpRequest) -> list[int]:
        return selectors.employer_enterprise_ids(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = ModelAdmin.get_queryset(self, request)
        if is_unrestricted(request.user):
            return qs
        assert self.scope_field is not None  # jobs' admins are all scoped by an org path
        q = scope_q(request.user, self.view_capability, self.scope_field)
        if self.employer_can_view and (ids := self._employer_ids(request)):
            q |= Q(**{f"{self.enterprise_field}__in": ids})
        return qs.filter(q)

    def _employer_may(self, request: HttpRequest, obj: Model | None, allowed: bool) -> bool:
        if not allowed:
            return False
        ids = self._employer_ids(request)
        if not ids:
            return False
        return obj is None or getattr(obj, f"{self.enterprise_field}_id", None) in ids

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or bool(self._employer_ids(request))

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_view_permission(request, obj) or self._employer_may(
            request, obj, self.employer_can_view
        )

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) or self._employer_may(
            request, obj, self.employer_can_change
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request, *args) or self._employer_may(
            request, None, self.employer_can_add
        )


class EnterpriseChoiceMixin:
    """Enterprise choices limited to the unions where the user holds ``jobs.manage``."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "enterprise":
            kwargs["queryset"] = scope(
                Enterprise.objects.all(), request.user, "jobs.manage", "union"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


# --- postings ---------------------------------------------------------------------------------


class PostingForm(forms.ModelForm):
    skills_text = forms.CharField(
        label=gettext_lazy("Skills"),
        required=False,
        help_text=gettext_lazy("Separate skills with commas."),
    )

    class Meta:
        model = Posting
        fields = [
            "enterprise",
            "title",
            "description",
            "trade",
            "kind",
            "status",
            "salary_min_fen",
            "salary_max_fen",
            "region_code",
            "headcount",
            "valid_from",
            "valid_until",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A viewer without jobs.manage (the auditor) gets a read-only page: the admin builds
        # this form without the fields it shows read-only, so touch only those present.
        if "region_code" in self.fields:
            self.fields["region_code"].required = False
        if self.instance.pk and "skills_text" in self.fields:
            self.fields["skills_text"].initial = ", ".join(self.instance.skills or [])

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        raw = data.get("skills_text") or ""
        parts = [p for p in raw.replace("，", ",").replace("、", ",").split(",")]
        try:
            data["skills"] = services._clean_skills(parts)
            if all(
                data.get(k) is not None
                for k in ("salary_min_fen", "salary_max_fen", "headcount", "valid_from")
            ) and data.get("valid_until"):
                services.posting_validate(
                    salary_min_fen=data["salary_min_fen"],
                    salary_max_fen=data["salary_max_fen"],
                    headcount=data["headcount"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                    trade=data.get("trade") or "",
                )
        except Refused as exc:
            raise forms.ValidationError({exc.field or "__all__": str(exc.message)}) from None
        return data


@admin.register(Posting)
class PostingAdmin(EmployerAwareAdmin):
    view_capability = "jobs.view"
    change_capability = "jobs.manage"
    employer_can_change = True
    employer_can_add = True
    form = PostingForm
    list_display = ("title", "enterprise", "kind", "trade", "headcount", "status", "valid_until")
    list_filter = ("status", "kind", "trade")
    search_fields = ("title", "enterprise__name")
    readonly_fields = ("org", "created_at")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change, **kwargs)
        if "enterprise" in form.base_fields:
            ents = Enterprise.objects.all()
            if not is_unrestricted(request.user):
                ents = ents.filter(
                    scope_q(request.user, "jobs.manage", "union")
                    | Q(pk__in=self._employer_ids(request))
                )
            form.base_fields["enterprise"].queryset = ents.order_by("name")  # type: ignore[attr-defined]
        return form

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "figures/",
                self.admin_site.admin_view(self.figures_view),
                name="jobs_posting_figures",
            )
        ]
        return extra + super().get_urls()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # Read-only page (the auditor): the skills as text instead of the form's input.
            fields = ["skills_display" if f == "skills_text" else f for f in fields]
        return fields

    @admin.display(description=gettext_lazy("Skills"))
    def skills_display(self, obj: Posting) -> str:
        return "、".join(str(s) for s in (obj.skills or []))

    def figures_view(self, request: HttpRequest) -> HttpResponse:
        """Posts, headcount, applications, intentions, hires and skill-pay coverage of each org
        where the user holds ``jobs.view`` (their scope roots), for a period (default: this
        year)."""
        if is_unrestricted(request.user):
            orgs = list(Org.objects.filter(depth=1).order_by("path"))
        else:
            roots = scope_roots(request.user, "jobs.view")
            if not roots:
                raise Http404
            orgs = list(Org.objects.filter(path__in=roots).order_by("path"))
        today = local_today()
        try:
            start = dt.date.fromisoformat(request.GET.get("start", ""))
        except ValueError:
            start = dt.date(today.year, 1, 1)
        try:
            end = dt.date.fromisoformat(request.GET.get("end", ""))
        except ValueError:
            end = today
        if end < start:
            start, end = end, start
        rows = [
            {
                "org": org,
                "figures": selectors.figures(org, start, end),
                "coverage": selectors.skill_pay_coverage(org, end),
            }
            for org in orgs
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Employment help figures"),
            "rows": rows,
            "start": start,
            "end": end,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/jobs/figures.html", context)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "jobs_figures": can(request.user, "jobs.view")}
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Posting, form: Any, change: bool) -> None:
        obj.skills = form.cleaned_data.get("skills", obj.skills)
        if not obj.region_code:
            obj.region_code = obj.enterprise.region_code
        if not change:
            obj.org = obj.enterprise.union
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


# --- applications -----------------------------------------------------------------------------


class ApplicationStepInline(TabularInline):
    model = ApplicationStep
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor", "by_member", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


def _move(to_status: str, label: Any) -> Any:
    def action(modeladmin: ApplicationAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for application in queryset.order_by("pk"):
            try:
                services.application_transition(
                    application=application,
                    to_status=to_status,
                    actor=request.user,
                    ip=client_ip(request),
                )
                done += 1
            except Refused as exc:
                modeladmin.message_user(request, f"{application}: {exc.message}", messages.ERROR)
        if done:
            modeladmin.message_user(
                request,
                _("%(n)d application(s) now %(status)s.")
                % {"n": done, "status": Application.Status(to_status).label},
                messages.SUCCESS,
            )

    action.__name__ = f"move_to_{to_status}"
    action.short_description = label  # type: ignore[attr-defined]
    action.allowed_permissions = ("change",)  # type: ignore[attr-defined]
    return action


@admin.register(Application)
class ApplicationAdmin(EmployerAwareAdmin):
    view_capability = "jobs.view"
    change_capability = "jobs.manage"
    employer_can_change = True
    list_display = (
        "member_name",
        "posting",
        "enterprise",
        "source",
        "status",
        "submitted_at",
    )
    list_filter = ("status", "source")
    search_fields = ("member__name", "posting__title", "enterprise__name")
    # A posting's name ends with its enterprise's: fetched with the row, not once per row.
    list_select_related = ("member", "posting", "posting__enterprise", "enterprise")
    inlines = [ApplicationStepInline]
    actions = [
        _move(Application.Status.VIEWED, gettext_lazy("Mark as viewed")),
        _move(Application.Status.INTERVIEW, gettext_lazy("Invite to an interview")),
        _move(Application.Status.OFFERED, gettext_lazy("Make an offer (intention reached)")),
        _move(Application.Status.HIRED, gettext_lazy("Mark as hired")),
        _move(Application.Status.REJECTED, gettext_lazy("Decline the applicant")),
    ]
    fields = (
        "member_name",
        "member_skills",
        "enterprise",
        "posting",
        "booth",
        "source",
        "status",
        "submitted_at",
        "intention_at",
        "hired_at",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Job seeker"), ordering="member__name")
    def member_name(self, obj: Application) -> str:
        return obj.member.name

    @admin.display(description=gettext_lazy("Skills"))
    def member_skills(self, obj: Application) -> str:
        return "、".join(str(s) for s in (obj.member.skills or []))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # members apply; booths scan


# --- fairs ------------------------------------------------------------------------------------


class BoothInline(EnterpriseChoiceMixin, ParentScopedInline):
    model = Booth
    extra = 1
    fields = ("number", "enterprise", "terminal")
    autocomplete_fields = ("enterprise",)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "terminal":
            kwargs["queryset"] = scope(
                Terminal.objects.filter(context_type="jobs.booth"),
                request.user,
                "codes.terminals",
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(JobFair)
class JobFairAdmin(ScopedAdmin):
    view_capability = "jobs.view"
    change_capability = "jobs.manage"
    list_display = ("title", "kind", "date", "place", "org")
    list_filter = ("kind",)
    search_fields = ("title", "place")
    inlines = [BoothInline]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, "jobs.manage")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(FairCheckin)
class FairCheckinAdmin(ScopedAdmin):
    scope_field = "fair__org"
    view_capability = "jobs.view"
    list_display = ("fair", "member", "checked_in_at")
    list_select_related = ("fair", "member")
    search_fields = ("member__name", "fair__title")


# --- employer staff ---------------------------------------------------------------------------


@admin.register(EmployerStaff)
class EmployerStaffAdmin(EnterpriseChoiceMixin, ScopedAdmin):
    scope_field = "enterprise__union"
    view_capability = "jobs.view"
    change_capability = "jobs.manage"
    delete_capability = "jobs.manage"
    list_display = ("user", "enterprise", "created_at")
    autocomplete_fields = ("enterprise",)
    raw_id_fields = ("user",)
    search_fields = ("user__username", "enterprise__name")

    def save_model(self, request: HttpRequest, obj: EmployerStaff, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not obj.user.is_staff:
            obj.user.is_staff = True
            obj.user.save(update_fields=["is_staff"])


# --- skill-pay linkage ------------------------------------------------------------------------


class RaiseFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        raises: dict[str, int] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            level, fen = data.get("level"), data.get("monthly_raise_fen")
            if level is None or fen is None:
                continue
            if level in raises:
                raise forms.ValidationError(_("Each level once."))
            raises[level] = fen
        try:
            services.skill_pay_validate(raises)
        except Refused as exc:
            raise forms.ValidationError(str(exc.message)) from None


class SkillPayRaiseInline(ParentScopedInline):
    model = SkillPayRaise
    formset = RaiseFormSet
    extra = 5
    max_num = 5
    fields = ("level", "monthly_raise_fen")


@admin.register(SkillPayScheme)
class SkillPaySchemeAdmin(EnterpriseChoiceMixin, ScopedAdmin):
    scope_field = "enterprise__union"
    view_capability = "jobs.view"
    change_capability = "jobs.manage"
    list_display = ("enterprise", "effective_from", "workers_covered")
    list_select_related = ("enterprise",)
    search_fields = ("enterprise__name",)
    autocomplete_fields = ("enterprise",)
    inlines = [SkillPayRaiseInline]
