"""The response records on an incident's change page: checklist, containment, evidence, recovery, review.

Recorded rows are shown read-only with, for users who may change them, the one action each offers (tick a step,
revert an action, verify a digest, sign off); new rows are added in a separate inline. Every row is written by
its formset through the response services (see `incidents.forms`). Each inline's queryset joins what its rows
show, so the page runs the same number of queries however many rows there are.
"""

from django.contrib import admin
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils.html import format_html

from incidents import forms
from incidents.lifecycle import OPEN_STATUSES
from incidents.models import (
    ActionItem,
    ChecklistItem,
    ContainmentAction,
    CustodyEntry,
    Evidence,
    Phase,
    PostIncidentReview,
    RecoveryValidation,
)
from portal.core.admin import ConfidentialFieldsAdmin, ServiceInline
from portal.core.display import moment_text, size_text


class IncidentInline(ServiceInline):
    """An inline of an incident's sub-records; nothing is deleted (records are kept)."""

    can_delete = False
    shown: tuple = ()  # read-only columns
    actions_offered: tuple = ()  # form fields, offered to users who may change the rows
    related: tuple = ()  # joined by the queryset

    def has_delete_permission(self, request, obj=None):
        return False  # records are kept (and an inline offering nothing is then left off the page)

    def get_fields(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return [*self.shown, *self.actions_offered]
        return list(self.shown)

    def get_readonly_fields(self, request, obj=None):
        return list(self.shown)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)


class RecordedInline(IncidentInline):
    """Rows recorded before: read-only, with the action the row offers. The row's own name is not printed above
    it (its read-only column already says what it is)."""

    classes = ["recorded-rows"]

    def has_add_permission(self, request, obj=None):
        return False


class AddInline(IncidentInline):
    """A new row, written by the matching service; lists nothing (the recorded rows are in their own inline)."""

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return list(self.fields)

    def get_readonly_fields(self, request, obj=None):
        return []


