"""The AIBOM admin: components, their dependency graph, which systems use them, and the blast radius."""

from django.contrib import admin
from django.db import models
from django.template.loader import render_to_string

from inventory import selectors
from inventory.forms import ComponentDependencyForm, ComponentForm, SystemComponentForm
from inventory.models import Component, ComponentDependency, ComponentStatus, SystemComponent
from portal.core.admin import ServiceInline, ServiceModelAdmin


class DependencyInline(ServiceInline):
    model = ComponentDependency
    fk_name = "component"
    form = ComponentDependencyForm
    fields = ["depends_on", "relation"]
    autocomplete_fields = ["depends_on"]
    verbose_name = "dependency"
    verbose_name_plural = "depends on"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("depends_on")


@admin.register(Component)
class ComponentAdmin(ServiceModelAdmin):
    form = ComponentForm
    # A component incidents or systems refer to is retired, not deleted (the delete page offers this instead).
    actions = ["delete_selected", "retire_selected"]
    retire_changes = {"status": ComponentStatus.RETIRED}
    delete_alternative = "retire_selected"
    delete_alternative_label = "Retire it instead (status: retired)"
    list_display = [
        "name", "kind", "group", "version", "supplier", "license", "status", "known_good", "disableable",
        "system_count",
    ]
    list_filter = ["kind", "status", "known_good", "disableable", "supplier"]
    search_fields = ["name", "group", "purl", "bom_ref"]
    autocomplete_fields = ["derived_from"]
    readonly_fields = ["blast_radius", "created_at", "updated_at"]
    inlines = [DependencyInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        ("Identity", {"fields": ["kind", "name", "group", "version", "description", "supplier", "license"]}),
        ("References", {"fields": ["purl", "external_url", "bom_ref", "hashes", "derived_from"]}),
        ("Incident response", {"fields": ["status", "known_good", "disableable", "disable_procedure"]}),
        ("Blast radius", {"fields": ["blast_radius"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return selectors.component_list()

    @admin.display(description="systems using it", ordering="system_count")
    def system_count(self, obj):
        return obj.system_count

    @admin.display(description="AI systems affected")
    def blast_radius(self, obj):
        if obj.pk is None:
            return "Shown once the component is saved."
        systems = selectors.systems_affected_by_component(obj)
        return render_to_string("inventory/admin/blast_radius.html", {"systems": systems, "component": obj})


@admin.register(SystemComponent)
class SystemComponentAdmin(ServiceModelAdmin):
    form = SystemComponentForm
    list_display = ["system", "component", "usage", "is_active"]
    list_filter = ["is_active", "component__kind", ("system", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["system__name", "component__name", "usage"]
    autocomplete_fields = ["system", "component"]

    def get_queryset(self, request):
        return selectors.system_component_list()

    def get_readonly_fields(self, request, obj=None):
        # A link is never re-pointed: detach it and attach the other component instead.
        return ["system", "component"] if obj is not None else []


@admin.register(ComponentDependency)
class ComponentDependencyAdmin(ServiceModelAdmin):
    form = ComponentDependencyForm
    list_display = ["component", "relation", "depends_on"]
    list_filter = ["relation", "component__kind", "depends_on__kind"]
    search_fields = ["component__name", "depends_on__name"]
    autocomplete_fields = ["component", "depends_on"]

    def get_queryset(self, request):
        return selectors.dependency_list()

    def get_readonly_fields(self, request, obj=None):
        # An edge is never re-pointed: remove it and add the other one instead.
        return ["component", "depends_on"] if obj is not None else []
