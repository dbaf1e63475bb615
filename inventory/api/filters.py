"""Query-string filters of the inventory API (django-filter). Systems are named by slug, other rows by id.

Filters on a related row use a subquery (`pk__in`) rather than a join, so that the list annotations of the
selectors (counts, readiness flags) are never multiplied by the join.
"""

import django_filters as filters
from django.contrib.auth import get_user_model

from inventory import selectors
from inventory.models import (
    AISystem,
    Component,
    ComponentDependency,
    EscalationStep,
    InventoryEvent,
    RaciAssignment,
    SystemComponent,
    Team,
)

SYSTEM_SLUG_HELP = "Slug of the AI system."


class AISystemFilter(filters.FilterSet):
    jurisdiction = filters.CharFilter(
        method="filter_jurisdiction", label="ISO code of a jurisdiction where the system is used (e.g. DE, EU)."
    )
    has_readiness_gaps = filters.BooleanFilter(
        method="filter_has_readiness_gaps",
        label="true: systems with at least one evidence-readiness gap; false: systems without any.",
    )
    class Meta:
        model = AISystem
        fields = ["risk_class", "lifecycle", "operator_role", "deployment_kind", "annex_iii_area", "owner_team"]

    def filter_jurisdiction(self, queryset, name, value):
        links = AISystem.jurisdictions.through.objects.filter(jurisdiction__code__iexact=value.strip())
        return queryset.filter(pk__in=links.values("aisystem_id"))

    def filter_has_readiness_gaps(self, queryset, name, value):
        with_gaps = selectors.systems_with_readiness_gaps()
        if value:
            return queryset.filter(pk__in=with_gaps.values("pk"))
        return queryset.exclude(pk__in=with_gaps.values("pk"))


class ComponentFilter(filters.FilterSet):
    supplier = filters.CharFilter(lookup_expr="iexact", label="Supplier (case-insensitive exact match).")
    system = filters.CharFilter(method="filter_system", label="Slug of an AI system that uses the component.")

    class Meta:
        model = Component
        fields = ["kind", "status", "known_good", "disableable", "derived_from"]

    def filter_system(self, queryset, name, value):
        uses = SystemComponent.objects.filter(system__slug=value).values("component_id")
        return queryset.filter(pk__in=uses)


class SystemComponentFilter(filters.FilterSet):
    system = filters.CharFilter(field_name="system__slug", label=SYSTEM_SLUG_HELP)

    class Meta:
        model = SystemComponent
        fields = ["component", "is_active"]


class DependencyFilter(filters.FilterSet):
    class Meta:
        model = ComponentDependency
        fields = ["component", "depends_on", "relation"]


class TeamFilter(filters.FilterSet):
    member = filters.ModelChoiceFilter(
        queryset=get_user_model().objects.all(), field_name="members", method="filter_member",
        label="Id of a user who is a member.",
    )

    class Meta:
        model = Team
        fields = []

    def filter_member(self, queryset, name, value):
        return queryset.filter(pk__in=Team.members.through.objects.filter(user=value).values("team_id"))


class RaciFilter(filters.FilterSet):
    system = filters.CharFilter(field_name="system__slug", label=SYSTEM_SLUG_HELP)

    class Meta:
        model = RaciAssignment
        fields = ["activity", "role", "user", "team"]


class EscalationStepFilter(filters.FilterSet):
    system = filters.CharFilter(field_name="system__slug", label=SYSTEM_SLUG_HELP)

    class Meta:
        model = EscalationStep
        fields = ["severity", "user", "team"]


class InventoryEventFilter(filters.FilterSet):
    system = filters.CharFilter(field_name="system__slug", label=SYSTEM_SLUG_HELP)
    at_after = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", label="At or after (ISO 8601).")
    at_before = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt", label="Before (ISO 8601).")

    class Meta:
        model = InventoryEvent
        fields = ["kind", "component", "actor", "source"]
