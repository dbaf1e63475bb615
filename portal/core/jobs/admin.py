"""Jobs in the admin: the list of the jobs a user may see, and the job page (read-only; it reloads itself every
few seconds while the job is queued or running), with the link to the result. A result file is served from
`<job>/result/` to the users who may see the job, and to nobody else."""

import mimetypes
from pathlib import PurePosixPath

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from portal.core.admin import ConfidentialFieldsAdmin
from portal.core.jobs import files
from portal.core.jobs.models import Job, JobState
from portal.core.jobs.registry import JobFailed
from portal.core.jobs.selectors import job_visible_to, jobs_visible_to
from portal.core.jobs.services import live_progress

REFRESH_SECONDS = 2


def _staff(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff


class JobAdmin(ConfidentialFieldsAdmin, SimpleHistoryAdmin):
    list_display = ["id", "what", "state", "progress", "started_by", "created_at", "finished_at", "result"]
    list_display_links = ["id", "what"]
    list_filter = ["state", "kind"]
    list_select_related = ["started_by"]
    list_per_page = 50
    search_fields = ["kind", "summary", "result_label"]
    change_form_template = "admin/core/job/change_form.html"
    fields = ["what", "state", "progress", "started_by", "source", "created_at", "started_at", "finished_at",
              "summary", "error", "result", "asked"]
    readonly_fields = fields

    # Every staff user has a job list; it shows the jobs they started and those whose kind their roles may see.
    def has_module_permission(self, request):
        return _staff(request)

    def has_view_permission(self, request, obj=None):
        return _staff(request) and (obj is None or job_visible_to(obj, request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return jobs_visible_to(request.user).select_related("started_by")

    def get_object(self, request, object_id, from_field=None):
        # Any job, so that a job the user may not see answers 403 (`has_view_permission`), not "does not exist".
        return Job.objects.select_related("started_by").filter(pk=object_id).first() if str(
            object_id).isdigit() else None

    @admin.display(description="job", ordering="kind")
    def what(self, obj):
        return obj.label

    @admin.display(description="what it was asked")
    def asked(self, obj):
        """The job's parameters in words: the kind's own description (with a link back to its record), else
        each parameter by its name in words."""
        from portal.core.jobs.registry import get_kind

        kind = get_kind(obj.kind)
        params = obj.params if isinstance(obj.params, dict) else {}
        rows = kind.describe(params) if kind and kind.describe else [
            (name.replace("_", " ").capitalize(), "-" if value in ("", None) else str(value))
            for name, value in params.items()]
        if not rows:
            return "-"
        return format_html_join("\n", "<div><strong>{}:</strong> {}</div>", rows)

    @admin.display(description="progress")
    def progress(self, obj):
        obj.progress_done, obj.progress_total = live_progress(obj)
        return obj.progress_text or "-"

    @admin.display(description="result")
    def result(self, obj):
        if obj.result_file:
            url = reverse("admin:core_job_result", args=[obj.pk])
            return format_html('<a href="{}">{}</a>', url, obj.result_label or PurePosixPath(obj.result_file).name)
        if obj.result_url:
            return format_html('<a href="{}">{}</a>', obj.result_url, obj.result_label or obj.result_url)
        return obj.error if obj.state == JobState.FAILED else "-"

    def get_urls(self):
        return [path("<path:object_id>/result/", self.admin_site.admin_view(self.result_view),
                     name="core_job_result"), *super().get_urls()]

    def result_view(self, request, object_id):
        job = Job.objects.filter(pk=unquote(object_id)).first() if str(object_id).isdigit() else None
        if job is not None and not job_visible_to(job, request.user):
            raise PermissionDenied("This job is for its starter and the roles that may see its result.")
        if job is None or not job.result_file:
            raise Http404("This job has no result file.")
        try:
            handle = files.open_file(job.result_file)
        except (JobFailed, OSError) as exc:
            raise Http404("The result file is no longer kept.") from exc
        name = PurePosixPath(job.result_file).name
        response = FileResponse(handle, as_attachment=True, filename=name,
                                content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "refresh_seconds": REFRESH_SECONDS}
        return super().change_view(request, object_id, form_url, extra_context=extra_context)
