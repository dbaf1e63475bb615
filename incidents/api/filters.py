"""Query-string filters of the incident list (django-filter).

Filters on a related row use a subquery (`pk__in`) rather than a join, so rows are never repeated; the SLA state
is the annotation `incidents.selectors.with_sla_state` computes in the database.
"""

import django_filters as filters

from incidents.api.serializers import SLA_STATES
from incidents.models import Incident, IncidentClass
from incidents.selectors import open_q
from inventory.api.filters import SYSTEM_SLUG_HELP


class IncidentFilter(filters.FilterSet):
    system = filters.CharFilter(method="filter_system", label=f"{SYSTEM_SLUG_HELP} Incidents affecting it.")
    open = filters.BooleanFilter(method="filter_open",
                                 label="true: incidents not closed or dismissed; false: closed or dismissed ones.")
    sla_state = filters.ChoiceFilter(choices=SLA_STATES, label="SLA state of the earliest unmet target.")
    detected_after = filters.IsoDateTimeFilter(field_name="detected_at", lookup_expr="gte",
                                               label="Detected at or after (ISO 8601).")
    detected_before = filters.IsoDateTimeFilter(field_name="detected_at", lookup_expr="lt",
                                                label="Detected before (ISO 8601).")

    class Meta:
        model = Incident
        fields = ["status", "severity", "track", "intent", "detection_source", "commander"]

    def filter_system(self, queryset, name, value):
        links = Incident.systems.through.objects.filter(aisystem__slug=value.strip())
        return queryset.filter(pk__in=links.values("incident_id"))

    def filter_open(self, queryset, name, value):
        return queryset.filter(open_q()) if value else queryset.exclude(open_q())


# `class` is a Python keyword, so the filter on the incident class is added under that name here.
IncidentFilter.base_filters["class"] = filters.ChoiceFilter(
    field_name="incident_class", choices=IncidentClass.choices, label="Incident class."
)
