"""Imports of affected records in the admin: the list of imports (per incident: file name, SHA-256, who, when, the
counts; read-only, with their history), and the upload that starts an import job (the add page).

Compliance officers and incident responders upload; every role that reads the ledger sees the list. The upload is
bounded by REMEDIATION_IMPORT_MAX_BYTES; the import runs as a job (`remediation.tasks`) and the job page follows it.
"""

import codecs
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from incidents.models import Incident
from portal.core import inputs
from portal.core.admin import ConfidentialFieldsAdmin
from portal.core.display import moment_text, person, size_text
from portal.core.jobs import JobFailed
from remediation.models import AffectedRecordImport
from remediation.services.imports import FORMATS
from remediation.tasks import affected_records_import_start, ledger_url

SNIFF_BYTES = 64 * 1024


class ImportUploadForm(forms.Form):
    incident = forms.CharField(max_length=40, label="Incident", help_text="Its reference, e.g. AIIR-2026-0001.")
    file = forms.FileField(label="File", help_text="CSV with a header row, or JSON Lines (one object per line).")
    format = forms.ChoiceField(choices=[("auto", "From the file's extension (.csv, .jsonl, .ndjson)"),
                                        ("csv", "CSV"), ("jsonl", "JSON Lines")], initial="auto")
    skip_invalid = forms.BooleanField(
        required=False, label="Skip invalid rows",
        help_text="Write the good rows and list the bad ones in a rejects file; otherwise one bad row stops the "
                  "import and nothing is written.")

    def clean_incident(self):
        reference = self.cleaned_data["incident"].strip()
        if inputs.NUL in reference:
            raise ValidationError(inputs.NUL_MESSAGE + ".")
        found = Incident.objects.filter(reference=reference).first()
        if found is None:
            raise ValidationError(f"No incident {reference}.")
        return found

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.REMEDIATION_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(f"The file is {size_text(upload.size)}; the limit is {size_text(limit)} "
                                  "(REMEDIATION_IMPORT_MAX_BYTES).")
        if upload.size == 0:
            raise ValidationError("The file is empty.")
        if inputs.NUL in upload.name:
            raise ValidationError("The file name contains a NUL character.")
        upload.seek(0)
        head = upload.read(SNIFF_BYTES)
        upload.seek(0)
        try:  # a multi-byte character cut at the end of the sample is not an error
            codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=len(head) < SNIFF_BYTES)
        except UnicodeDecodeError:
            raise ValidationError("The file is not UTF-8 text: upload a CSV or JSON Lines file.") from None
        if b"\x00" in head:
            raise ValidationError("The file holds NUL bytes: upload a CSV or JSON Lines file.")
        return upload

    def clean(self):
        cleaned = super().clean()
        upload, fmt = cleaned.get("file"), cleaned.get("format")
        if upload is None or not fmt:
            return cleaned
        effective = fmt if fmt != "auto" else FORMATS.get(Path(upload.name).suffix.lower())
        if effective is None:
            self.add_error("format", f"Cannot tell the format of {upload.name} from its extension (.csv, .jsonl or "
                                     ".ndjson): choose CSV or JSON Lines.")
            return cleaned
        first = next((line for line in upload.read(SNIFF_BYTES).splitlines() if line.strip()), b"")
        upload.seek(0)
        looks_json = first.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"{")
        if effective == "jsonl" and not looks_json:
            self.add_error("file", "The first line is not a JSON object: is this a JSON Lines file?")
        elif effective == "csv" and looks_json:
            self.add_error("file", "The first line is a JSON object, not a CSV header: choose JSON Lines.")
        return cleaned


@admin.register(AffectedRecordImport)
class AffectedRecordImportAdmin(ConfidentialFieldsAdmin, SimpleHistoryAdmin):
    list_display = ["file_name", "incident_link", "digest", "who", "when", "rows_read", "created",
                    "duplicates_skipped", "invalid_rows", "ledger"]
    list_display_links = ["file_name"]
    list_select_related = ["incident", "started_by"]
    list_filter = ["format"]
    search_fields = ["incident__reference", "file_name", "sha256"]
    list_per_page = 50
    fields = ["incident_link", "file_name", "format", "sha256", "who", "when", "rows_read", "created",
              "duplicates_skipped", "invalid_rows", "ledger"]
    readonly_fields = fields
    add_form_template = "remediation/admin/import_upload.html"

    def has_change_permission(self, request, obj=None):
        return False  # an import is a record of what happened

    def has_delete_permission(self, request, obj=None):
        return False

    def revert_disabled(self, request, obj=None):
        return True

    @admin.display(description="incident", ordering="incident__reference")
    def incident_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:incidents_incident_change", args=[obj.incident_id]),
                           obj.incident.reference)

    @admin.display(description="SHA-256")
    def digest(self, obj):
        return format_html('<code title="{}">{}...</code>', obj.sha256, obj.sha256[:12])

    @admin.display(description="by", ordering="started_by__username")
    def who(self, obj):
        return person(obj.started_by)

    @admin.display(description="when", ordering="created_at")
    def when(self, obj):
        return moment_text(obj.created_at)

    @admin.display(description="records")
    def ledger(self, obj):
        return format_html('<a href="{}">the ledger of {}</a>', ledger_url(obj.incident_id), obj.incident.reference)

    def add_view(self, request, form_url="", extra_context=None):
        """The upload: the file is kept and imported by a job; the job page follows it."""
        if not self.has_add_permission(request):
            raise PermissionDenied("Importing affected records is for compliance officers and incident responders.")
        limit = settings.REMEDIATION_IMPORT_MAX_BYTES
        length = request.META.get("CONTENT_LENGTH") or "0"
        refusal = ""
        if request.method == "POST" and length.isdigit() and int(length) > limit + SNIFF_BYTES:
            # Refused before the body is read into a temporary file.
            form = ImportUploadForm()
            refusal = (f"The upload is {size_text(int(length))}; the limit is {size_text(limit)} "
                       "(REMEDIATION_IMPORT_MAX_BYTES).")
        else:
            initial = {"incident": request.GET.get("incident", "")[:40]}
            form = ImportUploadForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                job, _created = affected_records_import_start(
                    actor=request.user, incident=data["incident"], upload=data["file"], fmt=data["format"],
                    skip_invalid=data["skip_invalid"])
            except ValidationError as exc:
                form.add_error(None, exc)
            except JobFailed as exc:  # nowhere to keep the file (JOB_RESULT_DIR unset): said on the form
                form.add_error(None, str(exc))
            else:
                return HttpResponseRedirect(reverse("admin:core_job_change", args=[job.pk]))
        context = {**self.admin_site.each_context(request), "title": "Import affected records", "form": form,
                   "opts": self.model._meta, "limit": size_text(limit), "refusal": refusal, **(extra_context or {})}
        return TemplateResponse(request, self.add_form_template, context)
