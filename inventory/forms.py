"""Forms of the inventory admin.

The invariants the services check across rows (one Accountable per system and activity, no dependency cycle) are
checked here too, with the services' own check functions, so a broken rule comes back as a form error naming the
rule before anything is written. Invariants of one row (`Model.clean`, constraints) come through the model form.
"""

from collections import defaultdict

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

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


def add_validation_error(form, error: ValidationError) -> None:
    """Put a service's ValidationError on `form`: on the named field when the form shows it, else on the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields and field != NON_FIELD_ERRORS else None
            if target is None and field != NON_FIELD_ERRORS:
                label = field.replace("_", " ").capitalize()
                errors = [ValidationError(f"{label}: {message}") for e in errors for message in e.messages]
            form.add_error(target, errors)
    else:
        form.add_error(None, error)


def _current(form, cleaned, name):
    """The value of `name` in the submission, else the instance's (a field shown read-only is not in the form)."""
    if name in cleaned:
        return cleaned[name]
    if getattr(form.instance, f"{name}_id", None) is not None:
        return getattr(form.instance, name)
    return None


class ServiceModelForm(forms.ModelForm):
    """Base form of every inventory admin page.

    `service_refusal` is set (on a per-request subclass) when a service refused the save after the form had been
    validated, e.g. a concurrent change won a race; the form is then shown again with the service's reason.
    """

    service_refusal = None

    def clean(self):
        cleaned = super().clean()
        if self.service_refusal is not None:
            add_validation_error(self, self.service_refusal)
        return cleaned


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

class ServiceInlineFormSet(forms.BaseInlineFormSet):
    """An inline formset whose rows the admin saves one by one through the services."""

    def live_forms(self):
        """Rows that will exist after the save: valid, not empty, not marked for deletion."""
        deleted = self.deleted_forms
        return [f for f in self.forms if f.is_valid() and f.cleaned_data and f not in deleted]

    def ordered_for_update(self, forms_to_update):
        """The order in which changed rows are saved (a hook for rules that depend on it)."""
        return forms_to_update


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
