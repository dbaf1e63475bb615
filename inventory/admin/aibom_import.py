"""The AIBOM import page of the admin (`admin/inventory/aisystem/import-aibom/`): upload a CycloneDX JSON file for
an AI system (created from the BOM when the slug is new); the import runs as a job and the job page follows it.
For whoever may add AI systems (compliance officers)."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from inventory.tasks import aibom_import_start
from portal.core.jobs import JobFailed

MAX_BYTES = 100 * 1024 * 1024


class AibomImportForm(forms.Form):
    system_slug = forms.CharField(max_length=100, validators=[validate_slug], label="AI system (slug)",
                                  help_text="The system to import into; a new slug creates the system from the BOM.")
    bom = forms.FileField(label="CycloneDX 1.6 BOM (JSON)")

    def clean_bom(self):
        upload = self.cleaned_data["bom"]
        if upload.size > MAX_BYTES:
            raise ValidationError(f"The file is {upload.size:,} bytes; the limit is {MAX_BYTES:,}.")
        if upload.size == 0:
            raise ValidationError("The file is empty.")
        return upload


def aibom_import_view(model_admin, request):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied("Importing an AIBOM is for whoever may add AI systems.")
    form = AibomImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["bom"]
        try:
            job, _created = aibom_import_start(actor=request.user, system_slug=form.cleaned_data["system_slug"],
                                               file_name=upload.name, content=upload.read())
        except JobFailed as exc:
            form.add_error(None, str(exc))
        else:
            return HttpResponseRedirect(reverse("admin:core_job_change", args=[job.pk]))
    context = {**model_admin.admin_site.each_context(request), "title": "Import an AIBOM", "form": form,
               "opts": model_admin.model._meta}
    return TemplateResponse(request, "inventory/admin/aibom_import.html", context)
