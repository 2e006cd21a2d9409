"""Sensitive free text, amounts and files sealed at rest, and the registry that rotates them.

One mechanism on top of ``core.crypto`` (AES-256-GCM, token ``v1.<kid>.<…>``, keys from
``GONGHUI_PII_KEYS``):

- ``SealedTextField`` / ``SealedIntegerField``: model fields whose Python value is the plain text
  (or int) and whose column holds a ``core.crypto`` token; the associated data is the field's
  purpose, ``"<app_label>.<model_name>.<field>"``, so a token cannot be moved to another field.
  ``""`` and ``None`` are stored as they are (emptiness is not a secret). Such a column cannot be
  searched, ordered or constrained by the database: only ``isnull`` lookups are allowed, and
  checks such as "not negative" live in the service and in the field's validators.
- Files: ``core.uploads`` writes uploads encrypted (``crypto.encrypt_bytes``, the folder and the
  stored name as associated data) with mode 0600 and decrypts them when serving.
- The registry: each app calls ``register_columns(Model)`` (every sealed field of the model, plus
  hand-made token columns such as ``members.Member.id_number_cipher`` with their purposes) and
  ``register_files(Model, folder=…)`` in its ``AppConfig.ready()``; ``gonghui rotate-pii-key``
  walks it (``rotate_columns``, ``rotate_files``) so that ``core`` imports no app above it.
- Migrations: ``seal_columns(app_label, model_name, fields)`` and ``seal_files(…)`` return
  ``RunPython`` operations that seal rows and files written before a field was sealed.

Append-only tables with sealed columns get the trigger ``core.dbtriggers.append_only_resealable``
on PostgreSQL: it still refuses every change except a re-encryption of those columns by the
rotation (``SET LOCAL gonghui.reseal = 'on'``) that leaves every other column as it was.
"""

# ruff: noqa: S608 - SQL built from model metadata (quoted names), values always as parameters
from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.db import connection as default_connection
from django.db import migrations, models, transaction
from django.utils.translation import gettext_lazy as _

from . import crypto

RESEAL_SETTING = "gonghui.reseal"


# --- fields ----------------------------------------------------------------------------------
class _Sealed:
    """Shared behaviour of the sealed fields (a mixin before the Django field class)."""

    sealed = True
    explicit_purpose: str | None
    name: str

    def _init_purpose(self, purpose: str | None) -> None:
        self.explicit_purpose = purpose

    @property
    def purpose(self) -> str:
        if self.explicit_purpose:
            return self.explicit_purpose
        return f"{self.model._meta.label_lower}.{self.name}"  # type: ignore[attr-defined]

    def get_internal_type(self) -> str:
        return "TextField"

    def get_lookup(self, lookup_name: str) -> Any:
        # A token changes with every encryption: equality, ranges and patterns cannot work.
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)  # type: ignore[misc]

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def _seal(self, plain: str) -> str:
        return crypto.encrypt(plain, purpose=self.purpose)

    def _open(self, token: str) -> str:
        return crypto.decrypt(token, purpose=self.purpose)


class SealedTextField(_Sealed, models.TextField):  # type: ignore[misc]
    """Text encrypted at rest; ``max_length`` is checked on the plain text (forms, full_clean)."""

    description = _("Text sealed at rest")

    def __init__(self, *args: Any, purpose: str | None = None, **kwargs: Any) -> None:
        self._init_purpose(purpose)
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            from django.core.validators import MaxLengthValidator

            self.validators.append(MaxLengthValidator(self.max_length))

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.explicit_purpose:
            kwargs["purpose"] = self.explicit_purpose
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return self._open(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return self._seal(str(value))

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.max_length is not None and self.max_length <= 300 and not self.choices:
            kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(**kwargs)


class SealedIntegerField(_Sealed, models.Field):  # type: ignore[misc]
    """An integer (e.g. an income in fen) encrypted at rest. The database cannot compare it:
    give it validators (``MinValueValidator(0)``) and check it in the service."""

    description = _("Integer sealed at rest")

    def __init__(self, *args: Any, purpose: str | None = None, **kwargs: Any) -> None:
        self._init_purpose(purpose)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.explicit_purpose:
            kwargs["purpose"] = self.explicit_purpose
        return name, path, args, kwargs

    def to_python(self, value: Any) -> Any:
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        try:
            return int(value)
        except (TypeError, ValueError):
            from django.core.exceptions import ValidationError

            raise ValidationError(_("Enter a whole number."), code="invalid") from None

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        return int(self._open(value))

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return self._seal(str(self.to_python(value)))

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().formfield(**{"form_class": forms.IntegerField, **kwargs})


def is_sealed(field: Any) -> bool:
    return getattr(field, "sealed", False) is True


# --- the registry ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SealedColumns:
    """Columns of one model that hold ``core.crypto`` tokens: (column, purpose) pairs."""

    model: type[models.Model]
    columns: tuple[tuple[str, str], ...]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


@dataclass(frozen=True)
class SealedFiles:
    """Files of one model, stored encrypted by ``core.uploads`` in ``folder``."""

    model: type[models.Model]
    folder: str
    stored_name_field: str = "stored_name"

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower} (files)"


