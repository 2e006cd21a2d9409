"""Console: terminals (key shown once, poster, new key, disable), credentials (revoke audited),
scoping (out of scope → 404), and the member's reverse-scan page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from gonghui.codes import services
from gonghui.codes.models import Credential, Terminal
from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.members.session import SESSION_MEMBER_KEY
from gonghui.orgs.models import Role
from tests.factories import make_staff, org_child, org_root

from .conftest import PING

pytestmark = pytest.mark.django_db


def staff_client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_create_terminal_shows_the_key_once(union, ping):
    admin_user = make_staff(union, Role.UNION_ADMIN)
    c = staff_client(admin_user)
    r = c.post(
        "/admin/codes/terminal/add/",
        {
            "name": "Gate A",
            "kind": "gate",
            "org": union.pk,
            "context_type": PING,
            "context_id": str(union.pk),  # a ping context lies in the org whose id it is
        },
    )
    assert r.status_code == 200, r.content[:500]
    assert "no-store" in r["Cache-Control"]
    key = re.search(r'data-testid="terminal-key">([^<]+)<', r.content.decode())[1]
    terminal = Terminal.objects.get(name="Gate A")
    assert key.startswith("ght_") and terminal.key_hash == services.key_hash(key)
    assert key not in str(Terminal.objects.filter(pk=terminal.pk).values().get())
    assert AuditEntry.objects.filter(
        action="codes.terminal.create", object_id=str(terminal.pk)
    ).exists()
    change = c.get(f"/admin/codes/terminal/{terminal.pk}/change/")
    assert change.status_code == 200 and key not in change.content.decode()
    api = Client().get("/api/v1/codes/terminal", HTTP_AUTHORIZATION=f"Terminal {key}")
    assert api.status_code == 200 and api.json()["name"] == "Gate A"


def test_terminal_org_must_be_in_scope(union, ping):
    admin_user = make_staff(union, Role.UNION_ADMIN)
    elsewhere = org_child(org_root())
    r = staff_client(admin_user).post(
        "/admin/codes/terminal/add/",
        {"name": "X", "kind": "gate", "org": elsewhere.pk, "context_type": PING, "context_id": "1"},
    )
    assert r.status_code == 200 and not Terminal.objects.filter(name="X").exists()


def test_poster_page_and_new_poster(terminal, union):
    c = staff_client(make_staff(union, Role.UNION_ADMIN))
    r = c.get(f"/admin/codes/terminal/{terminal.pk}/poster/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "<svg" in html and "/m/code/scan/?t=" in html
    token = re.search(r"/m/code/scan/\?t=([^<\s\"]+)", html)[1]
    assert services.poster_terminal(token).pk == terminal.pk
    assert AuditEntry.objects.filter(action="codes.terminal.poster").count() == 1
    r = c.post(f"/admin/codes/terminal/{terminal.pk}/poster/")
    assert r.status_code == 200
    with pytest.raises(Refused):
        services.poster_terminal(token)
    assert AuditEntry.objects.filter(action="codes.terminal.rotate_poster").count() == 1


def test_new_key_from_console(terminal_and_key, union):
    terminal, old_key = terminal_and_key
    c = staff_client(make_staff(union, Role.FEDERATION_ADMIN))
    assert c.get(f"/admin/codes/terminal/{terminal.pk}/rotate-key/").status_code == 200
    r = c.post(f"/admin/codes/terminal/{terminal.pk}/rotate-key/")
    new_key = re.search(r'data-testid="terminal-key">([^<]+)<', r.content.decode())[1]
    assert new_key != old_key
    assert (
        Client().get("/api/v1/codes/terminal", HTTP_AUTHORIZATION=f"Terminal {old_key}").status_code
        == 401
    )
    assert (
        Client().get("/api/v1/codes/terminal", HTTP_AUTHORIZATION=f"Terminal {new_key}").status_code
        == 200
    )


def test_disable_action_is_audited(terminal, union):
    c = staff_client(make_staff(union, Role.UNION_ADMIN))
    r = c.post(
        "/admin/codes/terminal/",
        {"action": "disable_selected", "_selected_action": [terminal.pk]},
    )
    assert r.status_code == 302
    terminal.refresh_from_db()
    assert not terminal.is_active and terminal.disabled_reason
    assert (
        AuditEntry.objects.filter(
            action="codes.terminal.disable", object_id=str(terminal.pk)
        ).count()
        == 1
    )


def test_out_of_scope_and_wrong_role_answer_404(terminal, union, issued):
    stranger = make_staff(org_child(org_root()), Role.UNION_ADMIN)
    c = staff_client(stranger)
    for url in (
        f"/admin/codes/terminal/{terminal.pk}/change/",
        f"/admin/codes/terminal/{terminal.pk}/poster/",
        f"/admin/codes/terminal/{terminal.pk}/rotate-key/",
        f"/admin/codes/credential/{issued[0].pk}/change/",
    ):
        assert c.get(url).status_code == 404, url
    cashier = staff_client(make_staff(union, Role.MERCHANT_STAFF))
    assert cashier.get("/admin/codes/terminal/").status_code in (302, 403)
    assert cashier.get(f"/admin/codes/terminal/{terminal.pk}/poster/").status_code in (
        302,
        403,
        404,
    )


def test_revoke_credential_from_console(issued, union):
    credential, _seed = issued
    auditor = staff_client(make_staff(union, Role.AUDITOR))
    assert auditor.get(f"/admin/codes/credential/{credential.pk}/change/").status_code == 200
    auditor.post(
        "/admin/codes/credential/",
        {"action": "revoke_selected", "_selected_action": [credential.pk]},
    )
    assert Credential.objects.get(pk=credential.pk).status == "active"  # auditors cannot revoke
    c = staff_client(make_staff(union, Role.UNION_ADMIN))
    page = c.get(f"/admin/codes/credential/{credential.pk}/change/").content.decode()
    assert credential.seed_cipher not in page
    r = c.post(
        "/admin/codes/credential/",
        {"action": "revoke_selected", "_selected_action": [credential.pk]},
    )
    assert r.status_code == 302
    assert Credential.objects.get(pk=credential.pk).status == "revoked"
    assert (
        AuditEntry.objects.filter(
            action="codes.credential.revoke", object_id=str(credential.pk)
        ).count()
        == 1
    )


def test_reverse_scan_page(terminal, member):
    c = Client()
    session = c.session
    session[SESSION_MEMBER_KEY] = member.pk
    session.save()
    token = services.poster_token(terminal)
    r = c.get("/m/code/scan/", {"t": token})
    assert r.status_code == 200 and terminal.name in r.content.decode()
    bad = c.get("/m/code/scan/", {"t": "nonsense"})
    assert bad.status_code == 400 and 'data-testid="poster-error"' in bad.content.decode()
    anonymous = Client().get("/m/code/scan/", {"t": token})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/m/login")
