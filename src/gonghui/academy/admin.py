"""Staff console of the academy: courses with their lessons, quizzes with their questions,
questions with their choices; enrolments, quiz attempts and certificates read-only. Org-scoped
(``academy.view``, ``academy.manage``) and audited by ``ScopedAdmin``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gonghui.core.audit import client_ip
from gonghui.members.models import Member
from gonghui.orgs.admin_base import ParentScopedInline, ScopedAdmin
from gonghui.orgs.scoping import scope, visible_orgs

from . import services
from .models import Certificate, Choice, Course, Enrolment, Lesson, Question, Quiz


class ScopedChoices:
    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "org":
            kwargs["queryset"] = visible_orgs(request.user, "academy.manage")
        if db_field.name == "course":
            kwargs["queryset"] = scope(Course.objects.all(), request.user, "academy.manage")
        if db_field.name == "quiz":
            kwargs["queryset"] = scope(
                Quiz.objects.all(), request.user, "academy.manage", "course__org"
            )
        if db_field.name == "lesson":
            kwargs["queryset"] = scope(
                Lesson.objects.all(), request.user, "academy.manage", "course__org"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class LessonInline(ScopedChoices, ParentScopedInline):
    model = Lesson
    extra = 1
    fields = ("order", "kind", "title", "url", "body", "duration_minutes")


@admin.register(Course)
class CourseAdmin(ScopedChoices, ScopedAdmin):
    view_capability = "academy.view"
    change_capability = "academy.manage"
    list_display = ("title", "category", "skill_level", "is_published", "org")
    list_filter = ("category", "is_published")
    search_fields = ("title",)
    inlines = [LessonInline]


class QuestionInline(ParentScopedInline):
    model = Question
    extra = 1
    fields = ("order", "text", "multiple")
    show_change_link = True


@admin.register(Quiz)
class QuizAdmin(ScopedChoices, ScopedAdmin):
    scope_field = "course__org"
    view_capability = "academy.view"
    change_capability = "academy.manage"
    list_display = ("title", "course", "lesson", "pass_mark_percent")
    search_fields = ("title", "course__title")
    inlines = [QuestionInline]


class ChoiceInline(ParentScopedInline):
    model = Choice
    extra = 3
    fields = ("order", "text", "is_correct")


@admin.register(Question)
class QuestionAdmin(ScopedChoices, ScopedAdmin):
    scope_field = "quiz__course__org"
    view_capability = "academy.view"
    change_capability = "academy.manage"
    list_display = ("text", "quiz", "multiple")
    search_fields = ("text", "quiz__title")
    inlines = [ChoiceInline]


@admin.register(Enrolment)
class EnrolmentAdmin(ScopedAdmin):
    scope_field = "course__org"
    view_capability = "academy.view"
    list_display = ("member", "course", "enrolled_at", "completed_at")
    list_filter = ("course",)
    search_fields = ("member__name", "member__member_no", "course__title")
    readonly_fields = ("member", "course", "enrolled_at", "completed_at")


class SkillCertificateForm(forms.ModelForm):
    """Issue a skill-level certificate record (初级工 … 高级技师) to a member."""

    class Meta:
        model = Certificate
        fields = ("org", "member", "title", "skill_level")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill_level"].required = True
        self.fields["title"].help_text = _("The trade, e.g. CNC lathe operator.")


@admin.register(Certificate)
class CertificateAdmin(ScopedChoices, ScopedAdmin):
    """Certificates are read-only; adding one issues a signed skill-level certificate record
    through ``services.certificate_issue`` (audited there and by the console)."""

    view_capability = "academy.view"
    add_capability = "academy.manage"
    list_display = ("number", "holder_name", "title", "skill_level", "issued_at", "org")
    list_filter = ("skill_level",)
    search_fields = ("number", "holder_name", "title")
    raw_id_fields = ("member",)
    readonly_fields = (
        "number",
        "member",
        "holder_name",
        "course",
        "title",
        "skill_level",
        "issued_at",
        "org",
        "verification",
    )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = SkillCertificateForm
            kwargs["fields"] = SkillCertificateForm.Meta.fields
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return SkillCertificateForm.Meta.fields
        return self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "member":
            kwargs["queryset"] = scope(Member.objects.all(), request.user, "members.view")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:  # pragma: no cover - no change permission
            raise PermissionDenied
        data = form.cleaned_data
        cert = services.certificate_issue(
            member=data["member"],
            org=data["org"],
            title=data["title"],
            skill_level=data["skill_level"],
            actor=request.user,
            ip=client_ip(request),
        )
        obj.__dict__.update({k: v for k, v in cert.__dict__.items() if not k.startswith("_")})
        obj._state.adding = False

    @admin.display(description=_("Verification page"))
    def verification(self, obj: Certificate) -> str:
        from .selectors import verify_path

        return verify_path(obj)
