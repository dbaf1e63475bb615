"""Forms of the incident admin.

The incident form carries the record's `version` in a hidden field, so the service refuses an edit made on a
stale copy, and the lifecycle control: the next states the lifecycle table allows, with a note.

Each inline formset writes its rows through the response services in `save_through_services(actor=...)` and
returns notices for the user as (good news?, message) pairs; a service's ValidationError propagates, and the
admin shows it as a form error after rolling the whole submission back.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from incidents import lifecycle, services
from incidents.lifecycle import Status
from incidents.models import (
    ActionItem,
    ChecklistItem,
    ContainmentAction,
    Evidence,
    Harm,
    Incident,
    Party,
    PostIncidentReview,
    RecoveryValidation,
)
from portal.core import inputs
from portal.core.forms import ServiceInlineFormSet, ServiceModelForm

LIFECYCLE_FIELDS = ("version", "move_to", "note")


def allowed_next_states(status: str) -> str:
    """'allowed next states: triaged, dismissed (not an incident)', as the lifecycle module words it."""
    allowed = lifecycle.allowed_targets(status)
    names = ", ".join(Status(s).label.lower() for s in allowed) if allowed else "none (final state)"
    return f"allowed next states from {Status(status).label.lower()}: {names}"


class IncidentForm(ServiceModelForm):
    harms = forms.MultipleChoiceField(
        choices=Harm.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Harm types",
    )
    responsible_parties = forms.MultipleChoiceField(
        choices=Party.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Responsibility lies with", help_text="Across the developer / deployer / user / supplier stack.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    move_to = forms.ChoiceField(required=False, label="Move to")
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note",
        help_text="Why the incident moves (required to dismiss it). Without a move: a note for the timeline.",
    )

    class Meta:
        model = Incident
        fields = [
            "title", "summary", "track", "incident_class", "intent", "severity", "detection_source",
            "source_reference", "commander", "systems", "components", "atlas_techniques", "owasp_risks",
            "occurred_at", "detected_at", "aware_at", "acknowledged_at", "contained_at", "recovered_at",
            "closed_at", "users_affected", "decisions_affected", "transactions_affected", "exposure_started_at",
            "exposure_ended_at", "scope", "personal_data_involved", "data_subjects_affected", "jurisdictions",
            "harms", "deaths", "serious_injuries", "financial_loss", "financial_loss_currency",
            "responsible_parties", "responsibility_notes", "complete_inference_logs",
        ]
        labels = {"atlas_techniques": "ATLAS techniques", "owasp_risks": "OWASP LLM risks"}
        # The model's `version` is not editable; the form's own hidden `version` field carries it, to be checked.
        exclude = ["version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            for name in LIFECYCLE_FIELDS:
                self.fields.pop(name, None)
            return
        status = self.instance.status
        self.initial["version"] = self.instance.version
        move_to = self.fields["move_to"]
        move_to.choices = [("", f"Stay {Status(status).label.lower()}")] + [
            (target, Status(target).label) for target in lifecycle.allowed_targets(status)
        ]
        move_to.error_messages["invalid_choice"] = (
            f"An incident cannot go from {Status(status).label.lower()} to %(value)s; "
            f"{allowed_next_states(status)}."
        )


# --- inline forms ---------------------------------------------------------------------------------------

def _fresh(form):
    """The saved row as it is now: the services compare with current values, not the form's copy."""
    return type(form.instance)._default_manager.get(pk=form.instance.pk)


class IncidentInlineFormSet(ServiceInlineFormSet):
    """Rows saved one by one through the services; fills the lists the admin's change message reads."""

    def save_through_services(self, *, actor) -> list[tuple[bool, str]]:
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        return self.save_rows(actor=actor) or []

    def save_rows(self, *, actor):
        raise NotImplementedError

    def changed_initial_forms(self):
        return [form for form in self.initial_forms if form.has_changed()]

    def filled_extra_forms(self):
        return [form for form in self.extra_forms if form.has_changed()]


class ChecklistItemForm(forms.ModelForm):
    done = forms.BooleanField(required=False)

    class Meta:
        model = ChecklistItem
        fields = ["done", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 1, "cols": 30})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["done"] = self.instance.done_at is not None

    def clean(self):
        cleaned = super().clean()
        if "notes" in self.changed_data:
            if not cleaned.get("done"):
                self.add_error("notes", "Notes are recorded when the step is marked done; tick done as well.")
            elif self.instance.done_at is not None:
                self.add_error("notes", "This step is completed; untick done and save to reopen it, then complete "
                                        "it again with the new notes.")
        return cleaned


