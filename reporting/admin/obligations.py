"""Obligations in the admin: the deadline board, and the obligation page where a compliance officer records a
submission (time, authority reference), a not-applicable decision (rationale) or a reopening, enters the
notification content the incident record does not hold, and issues the notification PDF."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from portal.core.admin import ConfidentialFieldsAdmin, ServiceModelAdmin
from portal.core.admin_lists import LargeListAdmin
from portal.core.display import moment_text
from portal.core.forms import ServiceModelForm
from portal.core.object_actions import ObjectActionsMixin, ObjectButton
from reporting import selectors, services
from reporting.admin.base import (
    call,
    intermediate,
    issue_reason_form,
    latest_document_link,
    run_for_each,
    start_jobs_for_each,
    when,
)
from reporting.clock import load_regimes
from reporting.models import DeadlineBoardEntry, DocumentKind, Obligation
from reporting.profile import organisation_profile
from reporting.services.documents import (
    PLACEHOLDER_WARNING,
    VERIFICATION_LABELS,
    obligation_authority,
    placeholder_refusal,
)
from reporting.tasks import document_issue_start
from reporting.wording import code_words, label_words

COMPUTED = ["incident_link", "regime_title", "provision", "stage_title", "recipient", "competent_authority",
            "jurisdiction", "rule",
            "clock_starts_with", "clock_starts_at", "due_at", "time_left", "rule_checked", "uncertain_text", "note",
            "source", "depends_on", "reference_data_version"]
RECORDED = ["status", "submitted_at", "submitted_by", "authority_reference", "rationale", "no_longer_applies",
            "documents_issued"]


class DueFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("24h", "Due within 24 hours"), ("later", "Due later"),
                ("none", "No fixed deadline")]

    def queryset(self, request, queryset):
        now = timezone.now()
        return {
            "overdue": lambda: queryset.filter(selectors.overdue_q(now)),
            "24h": lambda: queryset.filter(selectors.due_within_q(now, 24)),
            "later": lambda: queryset.filter(due_at__gt=now + timedelta(hours=24)),
            "none": lambda: queryset.filter(due_at__isnull=True),
        }.get(self.value(), lambda: queryset)()


class RegimeFilter(admin.SimpleListFilter):
    """The regimes of the regulatory clock's list (fixed choices, not a DISTINCT over the obligations); filters on
    the regime code, which the obligation list's index serves in its order."""

    title = "regime"
    parameter_name = "regime"

    def lookups(self, request, model_admin):
        return sorted(((regime.code, regime.name) for regime in load_regimes()), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        return queryset.filter(regime=self.value()) if self.value() else queryset


def time_left(obligation, now=None) -> str:
    if obligation.due_at is None:
        return "no fixed deadline"
    now = now or timezone.now()
    delta = obligation.due_at - now
    hours = abs(delta).total_seconds() / 3600
    text = f"{hours:.0f} h" if hours < 72 else f"{hours / 24:.0f} d"
    return f"overdue by {text}" if delta.total_seconds() < 0 else f"in {text}"


class ObligationForm(ServiceModelForm):
    """The notification content a compliance officer enters; recording a submission, a not-applicable decision or a
    reopening are the page's buttons (actions with their own confirmation page)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Obligation
        exclude = ["version"]  # not editable: the form's own hidden field carries it to the check
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        for item in self.instance.content_items:
            name = f"content__{item['key']}"
            if name in self.fields:
                self.fields[name].initial = self.instance.content.get(item["key"], "")


class SubmitForm(forms.Form):
    submitted_at = forms.DateTimeField(required=False, label="Submitted at")
    authority_reference = forms.CharField(required=False, max_length=200, label="Authority's reference",
                                          help_text="The case or receipt number the authority gave, if any.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()  # the form reads a typed time in the portal's zone
        self.fields["submitted_at"].help_text = (f"When it was submitted to the authority, in {zone} "
                                                 "(e.g. 2026-12-07 14:30); empty: now.")

    def clean_submitted_at(self):
        moment = self.cleaned_data["submitted_at"]
        if moment is not None and moment > timezone.now():
            raise forms.ValidationError("The submission time cannot be in the future.")
        return moment


class NotApplicableForm(forms.Form):
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), label="Why it does not apply",
                                help_text="Kept for audit, and shown to whoever reviews the decision.")


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), label="Why it is reopened",
                             help_text="The submission or decision recorded by mistake stays in the history.")


def _entered_items(obligation):
    return [item for item in (obligation.content_items if obligation else []) if item.get("source") == "entered"]


def obligation_shown(obligation) -> list[tuple[str, str]]:
    """What an obligation's confirmation page shows: the incident, regime, stage, due time and status."""
    incident = obligation.incident
    status = obligation.get_status_display()
    if obligation.status == Obligation.Status.SUBMITTED:
        status += f" {when(obligation.submitted_at)}" + (
            f", reference {obligation.authority_reference}" if obligation.authority_reference else "")
    return [
        ("Incident", f"{incident.reference}: {incident.title}"),
        ("Regime", f"{obligation.regime_name} ({obligation.provision})"),
        ("Stage", obligation.stage_name + (f" ({obligation.jurisdiction})" if obligation.jurisdiction else "")),
        ("Recipient", obligation.recipient),
        ("Due", when(obligation.due_at) if obligation.due_at else "no fixed deadline"),
        ("Status", status),
    ]


def notification_shown(obligation) -> list[tuple[str, str]]:
    """What issuing the notification PDF issues, from which version of the obligation."""
    next_version = selectors.document_next_version(DocumentKind.REGULATORY_NOTIFICATION, f"obligation:{obligation.pk}")
    profile = organisation_profile()
    authority = obligation_authority(obligation)
    return [("Will issue", f"Regulatory notification v{next_version}, rendered from version {obligation.version} "
                           "of the obligation and the incident's current facts"
                           + (" (supersedes the earlier versions)" if next_version > 1 else "")),
            ("Notifying organisation", profile.name + (" (example organisation: not for submission)"
                                                       if profile.is_placeholder else "")),
            *([("Competent supervisory authority", authority.text)] if authority else []),
            *obligation_shown(obligation)]


class ObligationNames:
    """The regime and stage by their names (the model's `regime` and `stage` are codes), for the obligation's
    page, its list and the deadline board."""

    @admin.display(description="regime")
    def regime_title(self, obj):
        return obj.regime_name

    @admin.display(description="stage")
    def stage_title(self, obj):
        return obj.stage_name


UNCERTAIN_TITLE = "The rule's interpretation or application is uncertain: confirm the deadline with counsel."


@admin.display(description="Warning")
def uncertain_flag(obj):
    """An uncertain rule as a warning a reader notices, not a tick that reads as "fine"."""
    if not obj.uncertain:
        return ""
    return format_html('<span class="flag-warning" title="{}">&#9888; Uncertain rule</span>', UNCERTAIN_TITLE)


class IssueNotificationMixin:
    @admin.action(description="Issue the notification PDF for the selected obligations", permissions=["issue"])
    def issue_notification(self, request, queryset):
        try:
            placeholder_refusal(DocumentKind.REGULATORY_NOTIFICATION)  # production: refused before anything starts
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return None
        form, response = intermediate(
            self, request, queryset.select_related("incident"), action="issue_notification",
            title="Issue regulatory notifications", submit="Issue",
            form_class=issue_reason_form(DocumentKind.REGULATORY_NOTIFICATION,
                                         [f"obligation:{o.pk}" for o in queryset]),
            describe=notification_shown,
            intro="A PDF is rendered for each obligation from its current facts and content. Where a version was "
                  "issued before, the new one supersedes it and needs the reason.")
        if response is not None:
            return response
        if settings.DEBUG and organisation_profile().is_placeholder:
            self.message_user(request, PLACEHOLDER_WARNING, messages.WARNING)
        return start_jobs_for_each(
            self, request, queryset, "Notification issued", lambda o, version: document_issue_start(
                actor=request.user, kind=DocumentKind.REGULATORY_NOTIFICATION, record=o,
                correction_reason=form.cleaned_data["reason"], expected_version=version))

    def has_issue_permission(self, request):
        return request.user.has_perm("reporting.add_document")


@admin.register(Obligation)
class ObligationAdmin(ObjectActionsMixin, ObligationNames, IssueNotificationMixin, LargeListAdmin, ServiceModelAdmin):
    form = ObligationForm
    actions = ["issue_notification", "mark_submitted", "mark_not_applicable", "reopen"]
    object_actions = {"issue_notification": "Issue the notification PDF", "mark_submitted": "Mark submitted",
                      "mark_not_applicable": "Mark not applicable", "reopen": "Reopen"}
    primary_object_action = "issue_notification"
    list_display = ["incident", "regime_title", "stage_title", "jurisdiction", "due_at", "status", uncertain_flag]
    list_filter = ["status", DueFilter, RegimeFilter, "uncertain"]
    sortable_by = ["due_at"]  # the order the list's index serves (reporting.models.Obligation.Meta.indexes)
    ordering_ties = ["due_at", "incident_id", "key"]
    search_fields = ["incident__reference", "regime_name", "stage_name", "authority_reference"]
    list_select_related = ["incident"]
    readonly_fields = [*COMPUTED, *RECORDED]

    def get_queryset(self, request):
        return selectors.obligation_list().prefetch_related("documents")

    def get_form(self, request, obj=None, change=False, **kwargs):
        extra = {
            f"content__{item['key']}": forms.CharField(
                required=False, widget=forms.Textarea(attrs={"rows": 2}),
                label=item.get("label", item["key"]), help_text=item.get("provision", ""))
            for item in _entered_items(obj)
        }
        kwargs["form"] = type("ObligationForm", (self.form,), extra)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            ("What is owed", {"fields": COMPUTED}),
            ("What was done", {"fields": RECORDED}),
        ]
        if obj is not None and self.has_change_permission(request, obj):
            entered = [f"content__{item['key']}" for item in _entered_items(obj)]
            if entered:
                fieldsets.append(("Notification content to enter", {
                    "fields": entered,
                    "description": "The items this notification must contain that the incident record does not "
                                   "hold. The rest is taken from the incident when the PDF is issued."}))
            fieldsets.append((None, {"fields": ["version"]}))
        return fieldsets

    def has_add_permission(self, request):
        return False  # obligations come from the regulatory clock

    def has_delete_permission(self, request, obj=None):
        return False

    def object_action_applies(self, request, obj, name):
        if name == "reopen":
            return obj.status != Obligation.Status.OPEN
        if name == "issue_notification":
            return obj.status != Obligation.Status.NOT_APPLICABLE
        return obj.status == Obligation.Status.OPEN

    def object_links(self, request, obj):
        links = latest_document_link(obj.documents.all())
        if request.user.has_perm("reporting.add_disclosuredecision"):
            add = reverse("admin:reporting_disclosuredecision_add")
            links.append(ObjectButton(label="Record a disclosure decision", post=False,
                                      url=f"{add}?incident={obj.incident_id}&obligation={obj.pk}"))
        return links

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and not _entered_items(obj):  # nothing to enter: the buttons are the page's actions
            extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False,
                             "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Mark the selected obligations submitted to the authority", permissions=["change"])
    def mark_submitted(self, request, queryset):
        form, response = intermediate(
            self, request, queryset.select_related("incident"), action="mark_submitted",
            title="Record submissions to the authority", form_class=SubmitForm, submit="Mark submitted",
            describe=obligation_shown, intro="Records that each obligation below was met: when it was submitted "
                                             "and the authority's reference. Chained stages then get their due times.")
        if response is not None:
            return response
        run_for_each(self, request, queryset, "Marked submitted", lambda o, version: services.obligation_submit(
            actor=request.user, obligation=o, expected_version=version,
            submitted_at=form.cleaned_data["submitted_at"],
            authority_reference=form.cleaned_data["authority_reference"].strip()))
        return None

    @admin.action(description="Mark the selected obligations not applicable", permissions=["change"])
    def mark_not_applicable(self, request, queryset):
        form, response = intermediate(
            self, request, queryset.select_related("incident"), action="mark_not_applicable",
            title="Mark obligations not applicable", form_class=NotApplicableForm, submit="Mark not applicable",
            describe=obligation_shown, intro="Records your decision that each obligation below does not apply, "
                                             "with the rationale.")
        if response is not None:
            return response
        run_for_each(self, request, queryset, "Marked not applicable",
                     lambda o, version: services.obligation_mark_not_applicable(
                         actor=request.user, obligation=o, expected_version=version,
                         rationale=form.cleaned_data["rationale"]))
        return None

    @admin.action(description="Reopen the selected obligations (undo a submission or decision recorded by mistake)",
                  permissions=["change"])
    def reopen(self, request, queryset):
        form, response = intermediate(
            self, request, queryset.select_related("incident"), action="reopen", title="Reopen obligations",
            form_class=ReopenForm, submit="Reopen", describe=obligation_shown,
            intro="Undoes the submission or not-applicable decision recorded on each obligation below.")
        if response is not None:
            return response
        run_for_each(self, request, queryset, "Reopened", lambda o, version: services.obligation_reopen(
            actor=request.user, obligation=o, expected_version=version, reason=form.cleaned_data["reason"]))
        return None

    def save_model(self, request, obj, form, change):
        data, version = form.cleaned_data, form.cleaned_data["version"]
        fresh = Obligation.objects.get(pk=obj.pk)
        content = {item["key"]: data.get(f"content__{item['key']}", "") for item in _entered_items(fresh)}
        if any((fresh.content.get(k) or "") != (v or "").strip() for k, v in content.items()):
            call(services.obligation_content_update, actor=request.user, obligation=fresh, content=content,
                 expected_version=version)

    def save_related(self, request, form, formsets, change):
        pass

    @admin.display(description="incident")
    def incident_link(self, obj):
        url = reverse("admin:incidents_incident_change", args=[obj.incident_id])
        return format_html('<a href="{}">{}</a> {}', url, obj.incident.reference, obj.incident.title)

    @admin.display(description="time left")
    def time_left(self, obj):
        return time_left(obj) if obj.status == Obligation.Status.OPEN else "-"

    @admin.display(description="the clock starts with")
    def clock_starts_with(self, obj):
        """The incident's fact that starts the clock, by its label ("Aware at"), not its field name."""
        if not obj.clock_start_event:
            return "-"
        return code_words().get(obj.clock_start_event, label_words(obj.clock_start_event))

    @admin.display(description="how the rule was checked")
    def rule_checked(self, obj):
        return VERIFICATION_LABELS.get(obj.verification, obj.verification or "-")

    @admin.display(description="uncertain rule")
    def uncertain_text(self, obj):
        return uncertain_flag(obj) or "No: the rule is settled."

    @admin.display(description="competent supervisory authority")
    def competent_authority(self, obj):
        authority = obligation_authority(obj)
        return authority.text if authority else "-"

    @admin.display(description="documents issued")
    def documents_issued(self, obj):
        documents = list(obj.documents.all())
        if not documents:
            return "none yet"
        return format_html_join("\n", '<div><a href="{}">{} v{}</a> ({})</div>', (
            (reverse("admin:reporting_document_download", args=[d.pk]), d.title, d.version, moment_text(d.issued_at))
            for d in sorted(documents, key=lambda d: -d.version)))


