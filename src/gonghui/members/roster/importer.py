"""Roster import: read, check every row, import the good rows in batches, report the bad ones.

What "nothing partial" means here:

- A bad row is never imported, and every bad row is listed in the error report with its
  reasons (a file-level problem — not a roster, a missing required column — refuses the whole
  file before anything is written).
- Good rows are imported even when the file also has bad rows: the report lists what is left to
  fix, and importing the corrected file again adds only what is missing.
- Rows are written in batches (``BATCH_SIZE``); each batch — its members, their JOINED history
  rows and the job's progress counters — is one transaction. A crash mid-way therefore leaves
  whole batches only, and the job's counters say exactly how far it got.
- Importing the same file again changes nothing: a row whose ID number is already a member of
  this union with the same phone is counted as "already present" and skipped. So a re-run
  after a crash completes the rest without duplicates (the unique blind-index constraints stand
  behind this even against a concurrent enrolment; a batch that hits one is checked again and
  retried).
- One audit entry per import (``members.roster.import``) records the counts, never personal data.

Speed: the file is checked in one pass (one enterprise query for the whole file); each batch then
costs two blind-index queries (ID numbers, phones), one ``member_numbers`` call and the inserts —
``COPY`` on PostgreSQL (``CopyWriter``), ``bulk_create`` elsewhere. ``bench/import_members.py``
measures it against a plain PostgreSQL COPY of the same rows.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from gonghui.core.actors import is_staff_actor
from gonghui.core.audit import audit_record
from gonghui.core.errors import NotFound, Refused
from gonghui.core.timeutil import local_today, now
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can

from .. import pii
from ..models import ImportJob, Member, MemberHistory
from ..services import member_numbers
from .reader import ALLOWED_SUFFIXES, read_roster, sniff_kind
from .report import default_report_path, write_error_report
from .validate import BadRow, GoodRow, check_against_db, check_rows

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
IMPORT_CAPABILITY = "members.import"

# progress(stage, done, total): stage "check" while rows are checked, "import" per batch.
Progress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    total: int = 0
    imported: int = 0
    present: int = 0
    errors: int = 0
    would_import: int = 0  # dry run: rows that would have been imported
    dry_run: bool = False
    report_path: str = ""
    bad_rows: list[BadRow] = field(default_factory=list)


def _job_update(job: ImportJob, **fields: Any) -> None:
    """A cheap UPDATE of the job's row, mirrored on the instance."""
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


def _actor_user(actor: Any) -> Any:
    return actor if is_staff_actor(actor) else None


# The member columns that differ from row to row, in the order of the tuples built below. Every
# other column gets the value Django would insert for a new member (its default, auto_now…).
MEMBER_VARYING = (
    "member_no",
    "name",
    "gender",
    "birth_date_cipher",
    "birth_year",
    "enterprise_id",
    "employment_type",
    "gig_trade",
    "is_frontline",
    "joined_on",
    "id_number_cipher",
    "id_number_index",
    "phone_cipher",
    "phone_index",
)


def _member_rows(new: list[tuple[GoodRow, str, str]]) -> list[tuple[Any, ...]]:
    """One tuple per new member (``MEMBER_VARYING`` order): member number and sealed PII."""
    numbers = member_numbers(len(new))
    rows = []
    for (row, _id_idx, _phone_idx), member_no in zip(new, numbers, strict=True):
        sealed = pii.seal(id_number=row.id_number, phone=row.phone)
        rows.append(
            (
                member_no,
                row.name,
                row.gender,
                pii.seal_birth_date(row.birth_date),
                row.birth_date.year,
                row.enterprise_id,
                row.employment_type,
                row.gig_trade,
                row.is_frontline,
                row.joined_on,
                sealed.id_number_cipher,
                sealed.id_number_index,
                sealed.phone_cipher,
                sealed.phone_index,
            )
        )
    return rows


