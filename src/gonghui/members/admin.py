"""Staff console for members: org-scoped, masked by default, audited."""

from . import admin_review  # noqa: F401  (registers the enrolment and transfer review queues)
from .roster import admin as roster_admin  # noqa: F401  (registers the roster console pages)

# isort: split
import contextlib
from typing import Any

from django.contrib import admin
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline

from gonghui.core.audit import client_ip
from gonghui.core.identifiers import (
    InvalidIdentifier,
    normalize_id_number,
    normalize_member_no,
    normalize_phone,
)
from gonghui.core.money import format_fen
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.admin_filters import day_range_filter, subtree_filter
from gonghui.orgs.admin_labels import LabelledAdmin, code_filter, object_link
from gonghui.orgs.models import Enterprise
from gonghui.orgs.scoping import can, get_in_scope_or_404, scope

from . import pii, servicekinds
from .models import Member, MemberHistory, ServiceEvent
from .services import member_reveal

REVEAL_FIELDS = {"id_number": _("ID number"), "phone": _("Phone")}


class MemberHistoryInline(TabularInline):
    """A member's status and union changes; append-only, so read-only here."""

    model = MemberHistory
    fk_name = "member"
    extra = 0
    can_delete = False
    fields = ("at", "kind", "from_status", "to_status", "from_org", "to_org", "reason", "actor")
    readonly_fields = fields
    ordering = ("-at", "-id")
    verbose_name_plural = _("History")

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # The parent admin has already scoped the member; its viewers see its history.
        return can(request.user, "members.view")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Member)
class MemberAdmin(ScopedAdmin):
    scope_field = "org"
    view_capability = "members.view"
    change_capability = "members.manage"
    list_display = (
        "member_no",
        "name",
        "gender",
        "id_number_masked",
        "phone_masked",
        "org",
        "enterprise",
        "employment_type",
        "gig_trade",
        "status",
        "joined_on",
    )
    list_filter = (
        "status",
        "employment_type",
        "gig_trade",
        subtree_filter("org", _("Union (with the unions below)"), "members.view"),
        day_range_filter("joined_on", _("Joined on"), "joined"),
    )
    search_fields = ("name",)
    search_help_text = _("Name (contains), member number, phone or ID number (exact).")
    list_select_related = ("org", "enterprise")
    ordering = ("-pk",)
    show_full_result_count = False
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "member_no",
                    "name",
                    "gender",
                    "birth_date",
                    "id_number_masked",
                    "phone_masked",
                    "org",
                    "status",
                    "joined_on",
                )
            },
        ),
        (
            _("Work"),
            {"fields": ("enterprise", "employment_type", "gig_trade", "is_frontline", "skills")},
        ),
    )
    # Identity, union and status change only through their services (enrolment, transfer,
    # status change), which keep the history; the PII is shown masked and never edited here.
    readonly_fields = (
        "member_no",
        "gender",
        "birth_date",
        "id_number_masked",
        "phone_masked",
        "org",
        "status",
        "joined_on",
    )
    inlines = (MemberHistoryInline,)
    change_form_outer_before_template = "admin/members/member/reveal_buttons.html"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # members come from enrolment review and roster import

    # --- search: name contains, member number exact, phone / ID number by blind index -------
    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        q = Q(name__icontains=term) | Q(member_no=normalize_member_no(term))
        with contextlib.suppress(InvalidIdentifier):
            q |= Q(phone_index=pii.phone_index(normalize_phone(term)))
        id_number = normalize_id_number(term)
        if len(id_number) == 18:
            q |= Q(id_number_index=pii.id_number_index(id_number))
        return queryset.filter(q), False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "enterprise":
            kwargs["queryset"] = scope(
                Enterprise.objects.all(), request.user, "enterprises.view", "union"
            ).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- reveal ------------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        reveal = path(
            "<path:object_id>/reveal/<str:field>/",
            self.admin_site.admin_view(self.reveal_view),
            name="{}_{}_reveal".format(*info),
        )
        return [reveal, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        extra_context["gonghui_can_reveal"] = can(request.user, "members.reveal", obj.org)
        extra_context["gonghui_reveal_fields"] = [
            (key, label, getattr(obj, f"{key}_masked")) for key, label in REVEAL_FIELDS.items()
        ]
        return super().change_view(request, object_id, form_url, extra_context)

    def reveal_view(self, request: HttpRequest, object_id: str, field: str) -> HttpResponse:
        """POST: show the full ID number or phone once; audited. No capability or out of scope: 404."""
        if field not in REVEAL_FIELDS:
            raise Http404
        member = get_in_scope_or_404(
            Member.objects.select_related("org"), request.user, "members.reveal", pk=object_id
        )
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        value = member_reveal(member=member, field=field, actor=request.user, ip=client_ip(request))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": member,
            "title": _("Full %(field)s") % {"field": REVEAL_FIELDS[field]},
            "field_label": REVEAL_FIELDS[field],
            "value": value,
        }
        response = TemplateResponse(request, "admin/members/member/reveal.html", context)
        response["Cache-Control"] = "no-store"
        return response


@admin.register(ServiceEvent)
class ServiceEventAdmin(LabelledAdmin, ScopedAdmin):
    scope_field = "org"
    view_capability = "members.view"
    change_capability = None
    list_display = ("occurred_at", "member", "org", "kind_label", "amount", "source")
    list_filter = (
        code_filter("kind", _("Service kind"), servicekinds.label_for),
        subtree_filter("org", _("Union (with the unions below)"), "members.view"),
        day_range_filter("occurred_at", _("Occurred"), "occurred"),
    )
    date_hierarchy = "occurred_at"
    search_fields = ("=member__member_no", "kind")
    list_select_related = ("member", "org")
    show_full_result_count = False
    fields = ("occurred_at", "member", "org", "kind_label", "amount", "source", "created_at")
    readonly_fields = fields

    @admin.display(description=_("Amount"), ordering="amount_fen")
    def amount(self, obj: ServiceEvent) -> str:
        return format_fen(obj.amount_fen)

    @admin.display(description=_("Service kind"), ordering="kind")
    def kind_label(self, obj: ServiceEvent) -> Any:
        return servicekinds.label_for(obj.kind)

    @admin.display(description=_("Source"))
    def source(self, obj: ServiceEvent) -> str:
        return object_link(obj.source_type, obj.source_id)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False
