"""Read-only pages: the taxonomies and runbooks incidents are classified and worked with, the append-only timeline,
the SLA notices sent, and the evidence register (whose only write is a digest check, through the service)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from incidents import services
from incidents.forms import verification_notice
from incidents.models import (
    AtlasTechnique,
    CsfCategory,
    CustodyEntry,
    Evidence,
    OwaspRisk,
    Runbook,
    RunbookStep,
    SlaNotice,
    TimelineEvent,
)
from portal.core.admin import ConfidentialFieldsAdmin, ReadOnlyAdmin
from portal.core.admin_lists import LargeListAdmin, cached_choices
from portal.core.display import size_text


class ReadOnlyInline(ConfidentialFieldsAdmin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AtlasTechnique)
class AtlasTechniqueAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "parent", "tactic_names", "maturity", "retired"]
    list_filter = ["retired", "maturity", "tactics"]
    list_select_related = ["parent"]
    search_fields = ["id", "name"]
    fields = ["id", "name", "parent", "tactics", "maturity", "retired"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tactics")

    @admin.display(description="tactics")
    def tactic_names(self, obj):
        return ", ".join(tactic.name for tactic in obj.tactics.all())


@admin.register(OwaspRisk)
class OwaspRiskAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "edition"]
    list_filter = ["edition"]
    search_fields = ["id", "name"]


@admin.register(CsfCategory)
class CsfCategoryAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "function"]
    list_filter = ["function"]
    list_select_related = ["function"]
    search_fields = ["id", "name"]


class RunbookStepInline(ReadOnlyInline):
    model = RunbookStep
    fields = ["order", "phase", "title", "guidance", "csf_category", "atlas_technique"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("csf_category", "atlas_technique")


@admin.register(Runbook)
class RunbookAdmin(ReadOnlyAdmin):
    list_display = ["title", "incident_class", "version", "step_count"]
    search_fields = ["title"]
    fields = ["title", "incident_class", "version"]
    inlines = [RunbookStepInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("steps")

    @admin.display(description="steps")
    def step_count(self, obj):
        return len(obj.steps.all())


@admin.register(RunbookStep)
class RunbookStepAdmin(ReadOnlyAdmin):
    list_display = ["runbook", "order", "phase", "title", "csf_category", "atlas_technique"]
    list_filter = ["phase", "runbook"]
    list_select_related = ["runbook", "csf_category", "atlas_technique"]
    search_fields = ["title", "guidance"]


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "incident", "kind", "summary", "actor", "source", "flagged"]
    list_filter = ["kind", "flagged", "source"]
    list_select_related = ["incident", "actor"]
    search_fields = ["summary", "incident__reference"]
    date_hierarchy = "at"
    fields = ["incident", "at", "kind", "summary", "actor", "source", "flagged", "payload"]
    readonly_fields = fields


@admin.register(SlaNotice)
class SlaNoticeAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "incident", "target", "stage", "due_at", "recipient_list"]
    list_filter = ["target", "stage"]
    list_select_related = ["incident"]
    search_fields = ["incident__reference"]
    fields = ["incident", "target", "stage", "due_at", "sent_at", "recipients"]
    readonly_fields = fields

    @admin.display(description="recipients")
    def recipient_list(self, obj):
        return ", ".join(map(str, obj.recipients or []))


class CustodyInline(ReadOnlyInline):
    model = CustodyEntry
    fields = ["at", "action", "actor", "to_party", "notes"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ContentTypeFilter(admin.SimpleListFilter):
    """The content types evidence was collected with, listed from a cache refreshed every ten minutes."""

    title = "content type"
    parameter_name = "content_type"

    def lookups(self, request, model_admin):
        def content_types():
            values = Evidence.objects.order_by("content_type").values_list("content_type", flat=True).distinct()
            return [(value, value) for value in values if value]
        return cached_choices("incidents:evidence-content-types", content_types)

    def queryset(self, request, queryset):
        return queryset.filter(content_type=self.value()) if self.value() else queryset


@admin.register(Evidence)
class EvidenceAdmin(LargeListAdmin, ReadOnlyAdmin):
    """The evidence of every incident; added on the incident's page. Its one action re-checks digests."""

    actions = ["verify_digests"]
    list_display = ["title", "incident", "content_type", "size_text", "collected_by", "collected_at", "last_custody"]
    # A cached list of content types and fixed date ranges: no DISTINCT over the evidence per request.
    list_filter = [ContentTypeFilter, ("collected_at", admin.DateFieldListFilter)]
    list_select_related = ["incident", "collected_by"]
    search_fields = ["title", "incident__reference", "sha256", "original_name"]
    ordering = ["-collected_at", "-id"]  # newest first, as the list's index runs
    ordering_ties = ["-collected_at", "-id"]
    sortable_by = ["content_type", "collected_at"]
    fields = ["incident", "title", "description", "stored_file", "reference", "original_name", "content_type",
              "size_text", "sha256", "collected_by", "collected_at"]
    readonly_fields = fields
    inlines = [CustodyInline]

    def get_queryset(self, request):
        custody = CustodyEntry.objects.order_by("at", "id")
        return super().get_queryset(request).prefetch_related(Prefetch("custody", queryset=custody))

    def has_verify_permission(self, request):
        return request.user.has_perm("incidents.change_evidence")

    @admin.display(description="stored file")
    def stored_file(self, obj):
        return obj.file.name or "-"  # named, not linked: evidence is not served from a public media URL

    @admin.display(description="size", ordering="size")
    def size_text(self, obj):
        return size_text(obj.size)

    @admin.display(description="last custody entry")
    def last_custody(self, obj):
        entries = obj.custody.all()
        return entries[len(entries) - 1].get_action_display() if entries else "-"

    @admin.action(permissions=["verify"], description="Verify the SHA-256 digest of the selected evidence")
    def verify_digests(self, request, queryset):
        for evidence in queryset.select_related("incident"):
            try:
                intact = services.evidence_verify(actor=request.user, evidence=evidence)
            except ValidationError as exc:
                self.message_user(request, f"{evidence.title}: {' '.join(exc.messages)}", messages.WARNING)
                continue
            good, message = verification_notice(evidence, intact)
            self.message_user(request, message, messages.SUCCESS if good else messages.ERROR)
