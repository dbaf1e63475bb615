"""Query-string filters of the reporting lists (django-filter). Incidents are named by their reference."""

from datetime import timedelta

import django_filters as filters
from django.utils import timezone

from reporting import selectors
from reporting.api.serializers import REFERENCE_HELP
from reporting.models import DisclosureDecision, Document, Obligation

DUE_CHOICES = [("overdue", "Overdue"), ("24h", "Due within 24 hours"), ("later", "Due later"),
               ("none", "No fixed deadline")]


def incident_filter():
    return filters.CharFilter(field_name="incident__reference", label=REFERENCE_HELP)


class ObligationFilter(filters.FilterSet):
    incident = incident_filter()
    due = filters.ChoiceFilter(
        choices=DUE_CHOICES, method="filter_due",
        label="Where the deadline stands now, whatever the status (as on the admin's deadline filter): overdue, "
              "24h (within 24 hours), later, none (no fixed deadline). Add status=open for what is still owed.")

    class Meta:
        model = Obligation
        fields = ["incident", "status", "regime", "uncertain"]

    def filter_due(self, queryset, name, value):
        now = timezone.now()
        return {
            "overdue": lambda: queryset.filter(selectors.overdue_q(now)),
            "24h": lambda: queryset.filter(selectors.due_within_q(now, 24)),
            "later": lambda: queryset.filter(due_at__gt=now + timedelta(hours=24)),
            "none": lambda: queryset.filter(due_at__isnull=True),
        }[value]()


class DocumentFilter(filters.FilterSet):
    incident = incident_filter()

    class Meta:
        model = Document
        fields = ["incident", "kind", "obligation", "disclosure"]


class DisclosureDecisionFilter(filters.FilterSet):
    incident = incident_filter()

    class Meta:
        model = DisclosureDecision
        fields = ["incident", "status", "audience", "decision"]
