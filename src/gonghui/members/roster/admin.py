"""Console pages for roster import and export (registered from members/admin.py).

- The import-job list (capability ``members.import``, scoped by the job's union) with two
  buttons: "Upload roster" and "Export members".
- Upload: choose a union in scope and a .xlsx/.csv file (at most 20 MB; extension and content
  checked). The file is stored under ``settings.PRIVATE_ROOT`` (never under a public URL), a job
  is created, and the import starts after the commit (Celery, or a background thread in the
  embedded default; see ``importer.import_job_start``).
- The job page shows a progress bar refreshed by htmx every second from a small partial view,
  then the counts and a link to the error report, which is served by a scope-checked view.
- Export: a union in scope (``members.export``), masked by default; full values only with
  ``members.reveal`` and the explicit option. Every export is audited.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gonghui.core.audit import client_ip
from gonghui.core.errors import Refused
from gonghui.core.timeutil import local_today
from gonghui.orgs.admin_base import ScopedAdmin
from gonghui.orgs.models import Org
from gonghui.orgs.scoping import can, scope

from ..models import ImportJob
from .export import EXPORT_CAPABILITY, REVEAL_CAPABILITY, members_export
from .importer import IMPORT_CAPABILITY, MAX_UPLOAD_BYTES, import_job_create, import_job_start
from .tasks import roster_import_task  # noqa: F401  (registers the Celery task with workers)

FINISHED = (ImportJob.Status.DONE, ImportJob.Status.FAILED)
URL_PREFIX = "members_importjob"


def _orgs_in_scope(user: Any, capability: str, *, members_only: bool) -> Any:
    qs = scope(Org.objects.filter(is_active=True), user, capability, field="")
    if members_only:
        qs = qs.filter(kind__in=[Org.Kind.GRASSROOTS, Org.Kind.INDUSTRY])
    return qs.order_by("path")


class UploadForm(forms.Form):
    union = forms.ModelChoiceField(label=gettext_lazy("Union"), queryset=Org.objects.none())
    file = forms.FileField(
        label=gettext_lazy("Roster file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["union"].queryset = _orgs_in_scope(user, IMPORT_CAPABILITY, members_only=True)  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in (".xlsx", ".csv"):
            raise forms.ValidationError(_("Only .xlsx and .csv files can be imported."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


class ExportForm(forms.Form):
    union = forms.ModelChoiceField(label=gettext_lazy("Union"), queryset=Org.objects.none())
    reveal = forms.BooleanField(
        label=gettext_lazy("Full ID numbers and phones (recorded in the audit log)"),
        required=False,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["union"].queryset = _orgs_in_scope(user, EXPORT_CAPABILITY, members_only=False)  # type: ignore[attr-defined]
        if not can(user, REVEAL_CAPABILITY):
            del self.fields["reveal"]


@admin.register(ImportJob)
class ImportJobAdmin(ScopedAdmin):
    view_capability = IMPORT_CAPABILITY
    scope_field = "org"
    list_display = (
        "file_name",
        "org",
        "status",
        "progress_percent",
        "total_rows",
        "imported_rows",
        "skipped_rows",
        "error_rows",
        "created_by",
        "created_at",
    )
    list_filter = ("status",)
    search_fields = ("file_name", "org__name")
    list_select_related = ("org", "created_by")
    change_list_template = "members/roster/importjob_change_list.html"

    @admin.display(description=gettext_lazy("Progress"))
    def progress_percent(self, obj: ImportJob) -> str:
        return f"{obj.percent}%"

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(self.upload_view), name=f"{URL_PREFIX}_upload"),
            path("export/", wrap(self.export_view), name=f"{URL_PREFIX}_export"),
            path(
                "<path:object_id>/progress/",
                wrap(self.progress_view),
                name=f"{URL_PREFIX}_progress",
            ),
            path("<path:object_id>/report/", wrap(self.report_view), name=f"{URL_PREFIX}_report"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        extra = {
            "roster_can_export": can(request.user, EXPORT_CAPABILITY),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=extra)

    # --- a job ------------------------------------------------------------------------------
    def _job(self, request: HttpRequest, object_id: str) -> ImportJob:
        try:
            return (
                self.get_queryset(request)
                .select_related("org", "created_by")
                .get(pk=int(object_id))
            )
        except (ImportJob.DoesNotExist, ValueError):
            raise Http404 from None

    def _progress_context(self, request: HttpRequest, job: ImportJob) -> dict[str, Any]:
        return {
            "job": job,
            "finished": job.status in FINISHED,
            "checking": job.status == ImportJob.Status.RUNNING and job.processed_rows == 0,
            "progress_url": reverse(f"admin:{URL_PREFIX}_progress", args=[job.pk]),
            "report_url": (
                reverse(f"admin:{URL_PREFIX}_report", args=[job.pk]) if job.report_path else ""
            ),
        }

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        job = self._job(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Roster import: %(file)s") % {"file": job.file_name},
            **self._progress_context(request, job),
        }
        return TemplateResponse(request, "members/roster/job.html", context)

    def progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self._job(request, object_id)
        return TemplateResponse(
            request, "members/roster/_progress.html", self._progress_context(request, job)
        )

    def report_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        job = self._job(request, object_id)
        if not job.report_path:
            raise Http404
        report = Path(job.report_path).resolve()
        private_root = Path(settings.PRIVATE_ROOT).resolve()
        if not report.is_relative_to(private_root) or not report.is_file():
            raise Http404
        return FileResponse(
            open(report, "rb"),
            as_attachment=True,
            filename=f"{Path(job.file_name).stem}-errors.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    # --- upload -----------------------------------------------------------------------------
    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not can(request.user, IMPORT_CAPABILITY):
            raise Http404
        form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    job = import_job_create(
                        org=form.cleaned_data["union"],
                        upload=form.cleaned_data["file"],
                        actor=request.user,
                    )
                    job_id = job.pk
                    transaction.on_commit(lambda: import_job_start(job_id))
            except Refused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            else:
                return redirect(reverse(f"admin:{URL_PREFIX}_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Upload roster"),
            "form": form,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        }
        return TemplateResponse(request, "members/roster/upload.html", context)

    # --- export -----------------------------------------------------------------------------
    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        if not can(request.user, EXPORT_CAPABILITY):
            raise Http404
        form = ExportForm(request.POST or None, user=request.user)
        status = 200
        if request.method == "POST" and form.is_valid():
            org = form.cleaned_data["union"]
            reveal = bool(form.cleaned_data.get("reveal"))
            tmp_dir = Path(settings.PRIVATE_ROOT) / "tmp"
            tmp_dir.mkdir(parents=True, exist_ok=True)
            out = tempfile.TemporaryFile(dir=tmp_dir)  # noqa: SIM115 - FileResponse closes it
            try:
                members_export(
                    actor=request.user, org=org, out=out, reveal=reveal, ip=client_ip(request)
                )
            except Refused as exc:
                out.close()
                form.add_error(None, str(exc.message))
                status = exc.status
            else:
                out.seek(0)
                suffix = "full" if reveal else "masked"
                return FileResponse(
                    out,
                    as_attachment=True,
                    filename=f"members-{org.code}-{local_today():%Y%m%d}-{suffix}.xlsx",
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Export members"),
            "form": form,
        }
        return TemplateResponse(request, "members/roster/export.html", context, status=status)
