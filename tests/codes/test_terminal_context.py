"""Terminals are bound to what their creator may reach (issue #10, item 1).

A terminal's context must exist and lie in the creator's scope and in the terminal's org; the
service (``terminal_create`` / ``terminal_update``) checks it and the console goes through it,
with a field error, nothing saved and nothing audited. ``codes`` asks the context's app through
the resolver registered with the scan handler (``codes.dispatch``)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client

from gonghui.codes import dispatch, services
from gonghui.codes.models import Terminal
from gonghui.core.errors import Refused
from gonghui.core.models import AuditEntry
from gonghui.orgs.models import Role
from tests.activities.factories import make_activity, make_session
from tests.benefits.factories import make_merchant, make_store
from tests.factories import make_staff, org_child, org_root
from tests.jobs.factories import make_enterprise
from tests.venues.factories import make_venue

pytestmark = pytest.mark.django_db

STORE = "benefits.store"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def tree():
    root = org_root()
    district = org_child(root, kind="district")
    grassroots = org_child(district)
    other = org_child(root, kind="district")
    mine = make_store(make_merchant(district), name="我的店")
    theirs = make_store(make_merchant(other), name="别人的店")
    admin = make_staff(district, Role.UNION_ADMIN)
    return SimpleNamespace(
        root=root,
        district=district,
        grassroots=grassroots,
        other=other,
        mine=mine,
        theirs=theirs,
        admin=admin,
    )


def create(t, *, context_id, context_type=STORE, org=None, actor=None):
    return services.terminal_create(
        actor=actor or t.admin,
        org=org or t.district,
        kind="pos",
        name="收银台",
        context_type=context_type,
        context_id=context_id,
    )


def audited(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


# --- the service -------------------------------------------------------------------------------


def test_a_store_of_another_subtree_is_refused(tree):
    with pytest.raises(Refused) as refused:
        create(tree, context_id=str(tree.theirs.pk))
    assert refused.value.field == "context_id"
    assert Terminal.objects.count() == 0 and audited("codes.terminal.create") == 0


@pytest.mark.parametrize("context_id", ["999999", "abc", "-1", " ", "1e3"])
def test_a_store_that_does_not_exist_is_refused(tree, context_id):
    with pytest.raises(Refused) as refused:
        create(tree, context_id=context_id)
    assert refused.value.field == "context_id"
    assert Terminal.objects.count() == 0 and audited("codes.terminal.create") == 0


def test_out_of_scope_and_absent_say_the_same(tree):
    """Scope cannot be probed: a store elsewhere reads like a store that does not exist."""
    with pytest.raises(Refused) as elsewhere:
        create(tree, context_id=str(tree.theirs.pk))
    with pytest.raises(Refused) as absent:
        create(tree, context_id="999999")
    assert elsewhere.value.code == absent.value.code
    assert str(elsewhere.value.message) == str(absent.value.message)


def test_an_unknown_context_type_is_refused(tree):
    with pytest.raises(Refused) as refused:
        create(tree, context_type="nobody.here", context_id="1")
    assert refused.value.field == "context_type"
    assert Terminal.objects.count() == 0


def test_the_context_must_lie_in_the_terminals_org(tree):
    """A federation admin reaches both subtrees, but a terminal of the grassroots union may not
    stand in a store managed above it: its staff would operate a place beyond their subtree."""
    fed_admin = make_staff(tree.root, Role.FEDERATION_ADMIN)
    with pytest.raises(Refused) as refused:
        create(tree, actor=fed_admin, org=tree.grassroots, context_id=str(tree.mine.pk))
    assert refused.value.field == "context_id"
    assert Terminal.objects.count() == 0
    terminal, _key = create(tree, actor=fed_admin, org=tree.root, context_id=str(tree.theirs.pk))
    assert terminal.context_id == str(tree.theirs.pk)


def test_a_store_in_scope_is_accepted_and_audited(tree):
    terminal, key = create(tree, context_id=f" {tree.mine.pk} ")
    assert terminal.context_id == str(tree.mine.pk) and key.startswith("ght_")
    assert audited("codes.terminal.create") == 1


def test_repointing_out_of_scope_is_refused(tree):
    terminal, _key = create(tree, context_id=str(tree.mine.pk))
    for context_id in (str(tree.theirs.pk), "999999"):
        with pytest.raises(Refused) as refused:
            services.terminal_update(
                terminal=terminal,
                actor=tree.admin,
                name="收银台",
                kind="pos",
                org=tree.district,
                context_type=STORE,
                context_id=context_id,
            )
        assert refused.value.field == "context_id"
    terminal.refresh_from_db()
    assert terminal.context_id == str(tree.mine.pk)
    assert audited("codes.terminal.update") == 0


def test_repointing_in_scope_is_audited(tree):
    terminal, _key = create(tree, context_id=str(tree.mine.pk))
    other_mine = make_store(tree.mine.merchant, name="我的二店")
    services.terminal_update(
        terminal=terminal,
        actor=tree.admin,
        name="二店收银台",
        kind="pos",
        org=tree.district,
        context_type=STORE,
        context_id=str(other_mine.pk),
    )
    terminal.refresh_from_db()
    assert terminal.context_id == str(other_mine.pk) and terminal.name == "二店收银台"
    entry = AuditEntry.objects.get(action="codes.terminal.update")
    assert entry.data["context"] == f"{STORE}:{other_mine.pk}"
    assert entry.data["was"] == f"{STORE}:{tree.mine.pk}"


def test_an_out_of_scope_terminal_cannot_be_updated(tree):
    terminal, _key = create(
        tree,
        actor=make_staff(tree.root, Role.FEDERATION_ADMIN),
        org=tree.other,
        context_id=str(tree.theirs.pk),
    )
    from gonghui.core.errors import NotFound

    with pytest.raises(NotFound):
        services.terminal_update(
            terminal=terminal,
            actor=tree.admin,
            name="x",
            kind="pos",
            org=tree.district,
            context_type=STORE,
            context_id=str(tree.mine.pk),
        )


# --- every context type says where its contexts lie ---------------------------------------------


def test_every_registered_context_type_has_a_resolver():
    for registration in dispatch.registered():
        assert dispatch.context_org(registration.context_type, "0") is None
        assert registration.resolve is not None, registration.context_type


def test_resolvers_find_the_org_of_each_context(tree):
    venue = make_venue(tree.other)
    session = make_session(make_activity(tree.other))
    from gonghui.jobs.models import Booth, JobFair

    fair = JobFair.objects.create(
        org=tree.other, title="招聘会", date=dt.date(2026, 12, 1), place="玉环", kind="general"
    )
    booth = Booth.objects.create(
        fair=fair, enterprise=make_enterprise(org_child(tree.other)), number="A1"
    )
    for context_type, obj in (
        (STORE, tree.theirs),
        ("venues.venue", venue),
        ("activities.session", session),
        ("jobs.fair", fair),
        ("jobs.booth", booth),
    ):
        assert dispatch.context_org(context_type, str(obj.pk)) == tree.other, context_type
        assert dispatch.context_org(context_type, "987654321") is None, context_type
        assert dispatch.context_org(context_type, "x1") is None, context_type
        with pytest.raises(Refused):  # another subtree's venue gate, fair booth, …
            create(tree, context_type=context_type, context_id=str(obj.pk))
    assert Terminal.objects.count() == 0


# --- the console goes through the service ------------------------------------------------------


def console(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def test_console_add_refuses_a_store_out_of_scope_with_a_field_error(tree):
    c = console(tree.admin)
    for context_id in (str(tree.theirs.pk), "999999"):
        r = c.post(
            "/admin/codes/terminal/add/",
            {
                "name": "收银台",
                "kind": "pos",
                "org": tree.district.pk,
                "context_type": STORE,
                "context_id": context_id,
            },
        )
        assert r.status_code == 200
        assert "context_id" in form_errors(r), r.content[:300]
    assert Terminal.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="codes.terminal").count() == 0


def test_console_add_in_scope_goes_through_the_service(tree):
    c = console(tree.admin)
    r = c.post(
        "/admin/codes/terminal/add/",
        {
            "name": "收银台",
            "kind": "pos",
            "org": tree.district.pk,
            "context_type": STORE,
            "context_id": str(tree.mine.pk),
        },
    )
    assert r.status_code == 200 and 'data-testid="terminal-key"' in r.content.decode()
    terminal = Terminal.objects.get()
    assert terminal.created_by == tree.admin
    assert audited("codes.terminal.create") == 1


def test_console_change_refuses_repointing_with_a_field_error(tree):
    terminal, _key = create(tree, context_id=str(tree.mine.pk))
    c = console(tree.admin)
    url = f"/admin/codes/terminal/{terminal.pk}/change/"
    r = c.post(
        url,
        {
            "name": "收银台",
            "kind": "pos",
            "org": tree.district.pk,
            "context_type": STORE,
            "context_id": str(tree.theirs.pk),
        },
    )
    assert r.status_code == 200 and "context_id" in form_errors(r)
    terminal.refresh_from_db()
    assert terminal.context_id == str(tree.mine.pk)
    assert audited("codes.terminal.update") == 0 and audited("codes.terminal.change") == 0
    other_mine = make_store(tree.mine.merchant, name="我的二店")
    r = c.post(
        url,
        {
            "name": "收银台",
            "kind": "pos",
            "org": tree.district.pk,
            "context_type": STORE,
            "context_id": str(other_mine.pk),
        },
    )
    assert r.status_code == 302
    terminal.refresh_from_db()
    assert terminal.context_id == str(other_mine.pk)
    assert audited("codes.terminal.update") == 1


def test_context_labels_follow_the_request_language():
    """A scan context's label is a lazy translation, shown in each request's language (it was
    turned into a string once, when the app registry was filled)."""
    from django.utils import translation

    from gonghui.codes import dispatch

    with translation.override("en"):
        english = dispatch.label_of("benefits.store")
    with translation.override("zh-hans"):
        chinese = dispatch.label_of("benefits.store")
    assert english == "Store" and chinese != english and chinese
