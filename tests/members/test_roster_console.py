"""Console: roster upload end to end, progress partial, error report, export, scope (404)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import translation

from gonghui.core.models import AuditEntry
from gonghui.members.models import ImportJob, Member
from gonghui.members.roster import importer
from gonghui.orgs.models import Role
from tests.factories import id_number_for, make_member, make_staff, org_child, phone_for
from tests.members.test_roster_support import (  # noqa: F401  (private_root is a fixture)
    World,
    private_root,
    read_xlsx,
    report_rows,
    with_bad_check,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.usefixtures("private_root")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _english(client):
    """Messages are compared in English (the msgids), in the test and in the client's requests."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def roster_bytes(tmp_path: Path, rows: list[list]) -> bytes:
    path = write_xlsx(tmp_path / "upload.xlsx", rows, header=["姓名", "身份证号", "手机号"])
    return path.read_bytes()


def mixed(tmp_path: Path) -> bytes:
    return roster_bytes(
        tmp_path,
        [
            ["张三", id_number_for(1), phone_for(1)],
            ["李四", id_number_for(2), phone_for(2)],
            ["王五", with_bad_check(id_number_for(3)), phone_for(3)],
        ],
    )


def upload(client, org, content: bytes, name: str = "名册.xlsx"):
    return client.post(
        reverse("admin:members_importjob_upload"),
        {"union": org.pk, "file": SimpleUploadedFile(name, content, content_type=XLSX)},
    )


