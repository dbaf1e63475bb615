"""The ledger of affected records in the admin: compliance officers and incident responders work it; legal
reviewers, leadership and the auditor read it (the pseudonymous subject only for those cleared for it,
`portal.core.confidential`, wherever the admin would show, search or filter it).

- The list (`remediation.admin.ledger_list`): filters in the ledger's one filter language, search by external id
  (exact or prefix), pages by next / previous by id and a count that is exact below 10,000 and the planner's
  estimate above ("about N"); "My queue" and "Nobody" on top with their counts.
- Bulk changes (`remediation.admin.ledger_actions`): "Move to <state>…" and "Put in a reviewer's queue…", for
  ticked rows with the versions shown (all or nothing), or for every record the filter matches as seen when the
  page was shown, as a job.
- One record's page is read-only: it changes only through the services, by the moves allowed next as buttons (each
  with its confirmation carrying the version) and "Put in a queue…". The add page creates one record through
  `affected_record_create`. Records are never deleted.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from portal.core import confidential
from portal.core.admin import ServiceModelAdmin, adopt, call
from portal.core.display import moment_text, person
from portal.core.forms import ServiceModelForm
from portal.core.object_actions import ObjectActionsMixin
from portal.core.pagination import EXACT_COUNT_BELOW
from portal.core.widgets import record_key
from remediation import states
from remediation.admin.ledger_actions import ledger_bulk_action, selection_refusal
from remediation.admin.ledger_list import (
    FILTERS,
    PARAMETERS,
    LedgerChangeList,
    RefusedParameter,
    component_label,
    ledger_filter,
    reviewers,
)
from remediation.models import AffectedRecord
from remediation.services import affected_record_create
from remediation.services.moves import WORKERS
from remediation.states import State

ADD_FIELDS = ["incident", "kind", "external_id", "subject_ref", "jurisdiction", "contact_channel", "occurred_at",
              "system", "component", "reviewer", "note"]
RECORD_FIELDS = ["incident", "kind", "external_id", "subject_ref", "jurisdiction", "contact_channel",
                 "occurred_at", "system", "component", "state", "state_changed_at", "state_changed_by", "note",
                 "reviewer", "updated_at", "import_batch", "version"]
QUEUE_COUNT_CAP = EXACT_COUNT_BELOW


def _move_action(to: str):
    def move(model_admin, request, queryset):
        return ledger_bulk_action(model_admin, request, queryset, action="move", to=to)

    move.__name__ = f"move_to_{to}"
    return admin.action(description=f"Move to {states.label(to)}…", permissions=["change"])(move)


@admin.action(description="Put in a reviewer's queue…", permissions=["change"])
def assign_reviewer(model_admin, request, queryset):
    return ledger_bulk_action(model_admin, request, queryset, action="assign")


# Every state a record can be moved to (identified is only where records start).
MOVE_ACTIONS = [_move_action(state) for state in State.values if any(state in n for n in states.MOVES.values())]


class AffectedRecordAddForm(ServiceModelForm):
    class Meta:
        model = AffectedRecord
        fields = ADD_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "reviewer" in self.fields:
            self.fields["reviewer"].queryset = reviewers()
            self.fields["reviewer"].label_from_instance = person
        if "jurisdiction" in self.fields:
            self.fields["jurisdiction"].help_text = "Two letters (ISO 3166-1 alpha-2), e.g. DE."

    def clean_jurisdiction(self):
        return (self.cleaned_data.get("jurisdiction") or "").strip().upper()

    def _post_clean(self):
        """The model's check of a duplicate external id, said on the external id's field."""
        super()._post_clean()
        duplicate = AffectedRecord._meta.constraints[0].violation_error_message
        general = self._errors.get(NON_FIELD_ERRORS)
        if general and duplicate in general:
            general.data = [error for error in general.as_data() if duplicate not in error.messages]
            if not general:
                del self._errors[NON_FIELD_ERRORS]
            self.add_error("external_id", duplicate)


def _bounded_count(queryset) -> str:
    number = queryset.order_by().values("pk")[:QUEUE_COUNT_CAP].count()
    return f"{number:,}+" if number >= QUEUE_COUNT_CAP else f"{number:,}"


@admin.register(AffectedRecord)
class AffectedRecordAdmin(ObjectActionsMixin, ServiceModelAdmin):
    form = AffectedRecordAddForm
    actions = [*MOVE_ACTIONS, assign_reviewer]
    object_actions = {**{action.__name__: action.short_description for action in MOVE_ACTIONS},
                      "assign_reviewer": "Put in a queue…"}
    change_form_template = "remediation/admin/record_change_form.html"
    change_list_template = "remediation/admin/ledger_change_list.html"
    list_display = ["external_id", "kind", "incident_link", "state", "reviewer_name", "jurisdiction",
                    "produced_by", "occurred", "last_change"]
    list_display_links = ["external_id"]
    list_filter = FILTERS
    list_select_related = ["incident", "reviewer", "state_changed_by", "system", "component"]
    list_per_page = 50  # a row costs ~0.5 ms to render in the admin: 50 keep the page well under 150 ms
    list_max_show_all = 0
    sortable_by = ()
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["external_id"]  # exact or prefix, by the ledger's filter (never the confidential subject)
    search_help_text = "The external id, exact or its beginning."
    autocomplete_fields = ["incident", "component"]
    ordering = ["id"]

    class Media:
        css = {"all": ["remediation/admin/ledger.css"]}

    # --- the list -------------------------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return LedgerChangeList

    def response_action(self, request, queryset):
        """A ticked row that is not a record id is refused with a message before Django filters by it."""
        if refusal := selection_refusal(request):
            self.message_user(request, refusal, messages.ERROR)
            return None
        return super().response_action(request, queryset)

    def get_search_results(self, request, queryset, search_term):
        return queryset, False  # the search is the filter's external_id_prefix (remediation.selectors)

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        as_of = timezone.now()  # before the page is read: a change after it is not what the user saw
        try:
            request.ledger_raw_filter, request.ledger_filter = ledger_filter(request.GET, actor=request.user)
        except RefusedParameter as refused:
            return TemplateResponse(request, "remediation/admin/ledger_refused.html", {
                **self.admin_site.each_context(request), "title": "This list cannot be shown", "opts": self.opts,
                "refusal": str(refused), "filters": sorted(PARAMETERS)}, status=400)
        context = {"as_of": as_of.isoformat(), "exact_below": EXACT_COUNT_BELOW,
                   "queues": self.queues(request), **(extra_context or {})}
        return super().changelist_view(request, context)

    def queues(self, request) -> list[dict]:
        """The links on top of the list: my queue and the records nobody reviews, with their counts (exact up to
        10,000), for those who work the ledger."""
        if not set(WORKERS) & confidential.reader_roles(request.user):
            return []
        url = reverse("admin:remediation_affectedrecord_changelist")
        chosen = request.GET.get("reviewer", "")
        return [
            {"label": "My queue", "url": f"{url}?reviewer=me", "selected": chosen in ("me", str(request.user.pk)),
             "count": _bounded_count(AffectedRecord.objects.filter(reviewer=request.user))},
            {"label": "Nobody's", "url": f"{url}?reviewer=none", "selected": chosen == "none",
             "count": _bounded_count(AffectedRecord.objects.filter(reviewer__isnull=True))},
        ]

    @admin.display(description="incident")
    def incident_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:incidents_incident_change", args=[obj.incident_id]),
                           obj.incident.reference)

    @admin.display(description="reviewer")
    def reviewer_name(self, obj):
        return person(obj.reviewer) if obj.reviewer_id else "-"

    @admin.display(description="system / component version")
    def produced_by(self, obj):
        parts = [obj.system.name if obj.system_id else "",
                 component_label(obj.component.name, obj.component.version) if obj.component_id else ""]
        return " / ".join(p for p in parts if p) or "-"

    @admin.display(description="when")
    def occurred(self, obj):
        return moment_text(obj.occurred_at) or "-"

    @admin.display(description="last change")
    def last_change(self, obj):
        return format_html("{}<br><span class=\"quiet\">state by {}</span>",
                           moment_text(obj.updated_at or obj.state_changed_at), person(obj.state_changed_by))

    # --- one record -----------------------------------------------------------------------------------------

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_fields(self, request, obj=None):
        return list(ADD_FIELDS if obj is None else RECORD_FIELDS)

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": self.get_fields(request, obj)})]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else list(RECORD_FIELDS)

    def has_change_permission(self, request, obj=None):
        # A record's page is read-only: its changes are the moves and queues (the actions), never a form's save.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def object_action_applies(self, request, obj, name):
        if name.startswith("move_to_"):
            return name.removeprefix("move_to_") in states.allowed(obj.state)
        return True

    def get_changeform_initial_data(self, request):
        """The incident a link named (`?incident=12`, the incident page's "add a record"), if it is a number."""
        initial = super().get_changeform_initial_data(request)
        return {name: value for name, value in initial.items()
                if name in ADD_FIELDS and (name not in ("incident", "system", "component", "reviewer")
                                           or record_key(value) is not None)}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "note" and field is not None:
            field.widget = forms.Textarea(attrs={"rows": 3, "cols": 60})
        return field

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in ADD_FIELDS if name in form.cleaned_data}
        incident = values.pop("incident")
        values = {name: value for name, value in values.items() if value not in (None, "")}
        saved = call(affected_record_create, actor=request.user, incident=incident, **values)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        pass

    def response_add(self, request, obj, post_url_continue=None):
        """After adding, the new record's page (where its moves are)."""
        if "_addanother" in request.POST or "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, format_html("Added {} to the ledger of {}.", obj.external_id,
                                               obj.incident.reference))
        return HttpResponseRedirect(reverse("admin:remediation_affectedrecord_change", args=[obj.pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["moves_next"] = ", ".join(states.label(s) for s in states.allowed(obj.state)) or "none (final)"
            context["record_version"] = obj.version
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)