class CopyWriter:
    """Insert rows of ``model`` with PostgreSQL's COPY.

    ``varying`` names the columns (attnames) given per row, already in database form (text,
    numbers, dates, booleans, NULL); every other column is computed once, exactly as Django
    prepares it for an INSERT of ``model(**constants)`` (``pre_save(add=True)`` then
    ``get_db_prep_save``: defaults, ``auto_now(_add)``, JSON). So a column added to the model
    later with a default needs no change here. Errors come out as Django's (``IntegrityError``)."""

    def __init__(self, model: type[Model], varying: Sequence[str], **constants: Any) -> None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        attnames = [f.attname for f in fields]
        unknown = set(varying) - set(attnames)
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
        template = model(**constants)
        self.base = [
            None
            if f.attname in varying
            else f.get_db_prep_save(f.pre_save(template, True), connection)
            for f in fields
        ]
        self.slots = [attnames.index(a) for a in varying]
        qn = connection.ops.quote_name
        columns = ", ".join(qn(str(f.column)) for f in fields)
        self.sql = f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN"

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        base, slots = self.base, self.slots
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.cursor.copy(self.sql) as copy,
        ):
            for values in rows:
                row = base.copy()
                for slot, value in zip(slots, values, strict=True):
                    row[slot] = value
                copy.write_row(row)


def _insert_batch(rows: list[tuple[Any, ...]], *, org: Org, user: Any, job: ImportJob) -> None:
    """Members and their JOINED history rows (inside the caller's transaction)."""
    member_constants = {"org_id": org.pk, "status": Member.Status.ACTIVE, "skills": []}
    history_constants = {
        "kind": MemberHistory.Kind.JOINED,
        "to_status": Member.Status.ACTIVE,
        "to_org_id": org.pk,
        "actor_id": user.pk if user is not None else None,
        "reason": f"roster import #{job.pk}",
    }
    if connection.vendor == "postgresql":
        CopyWriter(Member, MEMBER_VARYING, **member_constants).write(rows)
        ids = Member.objects.filter(member_no__in=[r[0] for r in rows]).values_list("pk", flat=True)
        _insert_history(CopyWriter(MemberHistory, ("member_id",), **history_constants), ids)
    else:
        created = Member.objects.bulk_create(
            [Member(**member_constants, **dict(zip(MEMBER_VARYING, r, strict=True))) for r in rows]
        )
        _insert_history(None, [m.pk for m in created], **history_constants)


def _insert_history(writer: CopyWriter | None, member_ids: Iterable[int], **constants: Any) -> None:
    if writer is not None:
        writer.write((member_id,) for member_id in member_ids)
    else:
        MemberHistory.objects.bulk_create(
            [MemberHistory(member_id=member_id, **constants) for member_id in member_ids]
        )


def _import_batch(
    good: list[GoodRow],
    *,
    job: ImportJob,
    org: Org,
    actor: Any,
    dry_run: bool,
    counters: dict[str, int],
    processed: int,
) -> list[BadRow]:
    """Check one batch against the database and insert its new rows in one transaction.

    Returns the batch's rows that the database makes bad. A unique-constraint race (a member
    created meanwhile by someone else) re-checks the batch and tries again."""
    user = _actor_user(actor)
    for attempt in range(3):
        db = check_against_db(good, org=org)
        if dry_run:
            counters["would_import"] += len(db.new)
            counters["present"] += db.present
            counters["errors"] += len(db.bad)
            _job_update(
                job,
                processed_rows=processed,
                skipped_rows=counters["present"],
                error_rows=counters["errors"],
            )
            return db.bad
        rows = _member_rows(db.new) if db.new else []
        try:
            with transaction.atomic():
                if rows:
                    _insert_batch(rows, org=org, user=user, job=job)
                _job_update(
                    job,
                    processed_rows=processed,
                    imported_rows=counters["imported"] + len(rows),
                    skipped_rows=counters["present"] + db.present,
                    error_rows=counters["errors"] + len(db.bad),
                )
        except IntegrityError:
            if attempt == 2:
                raise
            logger.info(
                "roster import %s: batch collided with a concurrent write; re-checking", job.pk
            )
            continue
        counters["imported"] += len(rows)
        counters["present"] += db.present
        counters["errors"] += len(db.bad)
        return db.bad
    raise AssertionError("unreachable")