_columns: dict[str, SealedColumns] = {}
_files: dict[str, SealedFiles] = {}


def register_columns(model: type[models.Model], extra: dict[str, str] | None = None) -> None:
    """Register every sealed field of ``model`` and the ``extra`` token columns
    (field name → purpose) for key rotation. Call it in the app's ``AppConfig.ready()``."""
    pairs: list[tuple[str, str]] = [
        (str(f.column), str(getattr(f, "purpose", "")))
        for f in model._meta.concrete_fields
        if is_sealed(f)
    ]
    for name, purpose in (extra or {}).items():
        field = model._meta.get_field(name)
        pairs.append((str(getattr(field, "column", name)), purpose))
    if not pairs:
        raise ValueError(f"{model._meta.label} has no sealed column")
    _columns[model._meta.label_lower] = SealedColumns(model=model, columns=tuple(pairs))


def register_files(
    model: type[models.Model], *, folder: str, stored_name_field: str = "stored_name"
) -> None:
    """Register the encrypted files of ``model`` (one stored name per row) for key rotation."""
    _files[model._meta.label_lower] = SealedFiles(
        model=model, folder=folder, stored_name_field=stored_name_field
    )


def registered_columns() -> list[SealedColumns]:
    return list(_columns.values())


def registered_files() -> list[SealedFiles]:
    return list(_files.values())


# --- rotation --------------------------------------------------------------------------------
def active_prefix() -> str:
    return f"{crypto.VERSION}.{crypto.active_key_id()}."


def _q(name: str) -> str:
    return default_connection.ops.quote_name(name)


def _stale_sql(entry: SealedColumns) -> tuple[str, list[Any]]:
    prefix = active_prefix()
    parts, params = [], []
    for column, _purpose in entry.columns:
        c = _q(column)
        parts.append(f"({c} IS NOT NULL AND {c} <> '' AND SUBSTR({c}, 1, %s) <> %s)")
        params += [len(prefix), prefix]
    return "(" + " OR ".join(parts) + ")", params


def count_rows(entry: SealedColumns) -> int:
    """Rows of the table (0 means: nothing sealed there to report)."""
    with default_connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {_q(entry.model._meta.db_table)}")
        return int(cur.fetchone()[0])


def count_stale(entry: SealedColumns) -> int:
    """Rows with at least one token not under the active key."""
    where, params = _stale_sql(entry)
    with default_connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {_q(entry.model._meta.db_table)} WHERE {where}", params)
        return int(cur.fetchone()[0])


def allow_reseal(connection: Any = default_connection) -> None:
    """Inside a transaction on PostgreSQL: let the append-only triggers accept a re-encryption."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT set_config(%s, 'on', true)", [RESEAL_SETTING])


def rotate_columns(
    entry: SealedColumns, *, batch_size: int = 500, progress: Callable[[int], None] | None = None
) -> int:
    """Re-encrypt every token of ``entry`` not under the active key, in batches of rows (each
    batch one transaction, rows locked on PostgreSQL). Returns the number of rows changed.
    Raises ``crypto.DecryptionError`` if a token's key is no longer configured."""
    meta = entry.model._meta
    table, pk = _q(meta.db_table), _q(str(meta.pk.column if meta.pk else "id"))
    cols = ", ".join(_q(c) for c, _p in entry.columns)
    prefix = active_prefix()
    lock = " FOR UPDATE" if default_connection.features.has_select_for_update else ""
    done = 0
    last: Any = None
    while True:
        with transaction.atomic():
            where, params = _stale_sql(entry)
            if last is not None:
                where += f" AND {pk} > %s"
                params.append(last)
            with default_connection.cursor() as cur:
                cur.execute(
                    f"SELECT {pk}, {cols} FROM {table} WHERE {where} ORDER BY {pk} LIMIT %s{lock}",
                    [*params, batch_size],
                )
                rows = cur.fetchall()
            if not rows:
                break
            allow_reseal()
            updates = []
            for row in rows:
                values = []
                for (_column, purpose), token in zip(entry.columns, row[1:], strict=True):
                    if token and not token.startswith(prefix):
                        token = crypto.encrypt(
                            crypto.decrypt(token, purpose=purpose), purpose=purpose
                        )
                    values.append(token)
                updates.append([*values, row[0]])
            sets = ", ".join(f"{_q(c)} = %s" for c, _p in entry.columns)
            with default_connection.cursor() as cur:
                cur.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", updates)
        last = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(done)
    return done


