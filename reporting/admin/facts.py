"""An incident's regulatory facts: what the clock needs that the incident record does not hold. Saving
recomputes the incident's obligations."""

from django import forms
from django.contrib import admin

from incidents.models import Incident
from inventory.models import PersonalData
from portal.core.admin import ServiceModelAdmin, adopt
from portal.core.forms import ServiceModelForm
from reporting import selectors, services
from reporting.admin.base import call, when
from reporting.models import DataSubjectCategory, RegulatoryFacts
from reporting.services.facts import BREACH_FIELDS, FACT_FIELDS

FIELDSETS = [
    ("EU AI Act", {"fields": ["widespread_infringement", "provider_unreachable", "deemed_provider",
                              "legacy_gpai_model"]}),
    ("Personal data (GDPR, UK GDPR)", {"fields": ["risk_to_individuals", "gdpr_role"]}),
    ("The personal-data breach (GDPR Art. 33(3)(a))", {
        "description": "Facts of this breach, confirmed by saving them; the notification states what is not yet "
                       "established instead of copying the inventory. The approximate number of data subjects is "
                       "the incident's own field.",
        "fields": [*BREACH_FIELDS, "breach_facts_confirmation"]}),
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


def _proposal_text(categories) -> str:
    if not categories:
        return "The affected AI systems' inventory records name no personal-data categories."
    labels = "; ".join(PersonalData(c).label for c in categories)
    return f"Proposed from the inventory (the affected AI systems' categories): {labels}. Saving confirms."


class RegulatoryFactsForm(ServiceModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    personal_data_categories = forms.MultipleChoiceField(
        choices=PersonalData.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Categories of personal data concerned")
    data_subject_categories = forms.MultipleChoiceField(
        choices=DataSubjectCategory.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Categories of data subjects concerned")

    class Meta:
        model = RegulatoryFacts
        exclude = ["version"]  # not editable: the form's own hidden field carries it to the check
        fields = ["incident", *FACT_FIELDS, *BREACH_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            incident = self.instance.incident
        else:
            for name, value in RegulatoryFacts.profile_defaults().items():
                self.fields[name].initial = value
            chosen = str(self.initial.get("incident") or "")
            incident = Incident.objects.filter(pk=chosen).first() if chosen.isdigit() else None
        if incident is not None:
            proposed = selectors.breach_categories_proposed(incident)
            self.fields["personal_data_categories"].help_text = _proposal_text(proposed)
            if not self.instance.pk:  # a new row: the proposal is pre-filled, for the officer to confirm
                self.fields["personal_data_categories"].initial = proposed


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
        return ["incident", "breach_facts_confirmation"] if obj is not None else ["breach_facts_confirmation"]

    @admin.display(description="Confirmed")
    def breach_facts_confirmation(self, obj):
        if obj is None or not obj.breach_facts_confirmed:
            return "Not confirmed: the notification says these facts are not yet established."
        user = obj.breach_facts_confirmed_by
        return f"By {user.get_full_name() or user.get_username()}, {when(obj.breach_facts_confirmed_at)}"

    def get_changeform_initial_data(self, request):
        return {**RegulatoryFacts.profile_defaults(), **super().get_changeform_initial_data(request)}

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        incident = obj.incident
        changes = {name: data[name] for name in (*FACT_FIELDS, *BREACH_FIELDS) if name in data}
        for name in ("personal_data_categories", "data_subject_categories"):
            changes[name] = changes.get(name) or None  # none ticked: not established
        if change:
            fresh = RegulatoryFacts.objects.get(pk=obj.pk)
            unconfirmed = not fresh.breach_facts_confirmed  # saving shown, unconfirmed breach facts confirms them
            changes = {k: v for k, v in changes.items()
                       if getattr(fresh, k) != v or (unconfirmed and k in BREACH_FIELDS)}
        saved = call(services.regulatory_facts_update, actor=request.user, incident=incident,
                     expected_version=data.get("version") if change else None, **changes)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        pass