@admin.register(DeadlineBoardEntry)
class DeadlineBoardAdmin(ObligationNames, IssueNotificationMixin, LargeListAdmin, ConfidentialFieldsAdmin,
                         SimpleHistoryAdmin):
    """Open obligations across incidents, soonest first; overdue and due-within-24-hours filters."""

    actions = ["issue_notification"]
    list_display = ["due", "time_left_display", "incident_link", "regime_title", "stage_title", "jurisdiction",
                    "recipient", "rule", uncertain_flag]
    list_display_links = ["due"]
    list_filter = [DueFilter, RegimeFilter, "uncertain"]
    sortable_by = ["due"]
    search_fields = ["incident__reference", "regime_name", "stage_name"]
    ordering = [F("due_at").asc(nulls_last=True), "incident__reference", "key"]
    list_per_page = 100

    def get_queryset(self, request):
        return selectors.deadline_board(queryset=DeadlineBoardEntry.objects.all())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "Deadline board: open regulatory obligations"}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from django.shortcuts import redirect

        return redirect("admin:reporting_obligation_change", object_id)

    # The board is a view of the obligations: their history lives on the obligation's pages (a proxy model has no
    # history table of its own, so simple-history's views would fail here).
    def history_view(self, request, object_id, extra_context=None):
        from django.shortcuts import redirect

        return redirect("admin:reporting_obligation_history", object_id)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        from django.shortcuts import redirect

        return redirect("admin:reporting_obligation_simple_history", object_id, version_id)

    @admin.display(description="due", ordering="due_at")
    def due(self, obj):
        return moment_text(obj.due_at) if obj.due_at else "no fixed deadline"

    @admin.display(description="time left")
    def time_left_display(self, obj):
        text = time_left(obj)
        colour = {0: "#ba2121", 1: "#c46b00"}.get(obj.urgency)
        return format_html('<strong style="color:{}">{}</strong>', colour, text) if colour else text

    @admin.display(description="incident", ordering="incident__reference")
    def incident_link(self, obj):
        url = reverse("admin:incidents_incident_change", args=[obj.incident_id])
        return format_html('<a href="{}">{}</a>', url, obj.incident.reference)
