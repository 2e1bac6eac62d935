"""Pages for importing the national form and exporting household lists: thin views over importing/exports."""

import io
import tempfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from fupin.core import table_exports
from fupin.core.downloads import file_view, stored_file_response
from fupin.core.evidence import random_name
from fupin.core.lookup import get_in_scope

from . import exports, tables, work
from .importing import columns, reading, report
from .models import ImportJob, ImportStatus, Member
from .tasks import run_import
from .work import import_jobs_for

MAX_UPLOAD_BYTES = getattr(settings, "FUPIN_IMPORT_MAX_BYTES", 500 * 1024 * 1024)
FINISHED = {ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED}


jobs_for = import_jobs_for


def _job_or_404(user, pk) -> ImportJob:
    return get_in_scope(jobs_for(user).select_related("user"), pk=pk)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("文件（.xlsx 或 .csv）"), error_messages={"empty": gettext_lazy("文件是空的")}
    )
    only_valid_rows = forms.BooleanField(
        label=gettext_lazy("有错误时只导入无错误的户"),
        required=False,
        help_text=gettext_lazy("不勾选时，文件中只要有一行错误就不导入任何数据。"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix == ".xls":
            raise forms.ValidationError(_("不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 后上传"))
        if suffix not in reading.EXTENSIONS:
            raise forms.ValidationError(_("只能导入 .xlsx 或 .csv 文件"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("文件过大：最大 %(n)d MB") % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("文件是空的"))
        # Cheap checks now (a CSV's headings, an .xlsx's directory, and a small one's headings), so a wrong
        # file is refused on this page; reading the rows is the job's, in the task worker.
        try:
            if hasattr(upload, "temporary_file_path"):
                self._check(upload.temporary_file_path(), upload.name)
            else:
                with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
                    for chunk in upload.chunks():
                        tmp.write(chunk)
                    tmp.flush()
                    self._check(tmp.name, upload.name)
        except columns.ImportRejected as e:
            raise forms.ValidationError(str(e)) from None
        upload.seek(0)
        return upload

    @staticmethod
    def _check(path, name):
        reading.check_upload(path, name)


@login_required
def import_upload(request):
    user = request.user
    if not user.can_edit_registry or user.scope_prefix is None:
        raise PermissionDenied(_("您的角色不能导入贫困户数据"))
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = ImportJob(
            user=user,
            scope_code=user.scope_prefix,
            original_name=Path(upload.name).name[:200],
            only_valid_rows=form.cleaned_data["only_valid_rows"],
        )
        job.file.save(
            random_name(Path(upload.name).suffix.lower()), upload, save=False
        )  # its name is in original_name
        job.save()
        result = run_import.enqueue(job.pk)
        ImportJob.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id)[:64])
        return redirect("registry:import_detail", pk=job.pk)
    jobs = jobs_for(user).select_related("user")[:20]
    return render(
        request, "registry/import_upload.html", {"form": form, "jobs": jobs, "columns": columns.COLUMNS}
    )


@login_required
def import_detail(request, pk):
    job = _job_or_404(request.user, pk)
    return render(request, "registry/import_detail.html", _job_context(request.user, job))


@login_required
def import_progress(request, pk):
    job = _job_or_404(request.user, pk)
    return render(request, "registry/import_progress.html", _job_context(request.user, job))


ERRORS_SHOWN = 20


def _job_context(user, job):
    if job.status in work.RUNNING and work.settle(
        job.pk
    ):  # its process had died: the job now says what became of it
        job.refresh_from_db()
    finished = job.status in FINISHED
    can_download = _may_download_errors(user, job)
    errors = report.read_error_report(job.error_file, ERRORS_SHOWN + 1) if finished and can_download else []
    return {
        "job": job,
        "finished": finished,
        "can_download": can_download,
        "errors": errors[:ERRORS_SHOWN],
        "more_errors": len(errors) > ERRORS_SHOWN,
    }


def _may_download_errors(user, job) -> bool:
    # The report repeats the file's cells, ID numbers included.
    return bool(job.error_file) and (job.user_id == user.pk or user.sees_identifiers)


@file_view
def import_errors(request, pk):
    job = _job_or_404(request.user, pk)
    if not _may_download_errors(request.user, job):
        raise Http404
    return stored_file_response(job.error_file, filename=f"{Path(job.original_name).stem}_错误报告")


@login_required
@require_GET
def import_template(request):
    out = io.BytesIO()
    if request.GET.get("format") == "csv":
        report.write_template_csv(out, report.sample_rows())
        out.seek(0)
        return FileResponse(
            out, as_attachment=True, filename="贫困户信息采集表_导入模板.csv", content_type="text/csv"
        )
    report.write_template(out, report.sample_rows())
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename="贫困户信息采集表_导入模板.xlsx")


@login_required
@require_GET
def household_export(request):
    """The household list as filtered on its page (same GET parameters), as .xlsx with the members."""
    households = tables.filtered_households(request.user, request.GET)
    if Member.objects.filter(household__in=households.values("pk")).count() > table_exports.BACKGROUND_ROWS:
        # a large list is written in the background by the same rows (fupin.core.table_exports; reveal logged
        # there)
        query = request.META.get("QUERY_STRING", "")
        return redirect(
            reverse("core:export_start", args=["registry.household_form"]) + (f"?{query}" if query else "")
        )
    # masked for every role; `reveal=1&purpose=…` (a role that works with identifiers) writes them in full,
    # logged
    revealed = bool(request.GET.get("reveal")) and tables.reveal_households(request, households)
    # write-only openpyxl keeps rows on disk; the finished file is streamed from a temporary file
    tmp = tempfile.TemporaryFile()
    exports.write_xlsx(households, tmp, show_identifiers=revealed)
    tmp.seek(0)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=f"贫困户名单_{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
