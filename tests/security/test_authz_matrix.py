"""The authorisation matrix: every role × every console view and API operation × in/out of scope.

The views are generated: every model of the admin registry (its changelist, and its change page
for an object in scope and one out of scope), every operation of the Ninja API, and the terminal
page /pos/. The expected outcome of each cell is NOT derived from the grants: it is the committed
table ``authz_matrix.csv`` (one row per view, a column per role × {in, out}), which a person
reviews. A view missing from the table, or a row for a view that no longer exists, fails.

Cells are HTTP status codes; ``-`` means no object of that kind exists on that side in the test
world (list views have no "out" side). POST bodies are the smallest that pass the operation's
schema (its required fields), so that a request gets past validation to the permission check
(some operations validate before they check; those cells read 422). Nothing is written: every
request runs inside a savepoint that is rolled back, so each role meets the same world.

The world: the demo federation (玉环市总工会) holds the "in scope" objects, and every role is
held at its root (the demo's own ``cashier`` and ``employer_staff`` logins for merchant and
employer staff: their reach comes from their merchant and enterprise links); a second federation
(``tests/orgs/admin_world.build_tree``) is the sibling subtree whose objects must answer 404.

To propose a table from what the code does today (then review it row by row, never commit it
blindly): ``GONGHUI_AUTHZ_PROPOSE=/tmp/authz.csv pytest tests/security/test_authz_matrix.py``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import transaction
from django.db.models import Model
from django.urls import reverse

from gonghui.api import api
from gonghui.members.models import Member
from gonghui.orgs.models import Org, Role
from tests.conftest import postgres_only
from tests.factories import make_staff
from tests.orgs.admin_world import build_tree
from tests.rights.factories import ensure_case_types

TABLE = Path(__file__).with_name("authz_matrix.csv")
ROLES = [role.value for role in Role]
COLUMNS = [f"{role}:{side}" for role in ROLES for side in ("in", "out")]
DEMO_LOGINS = {Role.MERCHANT_STAFF.value: "cashier", Role.EMPLOYER_STAFF.value: "employer_staff"}

# Path parameters of the API and the model whose rows they name.
PARAM_MODELS = {
    "enrolment_id": "members.enrolment",
    "transfer_id": "members.transferrequest",
    "member_id": "members.member",
    "account_id": "funds.fundaccount",
    "session_id": "activities.session",
    "registration_id": "activities.registration",
    "posting_id": "jobs.posting",
    "application_id": "jobs.application",
    "redemption_id": "benefits.redemption",
    "settlement_id": "benefits.settlement",
    "venue_id": "venues.venue",
    "booking_id": "venues.booking",
    "file_id": "assistance.hardshipfile",
    "case_id": "rights.rightscase",
    "claim_id": "mutualaid.aidclaim",
    "course_id": "academy.course",
    "lesson_id": "academy.lesson",
    "quiz_id": "academy.quiz",
}
# Where a model's rows hang on the org tree, for models that have no console page of their own.
EXTRA_SCOPE = {"academy.lesson": "course__org"}

pytestmark = [postgres_only(), pytest.mark.postgres]


def admin_views() -> list[str]:
    views = []
    for model in admin.site._registry:
        label = model._meta.label_lower
        views += [f"admin {label} changelist", f"admin {label} change"]
    return sorted(views)


def api_views() -> list[str]:
    schema = api.get_openapi_schema()
    return sorted(
        f"api {method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops
    )


def all_views() -> list[str]:
    return [*admin_views(), *api_views(), "page GET /pos/"]


def read_table() -> dict[str, dict[str, str]]:
    with TABLE.open(newline="", encoding="utf-8") as f:
        return {row["view"]: {c: row[c] for c in COLUMNS} for row in csv.DictReader(f)}


def write_table(path: str, rows: dict[str, dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["view", *COLUMNS], lineterminator="\n")
    writer.writeheader()
    for view in sorted(rows):
        writer.writerow({"view": view, **rows[view]})
    Path(path).write_text(out.getvalue(), encoding="utf-8")


# --- the world --------------------------------------------------------------------------------


def _scope_field(label: str) -> str | None:
    if label in EXTRA_SCOPE:
        return EXTRA_SCOPE[label]
    model = apps.get_model(label)
    model_admin = admin.site._registry.get(model)
    return getattr(model_admin, "scope_field", None)


def _object_under(label: str, root: Org) -> Model | None:
    field = _scope_field(label)
    if field is None:
        return None
    model = apps.get_model(label)
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    value: Any = root.path
    if field.endswith("_id"):  # a bare org id (core's audit log): the ids of the tree's orgs
        lookup, value = f"{field}__in", Org.objects.filter(path__startswith=root.path).values("pk")
    try:
        return model._default_manager.filter(**{lookup: value}).order_by("pk").first()
    except FieldError:
        return None


def _shop(org: Org, member: Any) -> None:
    """A merchant, store, terminal and union-paid offer under ``org``, and one redemption (which
    also leaves a credential, a scan record and ledger rows)."""
    import datetime as dt
    import uuid

    from gonghui.codes import protocol
    from gonghui.codes import services as codes
    from tests.benefits.factories import make_merchant, make_offer, make_store, make_terminal

    merchant = make_merchant(org)
    store = make_store(merchant)
    terminal = make_terminal(store)
    make_offer(merchant, max_subsidy_fen=500)
    credential, seed = codes.credential_issue(member=member)
    step = protocol.time_step(dt.datetime.now(tz=dt.UTC).timestamp())
    result = codes.scan_code(
        terminal=terminal,
        code=protocol.encode(seed=seed, credential_id=credential.pk, step=step, seq=1),
        payload={"bill_fen": 5000},
        idempotency_key=uuid.uuid4().hex,
    )
    assert result.status == 200, result.body


def _services(org: Org) -> None:
    """One object of the main service apps under ``org`` (a sibling tree has no demo data)."""
    from tests.academy.factories import make_course
    from tests.activities.factories import make_activity, make_session
    from tests.benefits.factories import make_budget
    from tests.jobs.factories import make_enterprise, make_posting
    from tests.venues.factories import make_slot, make_venue

    make_session(make_activity(org))
    make_slot(make_venue(org))
    make_course(org)
    make_posting(make_enterprise(org))
    make_budget(org, 100_000)


def _cashier_terminal() -> Any:
    """A store terminal of the demo cashier's merchant: in scope for the operators held at the
    demo federation's root and for that cashier alike."""
    from gonghui.benefits.models import MerchantStaff, Store
    from gonghui.codes.models import Terminal

    merchant_ids = MerchantStaff.objects.filter(user__username="cashier").values("merchant_id")
    stores = Store.objects.filter(merchant_id__in=merchant_ids).values_list("pk", flat=True)
    return (
        Terminal.objects.filter(context_type="benefits.store", context_id__in=map(str, stores))
        .order_by("pk")
        .first()
    )


