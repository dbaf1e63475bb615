"""The incident admin: the register responders and compliance officers drive incidents through.

Adding calls `services.incident_open`; a change calls `services.incident_update` with the version the form was
loaded at (a stale form is refused, naming who changed the incident and when), then saves the inline records
through the response services, then moves the incident through the lifecycle (`services.incident_transition`)
or adds a note to its timeline. Any refusal rolls the whole submission back and comes back as a form error.
Incidents are never deleted.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone

from incidents import blast, selectors, services, sla
from incidents.admin.display import duration, sla_label
from incidents.admin.inlines import (
    INLINES,
    ChecklistInline,
    RecoveryValidationInline,
    ReviewInline,
    phases_reached,
    reached,
)
from incidents.admin.widgets import KnownAutocompleteSelect, KnownAutocompleteSelectMultiple, hand_known_choices
from incidents.forms import LIFECYCLE_FIELDS, IncidentForm, allowed_next_states
from incidents.lifecycle import Status
from incidents.metrics import incident_metrics
from incidents.models import Incident, TimelineEvent
from incidents.sla import SlaState
from inventory.models import AISystem
from portal.core.admin import ServiceModelAdmin, ServiceRefused, adopt, changed_values, form_values
from portal.core.admin_lists import LargeListAdmin
from portal.core.audit import Source

_NOTICES = "_incident_admin_notices"

IDENTITY = ["title", "summary", "track", "incident_class", "intent", "severity", "detection_source",
            "source_reference", "commander", "systems", "components", "atlas_techniques", "owasp_risks"]
BLAST = ["users_affected", "decisions_affected", "transactions_affected", "exposure_started_at", "exposure_ended_at",
         "scope", "personal_data_involved", "data_subjects_affected", "jurisdictions", "harms", "deaths",
         "serious_injuries", "financial_loss", "financial_loss_currency"]
RESPONSIBILITY = ["responsible_parties", "responsibility_notes", "complete_inference_logs"]
STAMPED = ["acknowledged_at", "contained_at", "recovered_at", "closed_at"]
EARLY_STATUSES = ("detected", "triaged")

ADD_FIELDSETS = [
    ("Identity and classification", {"fields": IDENTITY}),
    ("Timestamps", {"fields": ["detected_at", "aware_at", "occurred_at"]}),
    ("BLAST scope", {"fields": BLAST, "classes": ["collapse"]}),
    ("Responsibility and evidence readiness", {"fields": RESPONSIBILITY, "classes": ["collapse"]}),
]

METRICS = [
    ("mttd", "MTTD", "time to detect, occurred to detected"),
    ("mtta", "MTTA", "time to acknowledge, detected to acknowledged"),
    ("mttc", "MTTC", "time to contain, detected to contained"),
    ("mttr", "MTTR", "time to recover, detected to recovered"),
]


class SlaStateFilter(admin.SimpleListFilter):
    """Filters on the `sla_state` the selector computes in the database."""

    title = "SLA state"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [(state.value, state.label)
                for state in (SlaState.BREACHED, SlaState.DUE_SOON, SlaState.ON_TRACK, SlaState.MET)]

    def queryset(self, request, queryset):
        return queryset.filter(sla_state=self.value()) if self.value() else queryset


class AffectedSystemFilter(admin.SimpleListFilter):
    """Incidents affecting an AI system: every system in the inventory is offered (a small table), not only those
    named on an incident (a DISTINCT over the link table per request); the filter is a subquery on the link table,
    so rows are never repeated."""

    title = "affected system"
    parameter_name = "system"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in AISystem.objects.order_by("name", "pk").values_list("pk", "name")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if not self.value().isdigit():
            raise IncorrectLookupParameters(f"No AI system {self.value()!r}.")
        links = Incident.systems.through.objects.filter(aisystem_id=int(self.value()))
        return queryset.filter(pk__in=links.values("incident_id"))


def _call(service_name, /, **kwargs):
    try:
        return getattr(services, service_name)(**kwargs)
    except ValidationError as exc:
        raise ServiceRefused(exc) from exc


def _in_context(error: ValidationError, what: str) -> ValidationError:
    """The refusal of an inline row's service, each message saying which records it is about."""
    if hasattr(error, "error_dict"):
        return ValidationError([
            f"{what}, {field.replace('_', ' ')}: {message}" if field != "__all__" else f"{what}: {message}"
            for field, errors in error.error_dict.items() for e in errors for message in e.messages
        ])
    return ValidationError([f"{what}: {message}" for message in error.messages])


def blast_fields(obj) -> list[str]:
    """The BLAST fieldset of an incident's page: a figure the remediation ledger counts is shown read-only, from the
    ledger (`ledger_<figure>`), in place of its hand-entered field; accounts follow transactions when the ledger
    lists some."""
    from_ledger = {figure.name for figure in blast.blast_figures(obj) if figure.from_ledger}
    fields = []
    for name in BLAST:
        fields.append(f"ledger_{name}" if name in from_ledger else name)
        if name == "transactions_affected" and "accounts_affected" in from_ledger:
            fields.append("ledger_accounts_affected")
    return fields