class ChecklistFormSet(IncidentInlineFormSet):
    def save_rows(self, *, actor):
        for form in self.changed_initial_forms():
            item, done = _fresh(form), form.cleaned_data["done"]
            if done and item.done_at is None:
                saved = services.checklist_item_complete(actor=actor, item=item, notes=form.cleaned_data["notes"])
            elif not done and item.done_at is not None:
                saved = services.checklist_item_reopen(actor=actor, item=item)
            else:
                continue
            self.changed_objects.append((saved, form.changed_data))


CONTAINMENT_FIELDS = [
    "kind", "target_system", "target_component", "rollback_to", "description", "performed_at", "override_reason",
    "outcome",
]


class ContainmentForm(forms.ModelForm):
    class Meta:
        model = ContainmentAction
        fields = CONTAINMENT_FIELDS
        widgets = {name: forms.Textarea(attrs={"rows": 2, "cols": 24})
                   for name in ("description", "override_reason", "outcome")}
        help_texts = {"override_reason": "Only when acting without RACI authority: an emergency override, flagged."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["performed_at"].required = False
        self.fields["performed_at"].help_text = "Empty: now."


class ContainmentAddFormSet(IncidentInlineFormSet):
    def save_rows(self, *, actor):
        for form in self.filled_extra_forms():
            values = {name: form.cleaned_data.get(name) for name in CONTAINMENT_FIELDS}
            for text in ("description", "override_reason", "outcome"):
                values[text] = (values[text] or "").strip()
            self.new_objects.append(services.containment_record(actor=actor, incident=self.instance, **values))


class ContainmentRevertForm(forms.ModelForm):
    revert_with_reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 1, "cols": 24}), label="Revert, because",
    )

    class Meta:
        model = ContainmentAction
        fields = ["revert_with_reason"]

    def clean_revert_with_reason(self):
        reason = self.cleaned_data["revert_with_reason"].strip()
        if reason and self.instance.reverted_at is not None:
            raise ValidationError("This action was reverted already.")
        return reason


class ContainmentRevertFormSet(IncidentInlineFormSet):
    def save_rows(self, *, actor):
        for form in self.changed_initial_forms():
            if reason := form.cleaned_data["revert_with_reason"]:
                saved = services.containment_revert(actor=actor, action=_fresh(form), reason=reason)
                self.changed_objects.append((saved, ["reverted_at", "revert_reason"]))


EVIDENCE_FIELDS = ["title", "file", "reference", "description", "collected_at"]


class EvidenceForm(forms.ModelForm):
    class Meta:
        model = Evidence
        fields = EVIDENCE_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 24})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collected_at"].required = False
        self.fields["collected_at"].help_text = "Empty: now."


class EvidenceAddFormSet(IncidentInlineFormSet):
    def save_rows(self, *, actor):
        for form in self.filled_extra_forms():
            data = form.cleaned_data
            self.new_objects.append(services.evidence_add(
                actor=actor, incident=self.instance, title=data["title"], file=data.get("file") or None,
                reference=data.get("reference", "").strip(), description=data.get("description", "").strip(),
                collected_at=data.get("collected_at"),
            ))


class EvidenceVerifyForm(forms.ModelForm):
    verify_now = forms.BooleanField(
        required=False, label="Verify digest", help_text="Recompute the SHA-256 of the stored file.",
    )

    class Meta:
        model = Evidence
        fields = ["verify_now"]

    def clean_verify_now(self):
        verify = self.cleaned_data["verify_now"]
        if verify and not self.instance.file:
            raise ValidationError("Only an uploaded file can be verified; this evidence is a reference.")
        return verify


class EvidenceVerifyFormSet(IncidentInlineFormSet):
    def save_rows(self, *, actor):
        notices = []
        for form in self.changed_initial_forms():
            if form.cleaned_data["verify_now"]:
                evidence = _fresh(form)
                intact = services.evidence_verify(actor=actor, evidence=evidence)
                notices.append(verification_notice(evidence, intact))
        return notices


def verification_notice(evidence, intact: bool) -> tuple[bool, str]:
    """(intact, message) for the user after a digest check."""
    if intact:
        return True, f"Evidence '{evidence.title}': the SHA-256 digest matches the stored file."
    return False, (f"Evidence '{evidence.title}': the SHA-256 digest does NOT match the stored file; the failed "
                   "check is in its chain of custody.")