def roster_import(
    *,
    job: ImportJob,
    path: Path | str,
    progress: Progress | None = None,
    dry_run: bool = False,
    report_path: Path | str | None = None,
    actor: Any = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Run the import ``job`` on the file at ``path``; see the module docstring for the rules.

    Raises ``Refused`` (after marking the job failed) when the whole file is refused."""
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING
    )
    if claimed != 1:
        raise Refused(code="import_job_not_pending", message=_("This import has already run."))
    job.status = ImportJob.Status.RUNNING
    org = job.org
    counters = {"imported": 0, "present": 0, "errors": 0, "would_import": 0}
    audit_actor = actor if actor is not None else "gonghui import-members"
    try:
        if not org.accepts_members:
            raise Refused(
                code="org_not_grassroots",
                message=_(
                    "Members can only be imported into a grassroots union or an industry federation."
                ),
                field="org",
            )
        roster = read_roster(path, name=job.file_name)
        rows = roster.rows
        total = len(rows)
        _job_update(job, total_rows=total)
        checked = check_rows(
            rows,
            today=local_today(),
            progress=(lambda done, tot: progress("check", done, tot)) if progress else None,
        )
        del rows, roster
        result = ImportResult(total=total, dry_run=dry_run)
        bad_rows: list[BadRow] = []
        if progress:
            progress("import", 0, total)
        for start in range(0, total, batch_size):
            chunk = checked[start : start + batch_size]
            good = [r for r in chunk if isinstance(r, GoodRow)]
            file_bad = [r for r in chunk if isinstance(r, BadRow)]
            counters["errors"] += len(file_bad)
            bad_rows.extend(file_bad)
            processed = min(start + batch_size, total)
            bad_rows.extend(
                _import_batch(
                    good,
                    job=job,
                    org=org,
                    actor=actor,
                    dry_run=dry_run,
                    counters=counters,
                    processed=processed,
                )
            )
            if progress:
                progress("import", processed, total)
        result.imported = counters["imported"]
        result.present = counters["present"]
        result.errors = counters["errors"]
        result.would_import = counters["would_import"]
        result.bad_rows = sorted(bad_rows, key=lambda b: b.number)
        if bad_rows or report_path:
            written = write_error_report(
                report_path or default_report_path(job.pk), result.bad_rows, file_name=job.file_name
            )
            result.report_path = str(written)
        with transaction.atomic():
            _job_update(
                job,
                status=ImportJob.Status.DONE,
                processed_rows=total,
                imported_rows=result.imported,
                skipped_rows=result.present,
                error_rows=result.errors,
                report_path=result.report_path,
                message=_("Dry run: nothing was imported.") if dry_run else "",
                finished_at=now(),
            )
            if not dry_run:
                audit_record(
                    actor=audit_actor,
                    action="members.roster.import",
                    obj=job,
                    org=org,
                    data={
                        "job": job.pk,
                        "file_sha256": job.file_sha256,
                        "rows": total,
                        "imported": result.imported,
                        "already_present": result.present,
                        "errors": result.errors,
                    },
                )
        return result
    except Refused as exc:
        _job_update(
            job, status=ImportJob.Status.FAILED, message=str(exc.message)[:300], finished_at=now()
        )
        raise
    except Exception as exc:
        logger.exception("roster import %s stopped", job.pk)
        message = _(
            "The import stopped (%(error)s). Whole batches only were saved; "
            "import the same file again to complete it."
        ) % {"error": type(exc).__name__}
        try:
            with transaction.atomic():
                _job_update(
                    job, status=ImportJob.Status.FAILED, message=message[:300], finished_at=now()
                )
                if counters["imported"] and not dry_run:
                    # The batches already committed are staff writes too.
                    audit_record(
                        actor=audit_actor,
                        action="members.roster.import",
                        obj=job,
                        org=org,
                        data={
                            "job": job.pk,
                            "file_sha256": job.file_sha256,
                            "stopped": type(exc).__name__,
                            "imported": counters["imported"],
                            "already_present": counters["present"],
                            "errors": counters["errors"],
                        },
                    )
        except Exception:
            logger.exception("roster import %s: could not record the stop", job.pk)
        raise


# --- jobs: create from a file, run in the background -----------------------------------------
def uploads_dir() -> Path:
    path = Path(settings.PRIVATE_ROOT) / "roster" / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(job: ImportJob) -> Path:
    return uploads_dir() / f"job-{job.pk}{Path(job.file_name).suffix.lower()}"


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def import_job_create_from_path(*, org: Org, path: Path | str, actor: Any = None) -> ImportJob:
    """A job for a file that stays where it is (the CLI)."""
    path = Path(path)
    sniff_kind(path)
    return ImportJob.objects.create(
        org=org,
        created_by=_actor_user(actor),
        file_name=path.name[:200],
        file_sha256=file_sha256(path),
    )


def import_job_create(*, org: Org, upload: UploadedFile, actor: Any) -> ImportJob:
    """Store an uploaded roster privately and create its job (the console).

    The caller starts it with ``import_job_start`` after the transaction commits."""
    if not can(actor, IMPORT_CAPABILITY, org):
        raise NotFound()
    name = Path(upload.name or "").name
    if Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise Refused(
            code="roster_bad_type",
            message=_("Only .xlsx and .csv files can be imported."),
            field="file",
        )
    if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
        raise Refused(
            code="roster_too_big",
            message=_("The file is larger than %(mb)s MB.")
            % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)},
            field="file",
        )
    if not org.accepts_members:
        raise Refused(
            code="org_not_grassroots",
            message=_(
                "Members can only be imported into a grassroots union or an industry federation."
            ),
            field="org",
        )
    tmp = uploads_dir() / f"incoming-{secrets.token_hex(8)}{Path(name).suffix.lower()}"
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as fh:
            for chunk in upload.chunks():
                digest.update(chunk)
                fh.write(chunk)
        tmp.chmod(0o600)
        sniff_kind(tmp, name=name)  # refuses a file whose content does not match its extension
        with transaction.atomic():
            job = ImportJob.objects.create(
                org=org,
                created_by=_actor_user(actor),
                file_name=name[:200],
                file_sha256=digest.hexdigest(),
            )
            tmp.replace(upload_path(job))
    finally:
        tmp.unlink(missing_ok=True)
    return job


def import_job_run(job_id: int) -> None:
    """Run a stored job (thread or Celery task); its uploaded file is deleted afterwards."""
    job = ImportJob.objects.select_related("org", "created_by").get(pk=job_id)
    if job.status != ImportJob.Status.PENDING:
        return
    path = upload_path(job)
    try:
        roster_import(job=job, path=path, actor=job.created_by)
    except Refused:
        pass  # the job carries the message
    except Exception as exc:  # roster_import logs and records what fails once the job runs
        if ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).exists():
            # it failed before it could even start (e.g. the database refused the claim)
            logger.exception("roster import %s could not start", job.pk)
            ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
                status=ImportJob.Status.FAILED,
                message=(
                    _("The import could not start (%(error)s). Upload the file again.")
                    % {"error": type(exc).__name__}
                )[:300],
                finished_at=now(),
            )
    finally:
        path.unlink(missing_ok=True)


def _run_in_thread(job_id: int) -> None:
    try:
        import_job_run(job_id)
    finally:
        connection.close()


def import_job_start(job_id: int) -> None:
    """Start a job: a Celery task when a broker is configured, else a background thread.

    ``GONGHUI_ROSTER_IMPORT_INLINE = True`` runs it synchronously (tests)."""
    if settings.GONGHUI_ROSTER_IMPORT_INLINE:
        import_job_run(job_id)
    elif settings.CELERY_TASK_ALWAYS_EAGER:
        threading.Thread(
            target=_run_in_thread, args=(job_id,), name=f"roster-import-{job_id}", daemon=True
        ).start()
    else:
        from .tasks import roster_import_task

        roster_import_task.delay(job_id)
