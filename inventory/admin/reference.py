"""Read-only pages: the jurisdictions reference data and the inventory timeline."""

from django.contrib import admin

from inventory.models import InventoryEvent, Jurisdiction
from portal.core.admin import ReadOnlyAdmin


@admin.register(Jurisdiction)
class JurisdictionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "eu_member", "eea_member"]
    list_filter = ["eu_member", "eea_member"]
    search_fields = ["code", "name"]


@admin.register(InventoryEvent)
class InventoryEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "summary", "system", "component", "actor", "source"]
    list_filter = ["kind", "source"]
    list_select_related = ["system", "component", "actor"]
    search_fields = ["summary", "system__name", "component__name"]
    date_hierarchy = "at"
    fields = ["at", "kind", "summary", "system", "component", "actor", "source", "payload"]
    readonly_fields = fields
