"""An incident's regulatory facts: what the clock needs that the incident record does not hold. Saving
recomputes the incident's obligations."""

from django import forms
from django.contrib import admin

from portal.core.admin import ServiceModelAdmin, adopt
from portal.core.forms import ServiceModelForm
from reporting import services
from reporting.admin.base import call
from reporting.models import RegulatoryFacts
from reporting.services.facts import FACT_FIELDS

FIELDSETS = [
    ("EU AI Act", {"fields": ["widespread_infringement", "provider_unreachable", "deemed_provider",
                              "legacy_gpai_model"]}),
    ("Personal data (GDPR, UK GDPR)", {"fields": ["risk_to_individuals", "gdpr_role"]}),
    ("NIS2", {"fields": ["nis2_entity", "significant_incident", "service_recipients_affected",
                         "nis2_intermediate_requested_at", "ongoing_at_final_report", "handling_completed_at"]}),
    ("Cyber Resilience Act", {"fields": ["cra_manufacturer", "actively_exploited_vulnerability", "severe_incident",
                                         "corrective_measure_available_at"]}),
    ("DORA", {"fields": ["dora_financial_entity", "dora_entity_type", "classified_major_at"]}),
    ("SEC", {"fields": ["sec_registrant", "materiality_determined_at", "sec_delay_until"]}),
    ("Frontier AI (California SB 53, New York RAISE Act)", {
        "fields": ["frontier_developer", "critical_safety_incident", "imminent_risk_of_death_or_injury"]}),
    ("US sector rules", {"fields": ["covered_defense_information", "phi_breach", "hipaa_role",
                                    "state_residents_affected", "nydfs_covered_entity", "determined_at",
                                    "extortion_payment_at"]}),
    ("Colorado", {"fields": ["adverse_decision_at", "algorithmic_discrimination_discovered_at"]}),
    ("China", {"fields": ["critical_information_infrastructure", "cn_relatively_major_or_above"]}),
    ("Local time", {"fields": ["entity_time_zone", "entity_country", "incident_time_zone"],
                    "description": "Where the rules read local time: the entity's calendar months and years and "
                                   "the DORA weekend/holiday relief (its time zone and Member State), and the date "
                                   "a regime applies from (where the incident was discovered). New facts take the "
                                   "organisation profile's time zone and country."}),
]


class RegulatoryFactsForm(ServiceModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = RegulatoryFacts
        exclude = ["version"]  # not editable: the form's own hidden field carries it to the check
        fields = ["incident", *FACT_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            for name, value in RegulatoryFacts.profile_defaults().items():
                self.fields[name].initial = value


@admin.register(RegulatoryFacts)
class RegulatoryFactsAdmin(ServiceModelAdmin):
    form = RegulatoryFactsForm
    actions = []
    list_display = ["incident", "risk_to_individuals", "significant_incident", "classified_major_at",
                    "materiality_determined_at", "critical_safety_incident", "updated_at"]
    list_select_related = ["incident"]
    search_fields = ["incident__reference", "incident__title"]
    autocomplete_fields = ["incident"]

    def get_fieldsets(self, request, obj=None):
        head = ["incident"] if obj is None else ["incident", "version"]
        return [(None, {"fields": head, "description": "Saving recomputes the incident's regulatory obligations. "
                                                       "Organisation-wide facts default from the regulatory "
                                                       "profile."}), *FIELDSETS]

    def get_readonly_fields(self, request, obj=None):
        return ["incident"] if obj is not None else []

    def get_changeform_initial_data(self, request):
        return {**RegulatoryFacts.profile_defaults(), **super().get_changeform_initial_data(request)}

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        incident = obj.incident
        changes = {name: data[name] for name in FACT_FIELDS if name in data}
        if change:
            fresh = RegulatoryFacts.objects.get(pk=obj.pk)
            changes = {k: v for k, v in changes.items() if getattr(fresh, k) != v}
        saved = call(services.regulatory_facts_update, actor=request.user, incident=incident,
                     expected_version=data.get("version") if change else None, **changes)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        pass