def _terminal_under(root: Org) -> Any:
    from gonghui.codes.models import Terminal

    return (
        Terminal.objects.filter(context_type="benefits.store", org__path__startswith=root.path)
        .order_by("pk")
        .first()
    )


class World:
    def __init__(self) -> None:
        ensure_case_types()
        call_command("demo", stdout=io.StringIO())
        self.mine = Org.objects.get(code="YH")
        self.theirs_tree = build_tree("乙")
        self.theirs = Org.objects.get(pk=self.theirs_tree.federation.pk)
        _shop(self.mine, Member.objects.filter(org__path__startswith=self.mine.path).first())
        _shop(self.theirs, self.theirs_tree.member)
        _services(self.theirs_tree.union)
        self.terminals = {"in": _cashier_terminal(), "out": _terminal_under(self.theirs)}
        users = get_user_model().objects
        self.users = {
            role: users.get(username=DEMO_LOGINS[role])
            if role in DEMO_LOGINS
            else make_staff(self.mine, role)
            for role in ROLES
        }

    def org(self, side: str) -> Org:
        return self.mine if side == "in" else self.theirs

    def object(self, label: str, side: str) -> Model | None:
        if side == "out":
            known = self.theirs_tree.objects.get(label)
            if known is not None:
                return known
        return _object_under(label, self.mine if side == "in" else self.theirs)


# --- observing --------------------------------------------------------------------------------


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A minimal value that passes ``schema``'s validation (required fields only), so that a
    POST reaches the permission check instead of stopping at 422."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return _example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _example(props[k], components) for k in schema.get("required", [])}
    if kind == "array":
        return [_example(schema.get("items", {}), components)] * schema.get("minItems", 0)
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-06-01"
    if schema.get("format") == "date-time":
        return "2026-06-01T02:00:00Z"
    text = "矩阵探测 authz probe"  # long enough for reasons and notes that need a few words
    return (text * 4)[: schema.get("maxLength", len(text))].ljust(schema.get("minLength", 0), "x")