class OpenIncidentOnly:
    """Rows only an open incident takes (its services refuse them on a closed or dismissed one): on a closed
    incident the inline offers no new row and no change, its recorded rows are shown read-only."""

    def has_add_permission(self, request, obj=None):
        return _open(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _open(obj) and super().has_change_permission(request, obj)


def _open(incident) -> bool:
    return incident is None or incident.status in OPEN_STATUSES


def _user(user):
    return user.get_full_name() or user.get_username() if user else "-"


class ChecklistInline(RecordedInline):
    model = ChecklistItem
    form = forms.ChecklistItemForm
    formset = forms.ChecklistFormSet
    shown = ("step",)
    actions_offered = ("done", "notes")
    related = ("done_by",)
    verbose_name = "checklist step"
    verbose_name_plural = "runbook checklist"

    def get_fields(self, request, obj=None):
        return [*super().get_fields(request, obj), *([] if self.has_change_permission(request, obj) else ["notes"])]

    def get_readonly_fields(self, request, obj=None):
        return [*self.shown, *([] if self.has_change_permission(request, obj) else ["notes"])]

    @admin.display(description="step")
    def step(self, obj):
        done = (format_html("<br>Done by {} at {}", _user(obj.done_by), moment_text(obj.done_at))
                if obj.done_at else "")
        return format_html('{}. <span class="phase">{}</span>: <strong>{}</strong><br><small>{}</small>{}',
                           obj.order, obj.get_phase_display(), obj.title, obj.guidance, done)


class ContainmentInline(RecordedInline):
    model = ContainmentAction
    form = forms.ContainmentRevertForm
    formset = forms.ContainmentRevertFormSet
    shown = ("action",)
    actions_offered = ("revert_with_reason",)
    related = ("target_system", "target_component", "rollback_to", "performed_by", "reverted_by")
    verbose_name = "containment action"
    verbose_name_plural = "containment actions taken"

    @admin.display(description="action")
    def action(self, obj):
        """What was done to which target, when and by whom, on what authority, its outcome and any revert."""
        target = str(obj.target_system) + (f" / {obj.target_component}" if obj.target_component else "")
        target += f" -> {obj.rollback_to}" if obj.rollback_to else ""
        if obj.is_override:
            authority = format_html('<strong class="override" style="color:#ba2121">EMERGENCY OVERRIDE</strong>: {}',
                                    obj.override_reason)
        else:
            authority = obj.authority or "-"
        reverted = (format_html("<br>Reverted {} by {}: {}", moment_text(obj.reverted_at),
                                _user(obj.reverted_by), obj.revert_reason) if obj.reverted_at else "")
        performed = f"{moment_text(obj.performed_at)} by {_user(obj.performed_by)}"
        return format_html("<strong>{}</strong> on {}<br>Performed {}; authority: {}<br>Outcome: {}{}",
                           obj.get_kind_display(), target, performed, authority, obj.outcome or "-", reverted)


class ContainmentAddInline(OpenIncidentOnly, AddInline):
    model = ContainmentAction
    form = forms.ContainmentForm
    formset = forms.ContainmentAddFormSet
    fields = forms.CONTAINMENT_FIELDS
    autocomplete_fields = ["target_system", "target_component", "rollback_to"]
    verbose_name = "new containment action"
    verbose_name_plural = "record a containment action"


class EvidenceInline(RecordedInline):
    model = Evidence
    form = forms.EvidenceVerifyForm
    formset = forms.EvidenceVerifyFormSet
    shown = ("artefact", "custody_entries")
    actions_offered = ("verify_now",)
    related = ("collected_by",)
    verbose_name_plural = "evidence collected"

    def get_queryset(self, request):
        custody = CustodyEntry.objects.select_related("actor").order_by("at", "id")
        return super().get_queryset(request).prefetch_related(Prefetch("custody", queryset=custody))

    @admin.display(description="artefact")
    def artefact(self, obj):
        """Its title, where it is kept, type, size and SHA-256, and who collected it when."""
        # The stored file is named, not linked: evidence is not served from a public media URL.
        if obj.file:
            kept = f"file {obj.original_name or obj.file.name}" + (f"; {obj.reference}" if obj.reference else "")
        else:
            kept = obj.reference
        digest = format_html('<code style="word-break:break-all">{}</code>', obj.sha256) if obj.sha256 else "-"
        facts = ", ".join(str(fact) for fact in (obj.content_type, obj.size and size_text(obj.size)) if fact)
        collected = f"{moment_text(obj.collected_at)} by {_user(obj.collected_by)}"
        return format_html("<strong>{}</strong><br>{}{}<br>SHA-256: {}<br>Collected {}",
                           obj.title, kept, f" ({facts})" if facts else "", digest, collected)

    @admin.display(description="chain of custody")
    def custody_entries(self, obj):
        return render_to_string("incidents/admin/custody.html", {"entries": obj.custody.all()})


class EvidenceAddInline(AddInline):
    model = Evidence
    form = forms.EvidenceForm
    formset = forms.EvidenceAddFormSet
    fields = forms.EVIDENCE_FIELDS
    verbose_name = "new evidence"
    verbose_name_plural = "add evidence (upload a file or give its reference)"


class RecoveryValidationInline(OpenIncidentOnly, IncidentInline):
    model = RecoveryValidation
    form = forms.RecoveryValidationForm
    formset = forms.RecoveryValidationFormSet
    shown = ("signed_off",)
    related = ("incident", "engineering_signoff_by", "compliance_signoff_by")  # its name shows the reference
    verbose_name_plural = "recovery validations"

    def get_fields(self, request, obj=None):
        fields = [*forms.VALIDATION_FIELDS, "signed_off"]
        # `version` (hidden): a sign-off is bound to the version of the row the page showed.
        return [*fields, "sign_off_as", "version"] if self.has_change_permission(request, obj) else fields

    @admin.display(description="signed off")
    def signed_off(self, obj):
        signs = [f"{title} {_user(getattr(obj, f'{role}_signoff_by'))} at "
                 f"{moment_text(getattr(obj, f'{role}_signoff_at'))}"
                 for role, title in (("engineering", "engineering:"), ("compliance", "compliance:"))
                 if getattr(obj, f"{role}_signoff_by_id")]
        return "; ".join(signs) or "not yet"


class ReviewInline(ConfidentialFieldsAdmin, admin.StackedInline):
    model = PostIncidentReview
    form = forms.ReviewForm
    formset = forms.ReviewFormSet
    can_delete = False
    max_num = 1
    verbose_name = "post-incident review"
    verbose_name_plural = "post-incident review"

    def get_queryset(self, request):
        items = ActionItem.objects.select_related("owner").order_by("due_on", "id")
        return (super().get_queryset(request).select_related("incident", "reviewed_by")
                .prefetch_related(Prefetch("action_items", queryset=items)))

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is not None and not hasattr(obj, "review") else 0

    def get_fieldsets(self, request, obj=None):
        review = [*forms.REVIEW_FIELDS, "reviewed"]
        items = ["action_item_list"]
        if self.has_change_permission(request, obj) or self.has_add_permission(request, obj):
            items += ["complete_action_items", ("new_action", "new_action_owner", "new_action_due_on")]
        return [(None, {"fields": review}), ("Action items", {"fields": items})]

    def get_readonly_fields(self, request, obj=None):
        return ["reviewed", "action_item_list"]

    @admin.display(description="reviewed")
    def reviewed(self, obj):
        if obj.pk is None:
            return "-"
        return f"{moment_text(obj.reviewed_at)} by {_user(obj.reviewed_by)}"

    @admin.display(description="action items")
    def action_item_list(self, obj):
        items = obj.action_items.all() if obj.pk else []
        return render_to_string("incidents/admin/action_items.html", {"items": items})


# The last checklist phase an incident in each state has reached: its steps, and every earlier phase's, are shown.
PHASE_REACHED = {"detected": Phase.TRIAGE, "triaged": Phase.CONTAIN, "contained": Phase.INVESTIGATE,
                 "investigating": Phase.INVESTIGATE, "recovering": Phase.RECOVER}


def phases_reached(incident) -> list[str]:
    """The checklist phases an incident has reached (all of them once it is in review, closed or dismissed)."""
    phases = list(Phase.values)
    last = PHASE_REACHED.get(incident.status)
    return phases if last is None else phases[:phases.index(last) + 1]


def reached(incident, *statuses) -> bool:
    """Whether the incident's lifecycle has reached one of `statuses` (the later sections of the page appear when
    their phase is reached, or when rows of theirs were recorded)."""
    return incident is not None and incident.status in statuses


INLINES = [
    ChecklistInline, ContainmentInline, ContainmentAddInline, EvidenceInline, EvidenceAddInline,
    RecoveryValidationInline, ReviewInline,
]
