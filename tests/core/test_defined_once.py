"""Shared helpers live once, one floor down (issue #11, item 2).

Read the source with ``ast`` (no import, no database): each helper named here is defined in exactly
one module of ``src/gonghui`` (migrations aside), at the place the architecture gives it, and the
old private copies are gone.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "gonghui"


@cache
def _modules() -> tuple[tuple[str, ast.Module], ...]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found.append((path.relative_to(SRC).as_posix(), ast.parse(path.read_text("utf-8"))))
    return tuple(found)


def _defs(kind: type[ast.AST], name: str) -> list[str]:
    """``module:line`` of every definition (class or function, at any depth) named ``name``."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef) if kind is ast.FunctionDef else (kind,)
    return [
        f"{module}:{node.lineno}"
        for module, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, kinds) and getattr(node, "name", None) == name
    ]


def _class_defs(name: str, base: str) -> list[str]:
    return [
        f"{module}:{node.lineno}"
        for module, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and node.name == name
        and any(ast.unparse(b).split(".")[-1] == base for b in node.bases)
    ]


def _assignments(name: str) -> list[str]:
    """``module:line`` of every module-level or class-level ``name = ...``."""
    return [
        f"{module}:{node.lineno}"
        for module, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(t, ast.Name) and t.id == name
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
    ]


def _string_constants(text: str) -> Iterator[str]:
    for module, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value == text:
                yield f"{module}:{node.lineno}"


def test_parent_scoped_inline_is_defined_once_in_orgs():
    assert [d.split(":")[0] for d in _defs(ast.ClassDef, "ParentScopedInline")] == [
        "orgs/admin_base.py"
    ]


def _line(module: str, name: str) -> int:
    tree = dict(_modules())[module]
    return next(
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == name
    )


def test_yuan_field_is_defined_once_in_core_forms():
    assert [d.split(":")[0] for d in _defs(ast.ClassDef, "YuanField")] == ["core/forms.py"]
    # The amount-in-yuan message is written once (in core.forms); pos has its own bill wording.
    assert [
        d.split(":")[0] for d in _string_constants("Enter an amount in yuan, e.g. 1200.50.")
    ] == ["core/forms.py"]


def test_is_staff_actor_is_defined_once_in_core_actors():
    assert [d.split(":")[0] for d in _defs(ast.FunctionDef, "is_staff_actor")] == ["core/actors.py"]
    assert _defs(ast.FunctionDef, "_is_staff") == []


def test_no_private_is_staff_actor_copies():
    assert _defs(ast.FunctionDef, "_is_staff_actor") == []


def test_no_inline_staff_actor_question():
    """The fifth way was inline: ``getattr(actor, "is_authenticated", False)`` in a service."""
    inline = []
    for rel, tree in _modules():
        if rel == "core/actors.py":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == "actor"
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value == "is_authenticated"
            ):
                inline.append(f"{rel}:{node.lineno}")
    assert inline == []


def test_error_schema_is_defined_once_in_core_apischema():
    assert [d.split(":")[0] for d in _class_defs("Error", "Schema")] == ["core/apischema.py"]


def test_no_other_error_schema_under_another_name():
    assert _class_defs("ErrorOut", "Schema") == []


def test_masked_name_is_defined_once_in_core_identifiers():
    assert [d.split(":")[0] for d in _defs(ast.FunctionDef, "masked_name")] == [
        "core/identifiers.py"
    ]


def test_the_bill_has_one_maximum():
    assert len(_assignments("MAX_BILL_FEN")) == 1


def test_the_idempotency_key_check_is_defined_once_in_core():
    assert [d.split(":")[0] for d in _defs(ast.FunctionDef, "idempotency_key_check")] == [
        "core/idempotency.py"
    ]
    assert (
        len(list(_string_constants("Every terminal write needs an Idempotency-Key header."))) == 1
    )


def test_the_audited_open_and_act_views_are_one_mechanism():
    # The mechanism: ScopedAdmin's audit_open/record_open, object_views, act_submit/act_page.
    for name in ("record_open", "object_views", "act_submit", "act_page"):
        assert f"orgs/admin_base.py:{_line('orgs/admin_base.py', name)}" in _defs(
            ast.FunctionDef, name
        )
    for name in ("act_submit", "act_page"):
        assert len(_defs(ast.FunctionDef, name)) == 1
    # No console mounts its own act route or overrides the change page to audit the opening.
    assert list(_string_constants("<path:object_id>/act/")) == []
    audited = {
        module
        for module, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "audit_open" for t in node.targets)
        and isinstance(node.value, ast.Constant)
        and node.value.value is True
    }
    assert audited == {"assistance/admin.py", "rights/admin.py", "mutualaid/admin/claims.py"}


def test_uploads_are_checked_and_stored_by_core_uploads_only():
    assert not (SRC / "mutualaid" / "services" / "documents.py").exists()
    assert [d.split(":")[0] for d in _defs(ast.FunctionDef, "check_upload")] == ["core/uploads.py"]
    assert [d.split(":")[0] for d in _string_constants(b"%PDF-")] == ["core/uploads.py"]