def _bodies() -> dict[tuple[str, str], str]:
    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    bodies = {}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                bodies[(method.upper(), path)] = json.dumps(_example(body["schema"], components))
    return bodies


BODIES: dict[tuple[str, str], str] = {}
CASHIER_API = "/api/v1/pos/"


def _request(client, method: str, url: str, body: str = "{}") -> int:
    with transaction.atomic():
        if method == "GET":
            status = client.get(url).status_code
        else:
            status = client.generic(
                method,
                url,
                body,
                content_type="application/json",
                headers={"Idempotency-Key": uuid.uuid4().hex},  # operations that need one
            ).status_code
        transaction.set_rollback(True)
    return status


def _admin_cell(client, world: World, view: str, side: str) -> str:
    _, label, kind = view.split(" ")
    model = apps.get_model(label)
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}_{kind}"
    if kind == "changelist":
        return str(_request(client, "GET", reverse(name))) if side == "in" else "-"
    obj = world.object(label, side)
    if obj is None:
        return "-"
    return str(_request(client, "GET", reverse(name, args=[obj.pk])))


def _api_cell(client, world: World, view: str, side: str) -> str:
    _, method, path = view.split(" ")
    if not BODIES:
        BODIES.update(_bodies())
    body = BODIES.get((method, path), "{}")
    params = re.findall(r"{(\w+)}", path)
    if path.startswith(CASHIER_API) and path != CASHIER_API + "terminals":
        # The cashier API names the terminal it works on: one of the demo cashier's stores in
        # scope, a store of the sibling federation out of scope.
        terminal_id = world.terminals[side].pk
        if method == "GET":
            return str(_request(client, method, f"{path}?terminal_id={terminal_id}"))
        data = {**json.loads(body), "terminal_id": terminal_id}
        return str(_request(client, method, path, json.dumps(data)))
    if '"org_id"' in body:
        # A body that names an org names the side's federation, never whatever org has pk 1
        # (which depends on the order the tests ran in).
        body = json.dumps({**json.loads(body), "org_id": world.org(side).pk})
    if not params:
        return str(_request(client, method, path, body)) if side == "in" else "-"
    url = path
    for param in params:
        label = PARAM_MODELS.get(param)
        obj = world.object(label, side) if label else None
        if obj is None:
            return "-"
        url = url.replace("{" + param + "}", str(obj.pk))
    return str(_request(client, method, url, body))


def observe(client, world: World, views: list[str]) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {view: {} for view in views}
    client.raise_request_exception = False  # a 500 is a cell like any other (and a defect)
    for role in ROLES:
        client.force_login(world.users[role])
        for view in views:
            for side in ("in", "out"):
                if view.startswith("admin "):
                    cell = _admin_cell(client, world, view, side)
                elif view.startswith("api "):
                    cell = _api_cell(client, world, view, side)
                else:  # the terminal page: no object
                    cell = str(_request(client, "GET", "/pos/")) if side == "in" else "-"
                table[view][f"{role}:{side}"] = cell
                if not client.cookies.get(settings.SESSION_COOKIE_NAME, None) or not (
                    client.cookies[settings.SESSION_COOKIE_NAME].value
                ):
                    client.force_login(world.users[role])  # the request signed the user out
        client.logout()
    return table


# --- the tests --------------------------------------------------------------------------------


def test_every_view_has_a_reviewed_row():
    table = read_table()
    views = all_views()
    assert sorted(set(views) - set(table)) == [], "views missing from authz_matrix.csv"
    assert sorted(set(table) - set(views)) == [], "rows of authz_matrix.csv naming no view"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_every_role_gets_what_the_table_says(client):
    world = World()
    views = all_views()
    got = observe(client, world, views)
    if os.environ.get("GONGHUI_AUTHZ_PROPOSE"):
        write_table(os.environ["GONGHUI_AUTHZ_PROPOSE"], got)
    wanted = read_table()
    wrong = [
        f"{view} — {column}: expected {wanted[view][column]}, got {got[view][column]}"
        for view in views
        if view in wanted
        for column in COLUMNS
        if wanted[view][column] != got[view][column]
    ]
    assert wrong == [], f"{len(wrong)} cells differ:\n" + "\n".join(wrong)
