"""The member's profile page, /m/profile: who they are (masked), a phone change proved by an SMS
code sent to the new number, and their home address. A member only ever changes themself: every
write takes the member from the session, never from the request.

Thin like the other H5 views: ``services.member_phone_change`` and ``member_address_set`` decide.
Works without JavaScript (plain POST, then a redirect); with htmx the phone box swaps alone."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused

from . import pii
from .forms_h5 import AddressForm, PhoneChangeForm
from .models import Member, OtpChallenge
from .services import member_address_set, member_phone_change, member_phone_change_check
from .session import member_required, verified_phones_replace
from .views_common import _otp_fragment, _redirect, _send_code

DONE_MESSAGES = {"phone", "address"}


def _send_phone_change_code(request: HttpRequest, member: Member) -> dict[str, Any]:
    """Refuse a number the member cannot move to, else send the code to the NEW number (the
    sign-in limits apply: per phone and per IP). The code-status fragment's context."""
    return _send_code(
        request,
        OtpChallenge.Purpose.PHONE_CHANGE,
        check=lambda phone: member_phone_change_check(member=member, phone=phone),
    )


@require_http_methods(["GET", "POST"])
@member_required
def profile(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    phone_form = PhoneChangeForm()
    address_form = AddressForm(initial={"address": member.address})
    otp: dict[str, Any] | None = None
    status = 200
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "send":
        otp = _send_phone_change_code(request, member)
        phone_form = PhoneChangeForm(initial={"phone": request.POST.get("phone", "")})
    elif action == "phone":
        phone_form = PhoneChangeForm(request.POST)
        if phone_form.is_valid():
            old_phone = pii.open_phone(member)
            try:
                member_phone_change(
                    member=member,
                    phone=phone_form.cleaned_data["phone"],
                    code=phone_form.cleaned_data["code"],
                    ip=client_ip(request),
                )
            except Refused as exc:
                field = exc.field if exc.field in phone_form.fields else "code"
                phone_form.add_error(field, str(exc.message))
            else:
                verified_phones_replace(
                    request, old_phone=old_phone, new_phone=pii.open_phone(member)
                )
                return _redirect(request, reverse("h5:profile") + "?done=phone")
    elif action == "address":
        address_form = AddressForm(request.POST)
        if address_form.is_valid():
            try:
                member_address_set(member=member, address=address_form.cleaned_data["address"])
            except Refused as exc:
                address_form.add_error("address", str(exc.message))
            else:
                return _redirect(request, reverse("h5:profile") + "?done=address")
    elif request.method == "POST":
        status = 400  # no such action
    # Refusals answer 200 with the messages in the form: htmx swaps only 2xx answers.
    done = request.GET.get("done", "")
    context = {
        "member": member,
        "phone_form": phone_form,
        "address_form": address_form,
        "otp": otp,
        "done": done if done in DONE_MESSAGES else "",
    }
    response = render(request, "members/h5/profile.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@member_required
def profile_code(request: HttpRequest) -> HttpResponse:
    """htmx: send the code of a phone change to the new number; the code-status fragment."""
    member: Member = request.member  # type: ignore[attr-defined]
    return _otp_fragment(request, _send_phone_change_code(request, member))
