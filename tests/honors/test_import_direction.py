"""Import direction (docs/architecture.md): a service app never imports a peer. honors and
activities meet only in members.attendance: neither imports the other, names the other's
modules in a string (importlib, apps.get_model, string foreign keys), nor depends on the other's
migrations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "gonghui"
SERVICE_APPS = (
    "activities",
    "venues",
    "benefits",
    "jobs",
    "honors",
    "academy",
    "mutualaid",
    "assistance",
    "rights",
)


def imported_modules(app: str) -> set[tuple[str, str]]:
    """(file, module) for every import in the app's Python files, relative ones resolved."""
    out = set()
    for path in (SRC / app).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = ["gonghui", app, *path.relative_to(SRC / app).parent.parts]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out.update((str(path), a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, node.module] if node.module else base)
                out.add((str(path), module))
                out.update((str(path), f"{module}.{a.name}") for a in node.names)
    return out


def strings(app: str) -> set[tuple[str, str]]:
    out = set()
    for path in (SRC / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.add((str(path), node.value))
    return out


def _imports_app(module: str, app: str) -> bool:
    return module == f"gonghui.{app}" or module.startswith(f"gonghui.{app}.")


@pytest.mark.parametrize(("app", "peer"), [("honors", "activities"), ("activities", "honors")])
def test_honors_and_activities_do_not_import_each_other(app, peer):
    bad = sorted(f"{f}: {m}" for f, m in imported_modules(app) if _imports_app(m, peer))
    assert bad == []
    # nor reach the peer by name: importlib paths, apps.get_model("peer", …), "peer.Model" FKs
    named = sorted(
        f"{f}: {s!r}"
        for f, s in strings(app)
        if s.startswith(f"gonghui.{peer}")
        or s == peer
        or (s.startswith(f"{peer}.") and s.split(".", 1)[1][:1].isupper())
    )
    assert named == []
    for migration in (SRC / app / "migrations").glob("0*.py"):
        assert f'("{peer}",' not in migration.read_text(encoding="utf-8"), migration


def test_honors_imports_no_peer_service_app():
    peers = [p for p in SERVICE_APPS if p != "honors"]
    bad = sorted(
        f"{f}: {m}" for f, m in imported_modules("honors") for p in peers if _imports_app(m, p)
    )
    assert bad == []


def test_the_checker_sees_an_import():
    """The checks above can fail: the same walker finds activities' import of the members
    registry and resolves its relative imports."""
    modules = {m for _f, m in imported_modules("activities")}
    assert "gonghui.members.attendance" in modules
    assert "gonghui.activities.services" in modules  # "from . import services"