def _ledger_figure(name, label):
    @admin.display(description=label)
    def show(self, obj):
        figure = blast.blast_figure(obj, name)
        return (figure and blast.figure_text(figure)) or "-"

    return show


def _has_review(incident) -> bool:
    return hasattr(incident, "review")  # the page's incident is read with its review (get_object)


@admin.register(Incident)
class IncidentAdmin(LargeListAdmin, ServiceModelAdmin):
    form = IncidentForm
    actions = []
    list_display = ["reference", "title", "severity", "status", "sla", "incident_class", "affected_systems",
                    "commander", "detected_at"]
    list_display_links = ["reference", "title"]
    # Fixed choices only (no DISTINCT over the incidents per request); each filter and sortable column has an
    # index that also serves the default order (incidents.models.Incident.Meta.indexes).
    list_filter = ["severity", "status", SlaStateFilter, "incident_class", "track", AffectedSystemFilter,
                   "detection_source", ("detected_at", admin.DateFieldListFilter)]
    sortable_by = ["reference", "severity", "status", "sla", "incident_class", "detected_at"]
    ordering_ties = ["-detected_at", "-id"]
    list_per_page = 50
    search_fields = ["reference", "title"]
    autocomplete_fields = ["commander", "systems", "components", "atlas_techniques", "owasp_risks", "jurisdictions"]
    readonly_fields = ["reference", "status", "sla_targets", "metrics", "systems_readiness", "timeline",
                       "created_at", "updated_at"]
    inlines = INLINES

    # --- pages ------------------------------------------------------------------------------------------

    def get_queryset(self, request):
        return selectors.incident_list()

    def get_object(self, request, object_id, from_field=None):
        """The incident with everything its change page shows, in a constant number of queries."""
        queryset = self.get_queryset(request).select_related("review").prefetch_related(
            "components", "atlas_techniques", "owasp_risks", "jurisdictions",
            Prefetch("timeline", queryset=TimelineEvent.objects.select_related("actor").order_by("at", "id")),
        )
        field = Incident._meta.pk if from_field is None else Incident._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (Incident.DoesNotExist, ValidationError, ValueError):
            return None

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += [name for name in blast_fields(obj) if name.startswith("ledger_")]
        return readonly

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ADD_FIELDSETS
        identity = ["reference", "status", *IDENTITY]
        lifecycle = []
        if self.has_change_permission(request, obj):
            identity.append("version")
            lifecycle = [("Lifecycle", {"fields": ["move_to", "note"],
                                        "description": f"{allowed_next_states(obj.status).capitalize()}. The "
                                                       "checklist, recovery validation and review sections of later "
                                                       "phases appear when the incident reaches them."})]
        return [
            ("Identity and classification", {"fields": identity}),
            *lifecycle,
            ("Timestamps", {"fields": ["occurred_at", "detected_at", "aware_at"]}),
            # Stamped by the lifecycle when the incident moves; open to correct one.
            ("Lifecycle times", {"fields": STAMPED, "classes": ["collapse"],
                                 "description": "Set when the incident moves; change one only to correct it."}),
            ("SLA and response times", {"fields": ["sla_targets", "metrics"]}),
            ("BLAST scope", {"fields": blast_fields(obj)}),
            # The investigation's questions: folded away while the incident is being triaged and contained.
            ("Responsibility and evidence readiness", {
                "fields": [*RESPONSIBILITY, "systems_readiness"],
                "classes": ["collapse"] if obj.status in EARLY_STATUSES else []}),
            ("Timeline", {"fields": ["timeline"]}),
            ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
        ]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        """The checklist shows the steps of the phases reached (and any step already done); later steps appear
        when the incident reaches their phase."""
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, ChecklistInline) and obj is not None and obj.pk:
            kwargs["queryset"] = kwargs["queryset"].filter(
                Q(phase__in=phases_reached(obj)) | Q(done_at__isnull=False))
        return kwargs

    def get_inlines(self, request, obj):
        """The sections of the incident's phases reached so far: recovery validation from recovery on, the
        post-incident review from the review on (or wherever rows of theirs were recorded)."""
        if obj is None:
            return []
        shown = []
        for inline in self.inlines:
            if inline is RecoveryValidationInline and not (
                    reached(obj, Status.RECOVERING, Status.REVIEW, Status.CLOSED) or obj.recovery_validations.exists()):
                continue
            if inline is ReviewInline and not (reached(obj, Status.REVIEW, Status.CLOSED) or _has_review(obj)):
                continue
            shown.append(inline)
        return shown

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault("widget", KnownAutocompleteSelect(db_field, self.admin_site))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault("widget", KnownAutocompleteSelectMultiple(db_field, self.admin_site))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        names = self.get_autocomplete_fields(request)

        class LabelledFromPage(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                hand_known_choices(self, names)

        return LabelledFromPage

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        admin_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for admin_formset in admin_formsets:
            formset = admin_formset.formset
            if formset.total_form_count() >= formset.max_num:
                # Full (the one review): no template row for adding another is rendered.
                admin_formset.has_add_permission = False
        return admin_formsets

    def get_changeform_initial_data(self, request):
        return {"detected_at": timezone.now().replace(microsecond=0), **super().get_changeform_initial_data(request)}

    def has_delete_permission(self, request, obj=None):
        return False  # incidents are records: kept, never deleted

    # --- saves ------------------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if not change:
            values = form_values(form)
            if values.get("aware_at") is None:
                values.pop("aware_at", None)  # the service takes the detection time
            adopt(obj, _call("incident_open", actor=request.user, **values))
            return
        # Always called: the version check under the row lock refuses a stale form even with no field changed.
        saved = _call("incident_update", actor=request.user, incident=Incident.objects.get(pk=obj.pk),
                      expected_version=form.cleaned_data["version"],
                      **changed_values(form, exclude=LIFECYCLE_FIELDS))
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        setattr(request, _NOTICES, [])
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        if change:
            self._move_or_note(request, form, obj=form.instance)
        for good, message in getattr(request, _NOTICES):
            self.message_user(request, message, "success" if good else "error")

    def save_formset(self, request, form, formset, change):
        what = formset.model._meta.verbose_name.capitalize()
        try:
            notices = formset.save_through_services(actor=request.user)
        except ValidationError as exc:
            raise ServiceRefused(_in_context(exc, what)) from exc
        getattr(request, _NOTICES, []).extend(notices)

    def _move_or_note(self, request, form, obj):
        target, note = form.cleaned_data.get("move_to"), form.cleaned_data.get("note", "").strip()
        if target:
            current = obj.status
            try:
                services.incident_transition(actor=request.user, incident=obj, to=target, note=note)
            except ValidationError as exc:
                messages = exc.message_dict.get("status", exc.messages) if hasattr(exc, "error_dict") else exc.messages
                text = " ".join(messages)
                if "allowed next states" not in text:
                    text = f"{text} The {allowed_next_states(current)}."
                raise ServiceRefused(ValidationError({"move_to": text})) from exc
        elif note:
            _call("incident_note", actor=request.user, incident=obj, text=note)

    # --- what the pages show ----------------------------------------------------------------------------

    ledger_users_affected = _ledger_figure("users_affected", "Users affected")
    ledger_decisions_affected = _ledger_figure("decisions_affected", "Decisions affected")
    ledger_transactions_affected = _ledger_figure("transactions_affected", "Transactions affected")
    ledger_accounts_affected = _ledger_figure("accounts_affected", "Accounts affected")

    @admin.display(description="SLA", ordering="sla_next_due_at")
    def sla(self, obj):
        return sla_label(obj.sla_state)

    @admin.display(description="affected systems")
    def affected_systems(self, obj):
        return ", ".join(system.name for system in obj.systems.all()) or "-"

    @admin.display(description="SLA targets")
    def sla_targets(self, obj):
        now, share = timezone.now(), settings.INCIDENT_SLA_DUE_SOON_SHARE
        rows = []
        for target in sla.TARGETS:
            due_at, met_at = getattr(obj, sla.DUE_FIELD[target]), getattr(obj, sla.MET_BY[target])
            if due_at is None:
                continue
            state = sla.target_state(due_at=due_at, met_at=met_at, detected_at=obj.detected_at, now=now,
                                     due_soon_share=share)
            rows.append({"label": target.capitalize(), "due_at": due_at, "met_at": met_at, "state": sla_label(state)})
        return render_to_string("incidents/admin/sla_targets.html", {"rows": rows})

    @admin.display(description="response times")
    def metrics(self, obj):
        values = incident_metrics(obj)
        shown = [{"name": name, "help": help_text, "value": duration(values[key])} for key, name, help_text in METRICS]
        return render_to_string("incidents/admin/metrics.html", {"metrics": shown})

    @admin.display(description="affected systems' evidence readiness")
    def systems_readiness(self, obj):
        return render_to_string("incidents/admin/systems_readiness.html", {"systems": obj.systems.all()})

    @admin.display(description="timeline (oldest first)")
    def timeline(self, obj):
        sources = dict(Source.CHOICES)
        events = list(obj.timeline.all())
        for event in events:
            event.source_label = sources.get(event.source, event.source)  # "Admin", not "admin"
        return render_to_string("incidents/admin/timeline.html", {"events": events})
