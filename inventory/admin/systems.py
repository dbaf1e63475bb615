"""The AI system admin: the register a compliance officer keeps, with its components, RACI and escalation path."""

from django.contrib import admin
from django.template.loader import render_to_string

from inventory import selectors
from inventory.admin.aibom_import import aibom_import_view
from inventory.forms import AISystemForm, EscalationStepForm, RaciInlineForm, RaciInlineFormSet, SystemComponentForm
from inventory.models import AISystem, EscalationStep, Lifecycle, RaciAssignment, SystemComponent
from portal.core.admin import ServiceInline, ServiceModelAdmin

RECENT_EVENTS = 10


class EvidenceReadinessFilter(admin.SimpleListFilter):
    title = "evidence readiness"
    parameter_name = "readiness"

    def lookups(self, request, model_admin):
        return [("gaps", "Has gaps"), ("ready", "Ready")]

    def queryset(self, request, queryset):
        if self.value() == "gaps":
            return selectors.systems_with_readiness_gaps(queryset)
        if self.value() == "ready":
            return queryset.exclude(pk__in=selectors.systems_with_readiness_gaps().values("pk"))
        return queryset


class SystemComponentInline(ServiceInline):
    model = SystemComponent
    form = SystemComponentForm
    fields = ["component", "usage", "is_active"]
    autocomplete_fields = ["component"]
    verbose_name = "component used"
    verbose_name_plural = "components used"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("component")


class RaciInline(ServiceInline):
    model = RaciAssignment
    form = RaciInlineForm
    formset = RaciInlineFormSet
    fields = ["activity", "role", "user", "team"]
    autocomplete_fields = ["user", "team"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "team")


class EscalationStepInline(ServiceInline):
    model = EscalationStep
    form = EscalationStepForm
    fields = ["severity", "order", "user", "team", "acknowledge_within_minutes"]
    autocomplete_fields = ["user", "team"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "team")


@admin.register(AISystem)
class AISystemAdmin(ServiceModelAdmin):
    form = AISystemForm
    change_list_template = "inventory/admin/aisystem_change_list.html"  # with "Import an AIBOM"
    # A system incidents refer to is retired, not deleted (the delete page offers this action instead).
    actions = ["delete_selected", "retire_selected"]
    retire_changes = {"lifecycle": Lifecycle.RETIRED}
    delete_alternative = "retire_selected"
    delete_alternative_label = "Retire it instead (lifecycle: retired)"

    def get_urls(self):
        from django.urls import path

        return [path("import-aibom/", self.admin_site.admin_view(lambda request: aibom_import_view(self, request)),
                     name="inventory_aisystem_import_aibom"), *super().get_urls()]
    list_display = [
        "name", "risk_class", "lifecycle", "readiness_gap_count", "accountable_owner", "owner_team",
        "component_count", "operator_role",
    ]
    list_filter = [
        EvidenceReadinessFilter, "risk_class", "lifecycle", "operator_role", "deployment_kind",
        ("jurisdictions", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "slug", "purpose"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["owner_team", "risk_assessed_by", "jurisdictions"]
    readonly_fields = ["readiness_gaps", "recent_timeline", "created_at", "updated_at"]
    inlines = [SystemComponentInline, RaciInline, EscalationStepInline]
    fieldsets = [
        ("Identity", {"fields": ["name", "slug", "purpose", "deployment_kind", "lifecycle", "owner_team"]}),
        ("EU AI Act classification", {"fields": [
            "operator_role", "risk_class", "annex_iii_area", "annex_i_product", "risk_rationale", "risk_assessed_by",
            "risk_assessed_on", "jurisdictions",
        ]}),
        ("Data and people", {"fields": ["personal_data_categories", "decisions_influenced", "affected_populations"]}),
        ("Evidence readiness", {"fields": [
            "readiness_gaps", "inference_logging", "log_retention_days", "baseline_telemetry_defined",
            "kill_switch_procedure", "rollback_procedure",
        ]}),
        ("Record", {"fields": ["recent_timeline", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return selectors.system_list()

    @admin.display(description="accountable owner", ordering="accountable_owner")
    def accountable_owner(self, obj):
        return obj.accountable_owner

    @admin.display(description="components", ordering="component_count")
    def component_count(self, obj):
        return obj.component_count

    @admin.display(description="readiness gaps")
    def readiness_gap_count(self, obj):
        return selectors.readiness_gap_count(obj)

    @admin.display(description="evidence-readiness gaps")
    def readiness_gaps(self, obj):
        if obj.pk is None:
            return "Shown once the system is saved."
        return render_to_string("inventory/admin/readiness_gaps.html", {"gaps": selectors.system_readiness_gaps(obj)})

    @admin.display(description="recent timeline")
    def recent_timeline(self, obj):
        if obj.pk is None:
            return "Shown once the system is saved."
        events = obj.events.select_related("actor", "component").order_by("-at", "-id")[:RECENT_EVENTS]
        return render_to_string("inventory/admin/recent_timeline.html", {"events": events})