SIGN_OFF_CHOICES = [("", "-"), ("engineering", "Engineering lead"), ("compliance", "Compliance lead")]
VALIDATION_FIELDS = [*RecoveryValidation.OUTCOME_FIELDS, "notes"]


class RecoveryValidationForm(forms.ModelForm):
    """A validation row: its outcomes, and a sign-off bound to the version of the row the page showed (hidden
    `version`): if the validation changed since, the sign-off is refused naming who changed what and when."""

    sign_off_as = forms.ChoiceField(choices=SIGN_OFF_CHOICES, required=False, label="Sign off as",
                                    help_text="You sign off the outcomes shown in this row.")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = RecoveryValidation
        fields = [*VALIDATION_FIELDS, "sign_off_as"]
        # Not editable: the form's own hidden field carries it to the check (the admin adds `version` to the
        # inline's fields, so it must be excluded from the model fields too).
        exclude = ["version"]  # noqa: DJ006
        widgets = {"notes": forms.Textarea(attrs={"rows": 1, "cols": 24})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["version"] = self.instance.version


class RecoveryValidationFormSet(IncidentInlineFormSet):
    def save_rows(self, *, actor):
        for form in self.changed_initial_forms():
            validation = _fresh(form)
            version = form.cleaned_data.get("version")
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in VALIDATION_FIELDS}
            if changes:
                validation = services.recovery_validation_update(actor=actor, validation=validation,
                                                                 expected_version=version, **changes)
                version = validation.version  # the sign-off below is for the outcomes just entered
            validation = self._sign(form, validation, actor, version)
            self.changed_objects.append((validation, form.changed_data))
        for form in self.filled_extra_forms():
            values = {name: form.cleaned_data[name] for name in VALIDATION_FIELDS}
            validation = services.recovery_validation_record(actor=actor, incident=self.instance, **values)
            self.new_objects.append(self._sign(form, validation, actor, validation.version))

    @staticmethod
    def _sign(form, validation, actor, version):
        if as_role := form.cleaned_data.get("sign_off_as"):
            return services.recovery_signoff(actor=actor, validation=validation, as_role=as_role,
                                             expected_version=version)
        return validation


REVIEW_FIELDS = ["root_cause", "contributing_factors", "what_worked", "lessons", "runbook_updated",
                 "regression_case_added"]
ACTION_ITEM_FIELDS = ("new_action", "new_action_owner", "new_action_due_on")


class ReviewForm(forms.ModelForm):
    new_action = forms.CharField(required=False, max_length=300, label="New action item")
    new_action_owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, label="Its owner",
        # Users are searched as for the incident's commander: the names a user editing the incident may pick.
        widget=AutocompleteSelect(Incident._meta.get_field("commander"), admin.site),
    )
    new_action_due_on = forms.DateField(required=False, widget=AdminDateWidget, label="Due on",
                                        validators=[inputs.validate_moment_range])
    complete_action_items = forms.ModelMultipleChoiceField(
        queryset=ActionItem.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Mark action items done",
    )

    class Meta:
        model = PostIncidentReview
        fields = [*REVIEW_FIELDS, *ACTION_ITEM_FIELDS, "complete_action_items"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in REVIEW_FIELDS[:4]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["complete_action_items"].queryset = self.instance.action_items.filter(done_at__isnull=True)

    def clean(self):
        cleaned = super().clean()
        given = [name for name in ACTION_ITEM_FIELDS if cleaned.get(name)]
        if given and len(given) < len(ACTION_ITEM_FIELDS):
            for name in set(ACTION_ITEM_FIELDS) - set(given):
                self.add_error(name, "A new action item needs its description, an owner and a due date.")
        return cleaned


class ReviewFormSet(IncidentInlineFormSet):
    def save_rows(self, *, actor):
        for form in self.forms:
            if form.has_changed():
                self._save_review(form, actor)

    def _save_review(self, form, actor):
        data = form.cleaned_data
        review = _fresh(form) if form.instance.pk else None
        if review is None or set(REVIEW_FIELDS) & set(form.changed_data):
            review = services.review_record(
                actor=actor, incident=self.instance, **{name: data[name] for name in REVIEW_FIELDS}
            )
            (self.changed_objects.append((review, form.changed_data)) if form.instance.pk
             else self.new_objects.append(review))
        if data.get("new_action"):
            services.action_item_add(actor=actor, review=review, description=data["new_action"].strip(),
                                     owner=data["new_action_owner"], due_on=data["new_action_due_on"])
        for item in data.get("complete_action_items") or ():
            services.action_item_complete(actor=actor, item=item)
