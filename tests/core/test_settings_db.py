"""DATABASE_URL is the runtime role; DATABASE_MIGRATE_URL the owner, used by DDL commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
PROBE = (
    "import sys, json; sys.argv = json.loads(sys.argv[1]);"
    "from django.conf import settings;"
    "d = settings.DATABASES['default'];"
    "print(json.dumps([d['USER'], d['NAME'], settings.GONGHUI_DB_RUNTIME_ROLE]))"
)


def _probe(argv: list[str], **env: str) -> list[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "GONGHUI_DB_")) and k != "PYTHONPATH"
    }
    base.update(env, PYTHONPATH=SRC, DJANGO_SETTINGS_MODULE="gonghui.settings")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv)],
        env=base,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


URLS = {
    "DATABASE_URL": "postgres://gonghui_app:x@127.0.0.1:5432/gonghui",
    "DATABASE_MIGRATE_URL": "postgres://gonghui_owner:y@127.0.0.1:5432/gonghui",
}


@pytest.mark.parametrize("command", ["migrate", "flush", "createcachetable", "rotate-pii-key"])
def test_ddl_commands_connect_as_the_owner(command):
    assert _probe(["gonghui", command], **URLS) == ["gonghui_owner", "gonghui", "gonghui_app"]


@pytest.mark.parametrize("argv", [["gonghui", "runserver"], ["gunicorn"], ["gonghui", "demo"]])
def test_everything_else_connects_as_the_runtime_role(argv):
    assert _probe(argv, **URLS) == ["gonghui_app", "gonghui", "gonghui_app"]


def test_an_operator_can_ask_for_the_owner_explicitly():
    assert _probe(["gonghui", "dbshell"], GONGHUI_DB_AS_OWNER="true", **URLS)[0] == "gonghui_owner"


def test_one_role_without_a_migrate_url():
    one = {"DATABASE_URL": URLS["DATABASE_URL"]}
    assert _probe(["gonghui", "migrate"], **one) == ["gonghui_app", "gonghui", ""]
