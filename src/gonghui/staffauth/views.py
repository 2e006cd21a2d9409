"""Console pages: the staff login, the user's own two-factor set-up, and resets in scope."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gonghui.core.audit import client_ip
from gonghui.core.errors import NotFound, Refused
from gonghui.orgs.scoping import can, is_unrestricted

from . import services
from .forms import StaffLoginForm, TotpCodeForm
from .selectors import CAP_TOTP_RESET, resettable_staff, totp_of


def staff_login(request: HttpRequest) -> HttpResponseBase:
    """/admin/login/: the admin site's own login, with our form and template."""
    site = admin.site
    if request.method == "GET" and site.has_permission(request):
        return redirect(reverse("admin:index", current_app=site.name))
    request.current_app = site.name  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": request.user.get_username(),
    }
    index = reverse("admin:index", current_app=site.name)
    if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
        context[REDIRECT_FIELD_NAME] = index
    view = LoginView.as_view(
        authentication_form=StaffLoginForm,
        template_name="staffauth/login.html",
        extra_context=context,
        # Where a sign-in lands when ``next`` is missing or unsafe (another host): the console,
        # not Django's LOGIN_REDIRECT_URL (/accounts/profile/, which does not exist here).
        next_page=index,
    )
    return view(request)


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, {**admin.site.each_context(request), **context})


def _qr_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def totp_setup(request: HttpRequest) -> HttpResponse:
    """The signed-in staff user's own second factor: enrol, confirm, or turn off."""
    user = request.user
    form = TotpCodeForm(request.POST or None)
    record = totp_of(user)
    action = request.POST.get("action", "")
    if (
        request.method == "POST"
        and action == "restart"
        and (record is None or not record.is_active)
    ):
        services.totp_enrol_start(user=user, restart=True)
        return redirect("staffauth:totp")
    if request.method == "POST" and form.is_valid():
        try:
            if action == "disable":
                services.totp_disable(
                    user=user, code=form.cleaned_data["code"], ip=client_ip(request)
                )
                messages.success(request, _("Two-factor authentication is now off."))
            else:
                services.totp_confirm(
                    user=user, code=form.cleaned_data["code"], ip=client_ip(request)
                )
                messages.success(
                    request, _("Two-factor authentication is on: sign-in will ask for a code.")
                )
            return redirect("staffauth:totp")
        except Refused as exc:
            form.add_error("code" if exc.field == "code" else None, str(exc.message))
    record = totp_of(user)
    context: dict[str, Any] = {"title": _("Two-factor authentication"), "form": form}
    if record is not None and record.is_active:
        context["active"] = record
    else:
        record = services.totp_enrol_start(user=user)
        secret = services.totp_secret(record)
        context.update(
            pending=record,
            secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            qr_data_uri=_qr_data_uri(services.totp_provisioning_uri(record=record)),
        )
    return _page(request, "staffauth/totp.html", context)


def _require_reset_capability(request: HttpRequest) -> None:
    if not (is_unrestricted(request.user) or can(request.user, CAP_TOTP_RESET)):
        raise Http404


def totp_reset_list(request: HttpRequest) -> HttpResponse:
    """Staff in the user's subtree, with the state of their second factor."""
    _require_reset_capability(request)
    staff = list(resettable_staff(request.user).select_related("staff_totp").order_by("username"))
    rows = [(u, getattr(u, "staff_totp", None)) for u in staff]
    return _page(
        request,
        "staffauth/totp_reset.html",
        {"title": _("Reset two-factor authentication"), "rows": rows},
    )


@require_POST
def totp_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    _require_reset_capability(request)
    try:
        target = services.totp_reset(actor=request.user, target_id=user_id, ip=client_ip(request))
    except NotFound:
        raise Http404 from None
    except Refused as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("Two-factor authentication of %(user)s has been reset.")
            % {"user": target.get_username()},
        )
    return redirect("staffauth:totp_reset_list")


def account_links(request: HttpRequest) -> list[dict[str, Any]]:
    """Links in the console's account menu (UNFOLD["ACCOUNT"]["navigation"])."""
    links = [{"title": _("Two-factor authentication"), "link": reverse("staffauth:totp")}]
    if is_unrestricted(request.user) or can(request.user, CAP_TOTP_RESET):
        links.append(
            {"title": _("Reset staff two-factor"), "link": reverse("staffauth:totp_reset_list")}
        )
    return links
