"""Disclosure decisions: a compliance officer records and edits them; a legal reviewer (another person) approves
or returns them. The two-person rule is the service's; the admin only offers the actions.

The privileged analysis is a confidential field (`portal.core.confidential`): the kernel admin base leaves it out
of every page, search and filter for the roles not cleared for it; those cleared may also search it."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import JsonResponse
from django.urls import path, reverse

from portal.core.admin import ServiceModelAdmin, adopt
from portal.core.display import moment_text
from portal.core.forms import ServiceModelForm
from portal.core.object_actions import ObjectActionsMixin
from portal.core.widgets import record_key
from reporting import selectors, services
from reporting.admin.base import (
    NoteForm,
    call,
    intermediate,
    issue_reason_form,
    latest_document_link,
    run_for_each,
    start_jobs_for_each,
    when,
)
from reporting.models import DisclosureDecision, DocumentKind, Obligation
from reporting.tasks import document_issue_start

FIELDS = ["incident", "obligation", "audience", "decision", "rationale", "legal_basis", "shareable_summary",
          "privileged_analysis", "revisit_by"]
RECORD = ["status", "decided_by", "decided_at", "approved_by", "approved_at", "review_note"]


def obligation_choice(obligation) -> str:
    """An obligation as the decision form lists it: what is owed, to whom, by when, in what state."""
    due = f"due {moment_text(obligation.due_at)}" if obligation.due_at else "no fixed deadline"
    return f"{obligation} ({due}; {obligation.get_status_display().lower()})"


def incident_obligations(incident_id):
    return Obligation.objects.filter(incident_id=incident_id).order_by(F("due_at").asc(nulls_last=True), "key")


class DisclosureForm(ServiceModelForm):
    """The obligation a decision is about is chosen among the obligations of the decision's incident only: the
    incident submitted with the form, the one the page was opened for (`?incident=`), or the decision's own."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = DisclosureDecision
        exclude = ["version"]  # not editable: the form's own hidden field carries it to the check
        fields = FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        field = self.fields.get("obligation")
        if field is not None:
            incident = self._incident_id()
            field.queryset = incident_obligations(incident) if incident else Obligation.objects.none()
            field.label_from_instance = obligation_choice
            widget = getattr(field.widget, "widget", field.widget)  # the select inside the admin's related wrapper
            widget.attrs["data-obligations-url"] = reverse("admin:reporting_disclosuredecision_obligations")
            field.help_text = ("The obligations of the chosen incident. " if not incident else "") + (
                "The regulatory obligation this decision is about, if any.")

    def _incident_id(self):
        if self.instance.pk:
            return self.instance.incident_id
        value = (self.data.get(self.add_prefix("incident")) if self.is_bound else None) or self.initial.get("incident")
        return record_key(getattr(value, "pk", value))


def decision_shown(decision) -> list[tuple[str, str]]:
    """What a legal reviewer approves or returns: the decision as recorded, never its privileged analysis."""
    incident = decision.incident
    rows = [
        ("Incident", f"{incident.reference}: {incident.title}"),
        ("Audience", decision.get_audience_display()),
        ("Decision", decision.get_decision_display()),
        ("Rationale", decision.rationale),
        ("Legal basis", decision.legal_basis),
        ("Shareable summary", decision.shareable_summary or "(none)"),
    ]
    if decision.revisit_by:
        rows.append(("Revisit by", f"{decision.revisit_by:%Y-%m-%d}"))
    rows += [("Status", decision.get_status_display()),
             ("Decided", f"{when(decision.decided_at)} by {decision.decided_by}")]
    return rows


def record_shown(decision) -> list[tuple[str, str]]:
    """What issuing the decision record PDF issues, from which version of the decision."""
    next_version = selectors.document_next_version(DocumentKind.DISCLOSURE_DECISION, f"disclosure:{decision.pk}")
    return [("Will issue", f"Disclosure-decision record v{next_version}, rendered from version {decision.version} "
                           "of the decision" + (" (supersedes the earlier versions)" if next_version > 1 else "")),
            *decision_shown(decision)]


class OptionalNoteForm(NoteForm):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), required=False,
                           label="Note (optional)")


