"""Forms of the inventory admin.

The invariants the services check across rows (one Accountable per system and activity, no dependency cycle) are
checked here too, with the services' own check functions, so a broken rule comes back as a form error naming the
rule before anything is written. Invariants of one row (`Model.clean`, constraints) come through the model form.
"""

from collections import defaultdict

from django import forms
from django.core.exceptions import ValidationError

from inventory.models import (
    AISystem,
    Component,
    ComponentDependency,
    EscalationStep,
    PersonalData,
    RaciAssignment,
    RaciRole,
    SystemComponent,
    Team,
)
from inventory.services import dependency_check, raci_check
from portal.core.forms import ServiceInlineFormSet, ServiceModelForm, add_validation_error


def _current(form, cleaned, name):
    """The value of `name` in the submission, else the instance's (a field shown read-only is not in the form)."""
    if name in cleaned:
        return cleaned[name]
    if getattr(form.instance, f"{name}_id", None) is not None:
        return getattr(form.instance, name)
    return None


class AISystemForm(ServiceModelForm):
    personal_data_categories = forms.MultipleChoiceField(
        choices=PersonalData.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Personal-data categories processed",
    )

    class Meta:
        model = AISystem
        fields = [
            "name", "slug", "purpose", "deployment_kind", "lifecycle", "owner_team", "operator_role", "risk_class",
            "annex_iii_area", "annex_i_product", "risk_rationale", "risk_assessed_by", "risk_assessed_on",
            "jurisdictions", "personal_data_categories", "decisions_influenced", "affected_populations",
            "inference_logging", "log_retention_days", "baseline_telemetry_defined", "kill_switch_procedure",
            "rollback_procedure",
        ]


class ComponentForm(ServiceModelForm):
    external_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Component
        fields = [
            "kind", "name", "group", "version", "description", "supplier", "license", "purl", "external_url",
            "hashes", "bom_ref", "derived_from", "known_good", "disableable", "disable_procedure", "status",
        ]
        help_texts = {"hashes": 'A list such as [{"alg": "SHA-256", "content": "<64 hex characters>"}].'}


class TeamForm(ServiceModelForm):
    class Meta:
        model = Team
        fields = ["name", "email", "members"]


class SystemComponentForm(ServiceModelForm):
    class Meta:
        model = SystemComponent
        fields = ["system", "component", "usage", "is_active"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and {"system", "component"} & set(self.changed_data):
            self.add_error(
                "component", "A link cannot be re-pointed: delete this row and add the new component instead."
            )
        return cleaned


class ComponentDependencyForm(ServiceModelForm):
    class Meta:
        model = ComponentDependency
        fields = ["component", "depends_on", "relation"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and {"component", "depends_on"} & set(self.changed_data):
            self.add_error(
                "depends_on", "A dependency cannot be re-pointed: delete this row and add the new one instead."
            )
            return cleaned
        component, depends_on = _current(self, cleaned, "component"), _current(self, cleaned, "depends_on")
        if component is not None and depends_on is not None:
            try:
                dependency_check(component=component, depends_on=depends_on)
            except ValidationError as exc:
                add_validation_error(self, exc)
        return cleaned


class RaciAssignmentForm(ServiceModelForm):
    """One Accountable per system and activity: checked here with the service's `raci_check`."""

    # The inline form leaves the check to its formset, which sees every row of the submission at once.
    check_accountable = True

    class Meta:
        model = RaciAssignment
        fields = ["system", "activity", "role", "user", "team"]

    def candidate(self, cleaned=None):
        cleaned = self.cleaned_data if cleaned is None else cleaned
        return RaciAssignment(
            pk=self.instance.pk, system=_current(self, cleaned, "system"), activity=cleaned.get("activity"),
            role=cleaned.get("role"),
        )

    def clean(self):
        cleaned = super().clean()
        if self.check_accountable and cleaned.get("activity") and cleaned.get("role"):
            try:
                raci_check(assignment=self.candidate(cleaned))
            except ValidationError as exc:
                add_validation_error(self, exc)
        return cleaned


class RaciInlineForm(RaciAssignmentForm):
    check_accountable = False


class EscalationStepForm(ServiceModelForm):
    class Meta:
        model = EscalationStep
        fields = ["system", "severity", "order", "user", "team", "acknowledge_within_minutes"]


# --- inline formsets ------------------------------------------------------------------------------------------

class RaciInlineFormSet(ServiceInlineFormSet):
    """Catches a second Accountable inside one submission as well as against rows saved before."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        by_activity = defaultdict(list)
        for form in self.live_forms():
            if form.cleaned_data.get("role") == RaciRole.ACCOUNTABLE:
                by_activity[form.cleaned_data["activity"]].append(form)
        in_submission = [f.instance.pk for f in self.forms if f.instance.pk]
        for forms_for_activity in by_activity.values():
            first, *others = forms_for_activity
            label = first.candidate().get_activity_display()
            for form in others:
                form.add_error("role", (
                    f"Two rows name an Accountable for '{label}'; there is exactly one Accountable per system "
                    f"and activity."
                ))
            if others or self.instance.pk is None:
                continue
            try:
                raci_check(assignment=first.candidate())
            except ValidationError as exc:
                # A holder among this submission's rows is being removed or changed; only another one counts.
                holders = RaciAssignment.objects.filter(
                    system=self.instance, activity=first.cleaned_data["activity"], role=RaciRole.ACCOUNTABLE
                ).exclude(pk__in=in_submission)
                if holders.exists():
                    add_validation_error(first, exc)

    def ordered_for_update(self, forms_to_update):
        """Rows that give up an Accountable role are saved first, so another row can take it over."""
        return sorted(forms_to_update, key=lambda f: f.cleaned_data.get("role") == RaciRole.ACCOUNTABLE)
