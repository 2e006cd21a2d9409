"""The import direction of docs/architecture.md, enforced.

(a) ``lint-imports`` (the contracts in pyproject.toml, run by ``make lint``) passes on the tree and
    fails on a deliberate peer import, a selector importing services, and core importing orgs:
    each probe is written into a copy of the source tree, never into the working tree.
(b) What import-linter cannot see respects the same layers: model references by string (foreign
    keys, many-to-many, one-to-one; ``apps.get_model``; "gonghui.<app>…" import paths in strings)
    and migration dependencies.

These tests read code, not data: they run once, in the SQLite pass of ``make test`` (CI runs the
suite twice, on PostgreSQL and on SQLite), and take a few seconds.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "gonghui"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="layer checks read code, not data: they run once, in the SQLite pass",
)

# Rank of each app in the import direction: an app may name apps of a lower rank only. Apps of the
# same rank are independent of each other (the service apps; members and staffauth; codes and
# funds). The dashboard ranks 6 (between pos and demo); campaigns joins the service apps.
RANK = {
    "core": 0,
    "orgs": 1,
    "members": 2,
    "staffauth": 2,
    "codes": 3,
    "funds": 3,
    "benefits": 4,
    "activities": 4,
    "venues": 4,
    "jobs": 4,
    "honors": 4,
    "academy": 4,
    "mutualaid": 4,
    "assistance": 4,
    "rights": 4,
    "pos": 5,
    "dashboard": 6,
    "demo": 7,
}

# Edges that predate the contracts and stay, by name, with the reason.
ALLOWED = {
    # core 0001 created AuditEntry.org as a foreign key into orgs; core 0007 made it a plain id.
    # Rendering 0001's state needs orgs.Org, so the dependency stays until core is squashed.
    ("migration core.0001_initial", "orgs"),
}


def _allowed(source: str, src_app: str, target_app: str) -> bool:
    if target_app not in RANK or target_app == src_app:
        return True  # Django's own apps, third-party apps, or the app itself
    return RANK[target_app] < RANK[src_app] or (source, target_app) in ALLOWED


# --- (a) the linter -------------------------------------------------------------------------------


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of src/gonghui (Python files only) to write probes into."""
    dest = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        SRC,
        dest / "gonghui",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "templates", "*.mo"),
    )
    return dest


def test_the_tree_keeps_every_contract(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


PROBES = {
    "peer import between service apps": (
        "activities/_layer_probe.py",
        "import gonghui.benefits.models  # noqa: F401\n",
        [
            "Apps import downwards only",
            "gonghui.activities is not allowed to import gonghui.benefits",
        ],
    ),
    "selector importing services": (
        "honors/selectors.py",
        "\nfrom gonghui.honors import services as _probe  # noqa: F401\n",
        ["Selectors never import services", "gonghui.honors.selectors -> gonghui.honors.services"],
    ),
    "core importing orgs": (
        "core/_layer_probe.py",
        "from gonghui.orgs.models import Org  # noqa: F401\n",
        ["Apps import downwards only", "gonghui.core is not allowed to import gonghui.orgs"],
    ),
}


@pytest.mark.parametrize("probe", list(PROBES))
def test_the_linter_refuses(tree, probe):
    relpath, line, expected = PROBES[probe]
    path = tree / "gonghui" / relpath
    original = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text((original or "") + line, encoding="utf-8")
    try:
        result = _lint(tree)
    finally:
        if original is None:
            path.unlink()
        else:
            path.write_text(original, encoding="utf-8")
    assert result.returncode != 0, result.stdout
    for text in expected:
        assert text in " ".join(result.stdout.split()), result.stdout


# --- (b) what the linter cannot see ---------------------------------------------------------------


def _project_apps():
    return [c for c in apps.get_app_configs() if c.name.startswith("gonghui.")]


def test_model_relations_point_down():
    bad = []
    for config in _project_apps():
        for model in config.get_models():
            for field in model._meta.get_fields():
                if not field.is_relation or field.auto_created or field.related_model is None:
                    continue
                if isinstance(field.related_model, str):
                    target = field.related_model.split(".")[0]
                else:
                    target = field.related_model._meta.app_label
                source = f"{model._meta.label}.{field.name}"
                if not _allowed(source, config.label, target):
                    bad.append(f"{source} -> {target}")
    assert bad == []


def test_migration_dependencies_point_down():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = {c.label for c in _project_apps()}
    bad = []
    for (app, name), migration in loader.disk_migrations.items():
        if app not in labels:
            continue
        for dep_app, _dep in migration.dependencies:
            source = f"migration {app}.{name}"
            if not _allowed(source, app, dep_app):
                bad.append(f"{source} -> {dep_app}")
        for operation in migration.operations:
            fields = [f for _n, f in getattr(operation, "fields", [])]
            fields += [getattr(operation, "field", None)]  # AddField, AlterField
            for field in fields:
                remote = getattr(getattr(field, "remote_field", None), "model", None)
                if isinstance(remote, str) and not _allowed(
                    f"migration {app}.{name}", app, remote.split(".")[0].lower()
                ):
                    bad.append(f"migration {app}.{name}: {remote}")
    assert bad == []


def _strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _named_app(text: str) -> str | None:
    """The project app a string names as code: "gonghui.<app>…", "<app>.Model", get_model's label."""
    if text.startswith("gonghui."):
        part = text.split(".")[1]
        return part if part in RANK else None
    head, dot, tail = text.partition(".")
    if dot and head in RANK and tail[:1].isupper() and tail.isidentifier():
        return head
    return None


def test_strings_name_no_app_above_or_beside():
    bad = []
    for app in RANK:
        for path in (SRC / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # covered by the migration test
            for text in _strings(path):
                target = _named_app(text)
                source = str(path.relative_to(SRC))
                if target and not _allowed(source, app, target):
                    bad.append(f"{source}: {text!r}")
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):  # apps.get_model("label", "Model")
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "attr", None) == "get_model"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    target = node.args[0].value.split(".")[0]
                    if not _allowed(str(path.relative_to(SRC)), app, target):
                        bad.append(f"{path.relative_to(SRC)}: get_model({node.args[0].value!r})")
    assert bad == []


def test_the_string_checks_can_fail():
    """The checks above see what they look for."""
    assert _named_app("gonghui.benefits.services") == "benefits"
    assert _named_app("benefits.Offer") == "benefits"
    assert _named_app("orgs.org.create") is None  # an audit action, not a model
    assert not _allowed("x", "activities", "benefits")
    assert not _allowed("x", "core", "orgs")
    assert _allowed("x", "benefits", "funds")
