"""schemathesis over /api/v1/openapi.json, in process (WSGI): no operation answers a server error.

The world is the demo federation (so generated ids often name real rows). Every request carries a
staff session (the demo's federation admin, whose scope is the whole city), a member session (the
demo member) in the same session cookie, a CSRF token and a POS terminal's key, so that every
operation gets past its authentication and its body reaches the code behind it. Each operation
gets at most ``EXAMPLES`` generated cases, derandomised (the same cases on every run) and without
hypothesis's example database, so CI is stable. Any 5xx is a defect of the app concerned.
"""

from __future__ import annotations

import io

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string

from tests.conftest import postgres_only
from tests.rights.factories import ensure_case_types

EXAMPLES = 20

pytestmark = [postgres_only(), pytest.mark.postgres]


def _terminal_key() -> str:
    from gonghui.benefits.models import Store
    from gonghui.benefits.services import CONTEXT_TYPE
    from gonghui.codes import services as codes

    store = Store.objects.order_by("pk").first()
    assert store is not None
    _terminal, key = codes.terminal_create(
        actor=None,
        org=store.merchant.org,
        kind="pos",
        name="fuzz",
        context_type=CONTEXT_TYPE,
        context_id=str(store.pk),
    )
    return key


def _credentials(key: str) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and cookies of a client that is staff, member and terminal at once (a new session
    each time: an operation that signs the member out must not sign out the next case)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from gonghui.members import pii
    from gonghui.members.models import Member
    from gonghui.members.session import SESSION_MEMBER_KEY

    staff = get_user_model().objects.get(username="fed_admin")
    member = Member.objects.get(phone_index=pii.phone_index("13857600001"))
    session = SessionStore()
    session[SESSION_KEY] = str(staff.pk)
    session[BACKEND_SESSION_KEY] = django_settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = staff.get_session_auth_hash()
    session[SESSION_MEMBER_KEY] = member.pk
    session.create()
    token = _get_new_csrf_string()
    headers = {"X-CSRFToken": token, "Authorization": f"Terminal {key}"}
    cookies = {django_settings.SESSION_COOKIE_NAME: session.session_key, "csrftoken": token}
    return headers, cookies


def _fuzz(schema, failures: dict[str, str]) -> int:
    key = _terminal_key()
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hsettings

    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @hsettings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            label = f"{case.operation.method.upper()} {case.operation.path}"
            headers, cookies = _credentials(key)
            response = case.call(headers=headers, cookies=cookies)
            if response.status_code >= 500 and label not in failures:
                failures[label] = (
                    f"{response.status_code} for {case.path_parameters} {case.query} {case.body!r}"[
                        :400
                    ]
                )

        run()
    return operations


@pytest.mark.django_db
def test_no_operation_answers_a_server_error(settings):
    import schemathesis

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ensure_case_types()  # a transactional test that ran before flushed the data migration's rows
    call_command("demo", stdout=io.StringIO())
    failures: dict[str, str] = {}
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
        operations = _fuzz(schema, failures)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert operations > 90
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in sorted(failures.items()))
