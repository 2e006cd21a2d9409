"""Console review queues: enrolments and transfer requests (registered from members/admin.py).

Reviewers (capability ``members.review``) see the applications of their orgs' subtrees, pending
first and oldest first, with ID numbers and phones masked. They decide with

- the change page's buttons: "Approve" (a POST form) and "Reject" (a small form asking for the
  reason), served by custom admin URLs that accept POST only for the decision, with CSRF;
- bulk actions on the list: approve the selected, or reject them with one reason (an
  intermediate form page).

Every decision goes through ``members.enrolment`` (which checks scope again, audits and notifies).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import scope

from . import enrolment as services
from . import transfers
from .models import Enrolment, TransferRequest

REVIEW = "members.review"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (told to the applicant)"),
        min_length=services.REASON_MIN,
        max_length=services.REASON_MAX,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "id": "reject-reason",
                "data-testid": "reject-reason",
                "class": "border border-base-200 rounded-default px-3 py-2 w-full max-w-2xl "
                "bg-white dark:bg-base-900 dark:border-base-700",
            }
        ),
    )


def _union_filter(parameter: str, field: str) -> type[admin.SimpleListFilter]:
    """A list filter offering only the unions in the reviewer's scope (no org names leak)."""

    class UnionInScopeFilter(admin.SimpleListFilter):
        title = gettext_lazy("Union")
        parameter_name = parameter

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            orgs = scope(
                Org.objects.filter(kind__in=[Org.Kind.GRASSROOTS, Org.Kind.INDUSTRY]),
                request.user,
                REVIEW,
                field="",
            ).order_by("name")[:300]
            return [(str(o.pk), o.name) for o in orgs]

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            if value and value.isdigit():
                return queryset.filter(**{f"{field}_id": int(value)})
            return queryset

    return UnionInScopeFilter