@pytest.mark.django_db
def test_upload_runs_the_import_and_shows_progress_and_report(
    client, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.GONGHUI_ROSTER_IMPORT_INLINE = True
    w = World()
    admin = make_staff(w.union, Role.UNION_ADMIN)
    client.force_login(admin)

    page = client.get(reverse("admin:members_importjob_upload"))
    assert page.status_code == 200
    choices = [str(c[1]) for c in page.context["form"].fields["union"].choices]
    assert w.union.name in choices and w.other.name not in choices

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = upload(client, w.union, mixed(tmp_path))
    assert len(callbacks) == 1
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse(
        "admin:members_importjob_change", args=[job.pk]
    )
    assert (job.status, job.imported_rows, job.error_rows, job.created_by) == (
        ImportJob.Status.DONE,
        2,
        1,
        admin,
    )
    assert job.file_name == "名册.xlsx" and len(job.file_sha256) == 64
    assert not importer.upload_path(job).exists()  # the uploaded file is not kept
    assert Member.objects.filter(org=w.union).count() == 2
    assert AuditEntry.objects.get(action="members.roster.import").actor_id == admin.pk

    page = client.get(r["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "名册.xlsx" in body and 'id="roster-progress"' in body
    partial = client.get(reverse("admin:members_importjob_progress", args=[job.pk]))
    text = partial.content.decode()
    assert partial.status_code == 200 and 'value="100"' in text
    assert "hx-trigger" not in text  # finished: polling stops
    report_url = reverse("admin:members_importjob_report", args=[job.pk])
    assert report_url in text

    report = client.get(report_url)
    assert report.status_code == 200 and report["Content-Type"] == XLSX
    assert "attachment" in report["Content-Disposition"]
    saved = tmp_path / "downloaded.xlsx"
    saved.write_bytes(b"".join(report.streaming_content))
    assert list(report_rows(saved)) == [4]

    listing = client.get(reverse("admin:members_importjob_changelist"))
    assert listing.status_code == 200 and "名册.xlsx" in listing.content.decode()

    # Upload the same file again: nothing changes.
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, w.union, mixed(tmp_path))
    second = ImportJob.objects.latest("pk")
    assert (second.imported_rows, second.skipped_rows, second.error_rows) == (0, 2, 1)
    assert Member.objects.filter(org=w.union).count() == 2


@pytest.mark.django_db
def test_progress_partial_polls_while_running(client, settings):
    w = World()
    admin = make_staff(w.union, Role.UNION_ADMIN)
    client.force_login(admin)
    job = ImportJob.objects.create(
        org=w.union,
        file_name="a.xlsx",
        file_sha256="0" * 64,
        status=ImportJob.Status.RUNNING,
        total_rows=200,
        processed_rows=50,
    )
    text = client.get(reverse("admin:members_importjob_progress", args=[job.pk])).content.decode()
    assert (
        'hx-trigger="every 1s"' in text
        and 'value="25"' in text
        and "Importing: 50 of 200 rows" in text
    )
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=0)
    text = client.get(reverse("admin:members_importjob_progress", args=[job.pk])).content.decode()
    assert "Reading and checking the rows" in text and 'hx-trigger="every 1s"' in text


@pytest.mark.django_db
def test_upload_refuses_bad_files(client, tmp_path, settings, django_capture_on_commit_callbacks):
    settings.GONGHUI_ROSTER_IMPORT_INLINE = True
    w = World()
    client.force_login(make_staff(w.union, Role.UNION_ADMIN))
    r = upload(client, w.union, b"hello", name="roster.txt")
    assert (
        r.status_code == 200 and "Only .xlsx and .csv files can be imported." in r.content.decode()
    )
    r = upload(client, w.union, "姓名,身份证号,手机号\n".encode(), name="roster.xlsx")
    assert r.status_code == 200 and "not a real .xlsx workbook" in r.content.decode()
    settings_max = importer.MAX_UPLOAD_BYTES
    try:
        importer.MAX_UPLOAD_BYTES = 10
        r = upload(client, w.union, mixed(tmp_path))
        assert r.status_code == 200 and "larger than" in r.content.decode()
    finally:
        importer.MAX_UPLOAD_BYTES = settings_max
    r = upload(client, w.other, mixed(tmp_path))  # a union outside the scope is not a choice
    assert r.status_code == 200 and "union" in r.context["form"].errors
    assert not ImportJob.objects.exists()

    # A CSV without the phone column: the job fails with the reason, nothing is imported.
    csv_path = write_csv(
        tmp_path / "r.csv",
        [["张三", id_number_for(1)]],
        encoding="gbk",
        header=["姓名", "身份证号"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(client, w.union, csv_path.read_bytes(), name="r.csv")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and "手机号" in job.message
    assert "手机号" in client.get(r["Location"]).content.decode()
    assert not Member.objects.filter(org=w.union).exists()


@pytest.mark.django_db
def test_out_of_scope_job_and_report_answer_404(
    client, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.GONGHUI_ROSTER_IMPORT_INLINE = True
    w = World()
    client.force_login(make_staff(w.union, Role.UNION_ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, w.union, mixed(tmp_path))
    job = ImportJob.objects.get()
    assert job.report_path

    urls = [
        reverse("admin:members_importjob_change", args=[job.pk]),
        reverse("admin:members_importjob_progress", args=[job.pk]),
        reverse("admin:members_importjob_report", args=[job.pk]),
    ]
    for user, may_upload in (
        (make_staff(w.other, Role.UNION_ADMIN), True),  # another union: its own uploads only
        (make_staff(w.union, Role.REVIEWER), False),  # in scope, without members.import
        (make_staff(w.union, Role.AUDITOR), False),
    ):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        page = client.get(reverse("admin:members_importjob_upload"))
        if may_upload:
            assert page.status_code == 200
            assert list(page.context["form"].fields["union"].queryset) == [w.other]
        else:
            assert page.status_code == 404
    # The other union's admin sees no job in the list either.
    client.force_login(make_staff(w.other, Role.UNION_ADMIN))
    assert (
        "upload.xlsx"
        not in client.get(reverse("admin:members_importjob_changelist")).content.decode()
    )
    # The federation's admin sees it.
    client.force_login(make_staff(w.fed, Role.FEDERATION_ADMIN))
    for url in urls:
        assert client.get(url).status_code == 200
    # Nonsense ids are 404 too.
    assert client.get(reverse("admin:members_importjob_report", args=[999999])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_upload_in_the_background_thread(client, tmp_path, settings):
    """The embedded default: the import runs in a thread after the commit; the page polls."""
    settings.GONGHUI_ROSTER_IMPORT_INLINE = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    w = World()
    admin = make_staff(w.union, Role.UNION_ADMIN)
    client.force_login(admin)
    rows = [[f"职工{chr(0x4E00 + n)}", id_number_for(n), phone_for(n)] for n in range(1, 301)]
    rows.append(["坏", with_bad_check(id_number_for(400)), phone_for(400)])
    r = upload(client, w.union, roster_bytes(tmp_path, rows))
    assert r.status_code == 302
    job = ImportJob.objects.get()
    deadline = time.monotonic() + 60
    seen = set()
    while time.monotonic() < deadline:
        job.refresh_from_db()
        seen.add(job.status)
        partial = client.get(reverse("admin:members_importjob_progress", args=[job.pk]))
        assert partial.status_code == 200
        if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
            break
        time.sleep(0.05)
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.total_rows, job.processed_rows, job.imported_rows, job.error_rows) == (
        301,
        301,
        300,
        1,
    )
    assert Member.objects.filter(org=w.union).count() == 300
    assert "hx-trigger" not in partial.content.decode()
    assert not importer.upload_path(job).exists()
    if connection.vendor == "sqlite":
        connection.close()


@pytest.mark.django_db
def test_export_page_masked_revealed_and_audited(client, tmp_path):
    w = World()
    sub = org_child(w.union, name="城关工会第一分会")
    make_member(w.union, n=11)
    make_member(sub, n=12)
    admin = make_staff(w.union, Role.UNION_ADMIN)
    client.force_login(admin)
    url = reverse("admin:members_importjob_export")
    page = client.get(url)
    assert page.status_code == 200 and "reveal" in page.context["form"].fields

    r = client.post(url, {"union": w.union.pk})
    assert r.status_code == 200 and r["Content-Type"] == XLSX
    path = tmp_path / "masked.xlsx"
    path.write_bytes(b"".join(r.streaming_content))
    rows = read_xlsx(path)
    assert len(rows) == 3  # header + the union's member + the sub-union's member (not the outsider)
    ids = {row[2] for row in rows[1:]}
    assert id_number_for(11) not in ids and all("*" in v for v in ids)

    r = client.post(url, {"union": w.union.pk, "reveal": "on"})
    path.write_bytes(b"".join(r.streaming_content))
    assert {row[2] for row in read_xlsx(path)[1:]} == {id_number_for(11), id_number_for(12)}
    assert {str(row[3]) for row in read_xlsx(path)[1:]} == {phone_for(11), phone_for(12)}
    entries = AuditEntry.objects.filter(action="members.roster.export").order_by("pk")
    assert [(e.actor_id, e.data) for e in entries] == [
        (admin.pk, {"rows": 2, "revealed": False}),
        (admin.pk, {"rows": 2, "revealed": True}),
    ]

    # An auditor may export, masked only: the option is not offered and is ignored if sent.
    auditor = make_staff(w.union, Role.AUDITOR)
    client.force_login(auditor)
    page = client.get(url)
    assert page.status_code == 200 and "reveal" not in page.context["form"].fields
    r = client.post(url, {"union": w.union.pk, "reveal": "on"})
    path.write_bytes(b"".join(r.streaming_content))
    assert all("*" in row[2] for row in read_xlsx(path)[1:])
    assert (
        AuditEntry.objects.filter(action="members.roster.export").last().data["revealed"] is False
    )

    # Out of scope: another union's admin cannot choose this union; a reviewer has no page.
    client.force_login(make_staff(w.other, Role.UNION_ADMIN))
    r = client.post(url, {"union": w.union.pk})
    assert r.status_code == 200 and "union" in r.context["form"].errors
    client.force_login(make_staff(w.union, Role.REVIEWER))
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_with_a_broker_the_job_goes_to_celery(settings, monkeypatch):
    settings.GONGHUI_ROSTER_IMPORT_INLINE = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from gonghui import celery_app
    from gonghui.members.roster import tasks

    assert "gonghui.members.roster.import_job_run" in celery_app.tasks
    sent = []
    monkeypatch.setattr(tasks.roster_import_task, "delay", lambda job_id: sent.append(job_id))
    importer.import_job_start(42)
    assert sent == [42]


@pytest.mark.django_db
def test_the_task_runs_a_pending_job_once(tmp_path, settings):
    """What a Celery worker runs: the stored upload is imported, then deleted; a redelivery is a no-op."""
    from gonghui.members.roster import tasks

    w = World()
    job = ImportJob.objects.create(org=w.union, file_name="r.xlsx", file_sha256="0" * 64)
    importer.upload_path(job).write_bytes(
        roster_bytes(tmp_path, [["张三", id_number_for(1), phone_for(1)]])
    )
    tasks.roster_import_task.run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.imported_rows) == (ImportJob.Status.DONE, 1)
    assert not importer.upload_path(job).exists()
    tasks.roster_import_task.run(job.pk)
    assert Member.objects.filter(org=w.union).count() == 1


@pytest.mark.django_db
def test_a_job_that_cannot_start_is_marked_failed_not_left_pending(
    client, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """If the import dies before it claims the job (say the database refuses the claim), the job
    says so instead of waiting forever as "pending"."""
    settings.GONGHUI_ROSTER_IMPORT_INLINE = True
    w = World()
    admin = make_staff(w.union, Role.UNION_ADMIN)
    client.force_login(admin)

    def refused_claim(**_kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(importer, "roster_import", refused_claim)
    rows = [[f"职工{chr(0x4E00 + n)}", id_number_for(n), phone_for(n)] for n in range(1, 3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(client, w.union, roster_bytes(tmp_path, rows)).status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert "RuntimeError" in job.message and job.finished_at is not None
    assert not importer.upload_path(job).exists()
    assert Member.objects.filter(org=w.union).count() == 0
