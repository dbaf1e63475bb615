"""Issued documents: listed, verified and downloaded; never changed or deleted."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from portal.core.admin import ConfidentialFieldsAdmin
from portal.core.display import admin_link, size_text
from portal.core.object_actions import ObjectActionsMixin, ObjectButton
from reporting import services
from reporting.audit.diff import template_words
from reporting.models import Document


@admin.register(Document)
class DocumentAdmin(ObjectActionsMixin, ConfidentialFieldsAdmin, SimpleHistoryAdmin):
    actions = ["verify"]
    object_actions = {"verify": "Verify"}
    # What a reader scans for; the kind is in the title, the digest on the document's page.
    list_display = ["title", "version", "incident", "issued_at", "issued_by", "superseded", "download"]
    list_filter = ["kind"]
    search_fields = ["incident__reference", "title", "sha256"]
    list_select_related = ["incident", "issued_by", "superseded_by"]
    # The document's page: what it is, for which record, its file and digest, who issued it when, what it
    # supersedes; the stored code names (subject, template path) in words.
    fields = ["title", "kind", "version", "incident", "record", "download", "sha256", "size_text", "issued_by",
              "issued_at", "supersedes", "superseded", "correction_reason", "layout", "reference_data_version"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # documents are issued by actions on obligations, decisions and incidents

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def object_links(self, request, obj):
        return [ObjectButton(label="Download the PDF", post=False,
                             url=reverse("admin:reporting_document_download", args=[obj.pk]))]

    def get_urls(self):
        return [path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="reporting_document_download"), *super().get_urls()]

    def download_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = Document.objects.filter(pk=pk).select_related("incident").first()
        if document is None:
            raise Http404("No such document.")
        try:
            handle = default_storage.open(document.file.name, "rb")
        except OSError as exc:
            raise Http404("The document's file is missing.") from exc
        name = f"{document.incident.reference}-{document.kind}-v{document.version}.pdf"
        response = FileResponse(handle, as_attachment=True, filename=name, content_type="application/pdf")
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @admin.action(description="Verify the selected documents (digest and re-render)")
    def verify(self, request, queryset):
        for document in queryset:
            problems = services.document_verify(document)
            if problems:
                self.message_user(request, f"{document}: {' '.join(problems)}", messages.ERROR)
            else:
                self.message_user(request, f"{document}: verified (SHA-256 {document.sha256[:16]}...)",
                                  messages.SUCCESS)

    @admin.display(description="issued for")
    def record(self, obj):
        for name in ("obligation", "disclosure"):
            target = getattr(obj, name)
            if target is not None:
                return admin_link(target)
        return "the incident"

    @admin.display(description="layout")
    def layout(self, obj):
        return template_words(obj.template) if obj.template else "-"

    @admin.display(description="size")
    def size_text(self, obj):
        return size_text(obj.size)

    @admin.display(description="SHA-256")
    def digest(self, obj):
        return format_html('<code title="{}">{}...</code>', obj.sha256, obj.sha256[:12])

    @admin.display(description="superseded by")
    def superseded(self, obj):
        newer = getattr(obj, "superseded_by", None)
        return f"v{newer.version}" if newer else "-"

    @admin.display(description="file")
    def download(self, obj):
        return format_html('<a href="{}">Download PDF</a>', reverse("admin:reporting_document_download",
                                                                    args=[obj.pk]))