class _ReviewAdmin(ScopedAdmin):
    """Shared machinery: decision URLs, change-page buttons, bulk actions."""

    view_capability = REVIEW
    change_capability = None  # the records are changed only by the decisions below
    pending_status: str = ""
    testid: str = ""  # "enrolment" or "transfer"
    change_form_outer_before_template = "members/review/decide.html"

    # --- what a decision is -------------------------------------------------------------------
    def approve_one(self, request: HttpRequest, obj: Any) -> str:
        raise NotImplementedError

    def reject_one(self, request: HttpRequest, obj: Any, reason: str) -> str:
        raise NotImplementedError

    # --- permissions --------------------------------------------------------------------------
    def has_review_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._in_scope(request, REVIEW, obj)

    # --- urls ---------------------------------------------------------------------------------
    def _url_name(self, what: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_{what}"

    def get_urls(self) -> list[URLPattern]:
        wrap: Callable[..., Any] = self.admin_site.admin_view
        extra = [
            path(
                "<path:object_id>/approve/",
                wrap(self.approve_view),
                name=self._url_name("approve"),
            ),
            path(
                "<path:object_id>/reject/",
                wrap(self.reject_view),
                name=self._url_name("reject"),
            ),
        ]
        return extra + super().get_urls()

    def _object_or_404(self, request: HttpRequest, object_id: str) -> Any:
        obj = self.get_object(request, object_id)  # scoped queryset: out of scope is None
        if obj is None or not self.has_review_permission(request, obj):
            raise Http404
        return obj

    def _change_url(self, obj: Any) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

    def _changelist_url(self) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    # --- per-object views ---------------------------------------------------------------------
    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_POST(self._approve)(request, object_id)

    def _approve(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._object_or_404(request, object_id)
        try:
            note = self.approve_one(request, obj)
        except Refused as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, note)
        return HttpResponseRedirect(self._change_url(obj))

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return require_http_methods(["GET", "POST"])(self._reject)(request, object_id)

    def _reject(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._object_or_404(request, object_id)
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                note = self.reject_one(request, obj, form.cleaned_data["reason"])
            except Refused as exc:
                if exc.field == "reason":
                    form.add_error("reason", str(exc.message))
                else:
                    messages.error(request, str(exc.message))
                    return HttpResponseRedirect(self._change_url(obj))
            else:
                messages.success(request, note)
                return HttpResponseRedirect(self._change_url(obj))
        return self._reason_page(request, form=form, objects=[obj], action_url=request.path)

    def _reason_page(
        self,
        request: HttpRequest,
        *,
        form: ReasonForm,
        objects: list[Any],
        action_url: str,
        bulk_action: str = "",
    ) -> TemplateResponse:
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": _("Reject"),
            "objects": objects,
            "form": form,
            "action_url": action_url,
            "bulk_action": bulk_action,
            "selected": [str(o.pk) for o in objects],
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "back_url": self._change_url(objects[0])
            if len(objects) == 1 and not bulk_action
            else self._changelist_url(),
        }
        return TemplateResponse(request, "members/review/reject.html", context)

    # --- change page --------------------------------------------------------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if (
            obj is not None
            and obj.status == self.pending_status
            and self.has_review_permission(request, obj)
        ):
            opts = self.model._meta
            extra_context["review"] = {
                "approve_url": reverse(f"admin:{self._url_name('approve')}", args=[obj.pk]),
                "reject_url": reverse(f"admin:{self._url_name('reject')}", args=[obj.pk]),
                "approve_testid": f"approve-{self.testid}",
                "reject_testid": f"reject-{self.testid}",
                "what": opts.verbose_name,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- bulk actions -------------------------------------------------------------------------
    def _decide_many(
        self, request: HttpRequest, queryset: QuerySet, decide: Callable[[Any], str]
    ) -> None:
        done = 0
        for obj in queryset.order_by("pk"):
            try:
                decide(obj)
            except Refused as exc:
                messages.error(request, f"{obj}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(request, _("%(count)d decided.") % {"count": done})

    @admin.action(description=gettext_lazy("Approve the selected"), permissions=["review"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide_many(request, queryset, lambda obj: self.approve_one(request, obj))

    @admin.action(description=gettext_lazy("Reject the selected…"), permissions=["review"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        objects = list(queryset.order_by("pk"))
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._decide_many(request, queryset, lambda obj: self.reject_one(request, obj, reason))
            return None
        return self._reason_page(
            request,
            form=form,
            objects=objects,
            action_url=request.get_full_path(),
            bulk_action="reject_selected",
        )

    actions = ["approve_selected", "reject_selected"]


def _pending_first(status: str) -> Case:
    return Case(When(status=status, then=Value(0)), default=Value(1), output_field=IntegerField())


@admin.register(Enrolment)
class EnrolmentReviewAdmin(_ReviewAdmin):
    scope_field = "org"
    pending_status = Enrolment.Status.SUBMITTED
    testid = "enrolment"
    list_display = (
        "name",
        "id_number_masked",
        "phone_masked",
        "org",
        "enterprise_or_employer",
        "employment_type",
        "status",
        "submitted_at",
    )
    list_filter = ("status", _union_filter("org", "org"), "employment_type")
    list_select_related = ("org", "enterprise")
    search_fields = ("name",)
    ordering = (_pending_first(Enrolment.Status.SUBMITTED).asc(), "submitted_at", "id")
    fields = (
        "name",
        "id_number_masked",
        "phone_masked",
        "org",
        "enterprise",
        "employer_name",
        "employment_type",
        "gig_trade",
        "status",
        "reject_reason",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "member",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("Employer"))
    def enterprise_or_employer(self, obj: Enrolment) -> str:
        return obj.enterprise.name if obj.enterprise_id and obj.enterprise else obj.employer_name

    def approve_one(self, request: HttpRequest, obj: Enrolment) -> str:
        member = services.enrolment_approve(
            enrolment=obj, actor=request.user, ip=client_ip(request)
        )
        return _("Approved %(name)s: member number %(member_no)s.") % {
            "name": obj.name,
            "member_no": member.member_no,
        }

    def reject_one(self, request: HttpRequest, obj: Enrolment, reason: str) -> str:
        services.enrolment_reject(
            enrolment=obj, actor=request.user, reason=reason, ip=client_ip(request)
        )
        return _("Rejected the application of %(name)s.") % {"name": obj.name}


@admin.register(TransferRequest)
class TransferReviewAdmin(_ReviewAdmin):
    scope_field = "to_org"
    pending_status = TransferRequest.Status.PENDING
    testid = "transfer"
    list_display = ("member", "from_org", "to_org", "to_enterprise", "status", "requested_at")
    list_filter = ("status", _union_filter("to_org", "to_org"))
    list_select_related = ("member", "from_org", "to_org", "to_enterprise")
    search_fields = ("member__name", "member__member_no")
    ordering = (_pending_first(TransferRequest.Status.PENDING).asc(), "requested_at", "id")
    fields = (
        "member",
        "from_org",
        "to_org",
        "to_enterprise",
        "note",
        "status",
        "reject_reason",
        "requested_at",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields

    def approve_one(self, request: HttpRequest, obj: TransferRequest) -> str:
        member = transfers.transfer_approve(transfer=obj, actor=request.user, ip=client_ip(request))
        return _("%(member)s moved to %(org)s.") % {"member": member, "org": obj.to_org.name}

    def reject_one(self, request: HttpRequest, obj: TransferRequest, reason: str) -> str:
        transfers.transfer_reject(
            transfer=obj, actor=request.user, reason=reason, ip=client_ip(request)
        )
        return _("Declined the transfer of %(member)s.") % {"member": obj.member}