def _file_rows(entry: SealedFiles) -> Iterable[str]:
    names = entry.model._default_manager.order_by("pk").values_list(
        entry.stored_name_field, flat=True
    )
    return names.iterator()


def _file_is_current(path: Path, active: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(80)
    return crypto.blob_key_id(head) == active


def count_files(entry: SealedFiles) -> int:
    return entry.model._default_manager.count()


def count_stale_files(entry: SealedFiles) -> int:
    """Stored files not encrypted under the active key (plain legacy files included)."""
    from . import uploads

    active = crypto.active_key_id()
    n = 0
    for name in _file_rows(entry):
        path = uploads.stored_path(name, folder=entry.folder)
        if path is not None and not _file_is_current(path, active):
            n += 1
    return n


def reseal_file(path: Path, *, purpose: str) -> bool:
    """Encrypt ``path`` under the active key (decrypting an older key's blob, or taking plain
    legacy bytes as they are); replaced atomically with mode 0600. True if it was rewritten."""
    active = crypto.active_key_id()
    blob = path.read_bytes()
    kid = crypto.blob_key_id(blob)
    if kid == active:
        return False
    plain = blob if kid is None else crypto.decrypt_bytes(blob, purpose=purpose)
    write_private(path, crypto.encrypt_bytes(plain, purpose=purpose), replace=True)
    return True


def rotate_files(entry: SealedFiles, *, progress: Callable[[int], None] | None = None) -> int:
    """Re-encrypt every stored file of ``entry`` not under the active key; returns the count."""
    from . import uploads

    done = 0
    for name in _file_rows(entry):
        path = uploads.stored_path(name, folder=entry.folder)
        if path is None:
            continue
        if reseal_file(path, purpose=uploads.file_purpose(entry.folder, name)):
            done += 1
            if progress is not None:
                progress(done)
    return done


def write_private(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write ``data`` to ``path`` with mode 0600: a new file (``replace=False``: refuses an
    existing one) or an atomic replacement through a temporary file in the same folder."""
    target = path if not replace else path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if replace:
        os.replace(target, path)


# --- migrations ------------------------------------------------------------------------------
def _looks_sealed(value: str, purpose: str) -> bool:
    if not value.startswith(f"{crypto.VERSION}."):
        return False
    try:
        crypto.decrypt(value, purpose=purpose)
    except (crypto.DecryptionError, ValueError):
        return False
    return True


def seal_columns(app_label: str, model_name: str, fields: Iterable[str]) -> migrations.RunPython:
    """A migration operation that encrypts the plain values left in newly sealed ``fields``
    (run it after the ``AlterField`` to the sealed type). Already sealed values are skipped."""
    fields = tuple(fields)

    def forwards(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        conn = schema_editor.connection
        qn = conn.ops.quote_name
        table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
        targets = [model._meta.get_field(f) for f in fields]
        purposes = [f.purpose for f in targets]
        cols = ", ".join(qn(f.column) for f in targets)
        allow_reseal(conn)
        with conn.cursor() as cur:
            cur.execute(f"SELECT {pk}, {cols} FROM {table} ORDER BY {pk}")
            rows = cur.fetchall()
        updates = []
        for row in rows:
            values, changed = [], False
            for purpose, value in zip(purposes, row[1:], strict=True):
                if value is not None and value != "":
                    text = str(value)
                    if not _looks_sealed(text, purpose):
                        value = crypto.encrypt(text, purpose=purpose)
                        changed = True
                values.append(value)
            if changed:
                updates.append([*values, row[0]])
        if updates:
            sets = ", ".join(f"{qn(f.column)} = %s" for f in targets)
            with conn.cursor() as cur:
                cur.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", updates)

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)


def seal_files(
    app_label: str, model_name: str, *, folder: str, stored_name_field: str = "stored_name"
) -> migrations.RunPython:
    """A migration operation that encrypts the plain files stored before uploads were sealed."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        from . import uploads

        model = apps.get_model(app_label, model_name)
        if not Path(settings.PRIVATE_ROOT).exists():
            return
        for name in model._default_manager.values_list(stored_name_field, flat=True):
            path = uploads.stored_path(name, folder=folder)
            if path is not None and crypto.blob_key_id(path.read_bytes()[:80]) is None:
                reseal_file(path, purpose=uploads.file_purpose(folder, name))

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)