@admin.register(DisclosureDecision)
class DisclosureDecisionAdmin(ObjectActionsMixin, ServiceModelAdmin):
    form = DisclosureForm
    actions = ["approve", "return_to_compliance", "issue_record"]
    object_actions = {"approve": "Approve", "return_to_compliance": "Return to compliance",
                      "issue_record": "Issue the decision record PDF"}
    primary_object_action = "approve"
    list_display = ["incident", "audience", "decision", "status", "decided_by", "decided_at", "approved_by"]
    list_filter = ["status", "audience", "decision"]
    search_fields = ["incident__reference", "legal_basis", "privileged_analysis"]  # the last: cleared roles only
    list_select_related = ["incident", "decided_by", "approved_by"]
    autocomplete_fields = ["incident"]

    class Media:
        js = ["admin/js/jquery.init.js", "reporting/admin/disclosure.js"]

    def get_urls(self):
        return [path("obligations/", self.admin_site.admin_view(self.obligations_view),
                     name="reporting_disclosuredecision_obligations"), *super().get_urls()]

    def obligations_view(self, request):
        """The obligation choices of one incident, for the form's obligation list when the incident changes."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        incident = request.GET.get("incident", "").strip()
        if not incident:
            return JsonResponse({"results": []})  # no incident chosen yet
        if record_key(incident) is None:
            return JsonResponse({"error": "incident: the number of an incident is required."}, status=400)
        return JsonResponse({"results": [{"id": o.pk, "text": obligation_choice(o)}
                                         for o in incident_obligations(record_key(incident))[:500]]})

    def get_changeform_initial_data(self, request):
        """The incident and obligation a link named (`?incident=12&obligation=40`); a value that is no record's
        number is left out rather than shown to the widgets."""
        initial = super().get_changeform_initial_data(request)
        return {name: value for name, value in initial.items()
                if name not in ("incident", "obligation") or record_key(value) is not None}

    def get_queryset(self, request):
        # The confirmation pages of the actions show each decision's incident and who decided.
        return super().get_queryset(request).select_related("incident", "decided_by")

    def get_fields(self, request, obj=None):
        fields = list(FIELDS)  # less the confidential ones the user is not cleared for (ConfidentialFieldsAdmin)
        if obj is None:
            return fields
        return [*fields, *RECORD, "version"] if self.has_change_permission(request, obj) else [*fields, *RECORD]

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": self.get_fields(request, obj)})]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status == DisclosureDecision.Status.APPROVED:
            return [f for f in self.get_fields(request, obj) if f != "version"]
        return ["incident", *RECORD]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status == DisclosureDecision.Status.APPROVED:
            return False  # final: a change of course is a new decision
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def object_action_applies(self, request, obj, name):
        if name == "issue_record":
            return obj.status == DisclosureDecision.Status.APPROVED
        return obj.status == DisclosureDecision.Status.PROPOSED  # approve or return what awaits legal

    def object_links(self, request, obj):
        return latest_document_link(obj.documents.all())

    def has_approve_permission(self, request):
        return request.user.has_perm("reporting.approve_disclosuredecision")

    def has_issue_permission(self, request):
        return request.user.has_perm("reporting.add_document")

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in FIELDS if name in form.cleaned_data}
        if change:
            fresh = DisclosureDecision.objects.get(pk=obj.pk)
            values.pop("incident", None)
            changes = {k: v for k, v in values.items() if getattr(fresh, k) != v}
            saved = call(services.disclosure_update, actor=request.user, decision=fresh,
                         expected_version=form.cleaned_data.get("version"), changes=changes)
        else:
            saved = call(services.disclosure_record, actor=request.user, **values)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        pass

    @admin.action(description="Approve the selected decisions (legal reviewer)", permissions=["approve"])
    def approve(self, request, queryset):
        form, response = intermediate(self, request, queryset, action="approve", title="Approve disclosure decisions",
                                      form_class=OptionalNoteForm, submit="Approve", describe=decision_shown,
                                      intro="You approve each decision as shown below, as the second person; you "
                                            "cannot approve a decision you made yourself.")
        if response is not None:
            return response
        run_for_each(self, request, queryset, "Approved", lambda d, version: services.disclosure_approve(
            actor=request.user, decision=d, note=form.cleaned_data["note"], expected_version=version))
        return None

    @admin.action(description="Return the selected decisions to compliance (legal reviewer)",
                  permissions=["approve"])
    def return_to_compliance(self, request, queryset):
        form, response = intermediate(self, request, queryset, action="return_to_compliance",
                                      title="Return disclosure decisions", form_class=NoteForm, submit="Return",
                                      describe=decision_shown,
                                      intro="You return each decision as shown below to compliance, with your note.")
        if response is not None:
            return response
        run_for_each(self, request, queryset, "Returned", lambda d, version: services.disclosure_return(
            actor=request.user, decision=d, note=form.cleaned_data["note"], expected_version=version))
        return None

    @admin.action(description="Issue the decision record PDF for the selected (approved) decisions",
                  permissions=["issue"])
    def issue_record(self, request, queryset):
        form, response = intermediate(self, request, queryset, action="issue_record",
                                      title="Issue disclosure-decision records", submit="Issue",
                                      form_class=issue_reason_form(DocumentKind.DISCLOSURE_DECISION,
                                                                   [f"disclosure:{d.pk}" for d in queryset]),
                                      describe=record_shown)
        if response is not None:
            return response
        return start_jobs_for_each(
            self, request, queryset, "Record issued", lambda d, version: document_issue_start(
                actor=request.user, kind=DocumentKind.DISCLOSURE_DECISION, record=d,
                correction_reason=form.cleaned_data["reason"], expected_version=version))

