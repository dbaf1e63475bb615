"""The ledger's list in the admin: its filters in the ledger's one filter language, a count that is exact only when
small, and pages by next / previous (keyset by id), so a page of a million-row ledger costs what the first page
costs.

- **Filters**: each sidebar filter is a query-string parameter that stands for one key of `remediation.selectors`
  (`?incident__id__exact=12&state__exact=identified&reviewer=me`): the list, the bulk changes of "every record
  matching the filter" and the job that runs them read the same filter (`ledger_filter`). A parameter that is not
  one of them, or a bad value, is refused naming it (400); nothing else (no field lookup of Django's, no ordering, no
  page number, no facets) reaches the query.
- **Search** is by external id, exact or as a prefix (`external_id_prefix`), never by the confidential subject.
- **Count**: below `EXACT_COUNT_BELOW` matching rows the number is exact; above it, the planner's estimate for that
  filter (PostgreSQL's EXPLAIN, from its statistics), shown as "about N". On PostgreSQL the count is always the same
  two queries (a count that stops at the threshold, and the estimate); on SQLite, which has no estimate, an exact
  count.
- **Pages** are read by id: `?after=<id>` (the next page: ids above it) and `?before=<id>` (the previous one), one
  query of `per page + 1` rows that the indexes (incident, state, id), (reviewer, state, id), (state, id) ... serve
  as a range read, whatever the depth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.views.main import ERROR_FLAG, IS_POPUP_VAR, SEARCH_VAR, TO_FIELD_VAR
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Exists, OuterRef, Q

from incidents.models import Incident
from inventory.models import AISystem, Component
from portal.core import confidential
from portal.core.admin import BoundedChangeList
from portal.core.admin_lists import cached_choices
from portal.core.display import moment_text, person
from portal.core.pagination import EXACT_COUNT_BELOW
from remediation import selectors
from remediation.models import AffectedRecord, AffectedRecordImport, ContactChannel, Kind
from remediation.services.moves import WORKERS
from remediation.states import State

AFTER, BEFORE = "after", "before"
CHOICES_SHOWN = 100  # incidents, components and imports offered in the sidebar (the selected one always)
RECENT_RECORDS = 1_000  # the newest records whose incidents the incident filter offers


# --- the filters -----------------------------------------------------------------------------------------------

class LedgerFilter(admin.SimpleListFilter):
    """A sidebar filter standing for one key of the ledger's filter language. It only offers the choices: the list
    is filtered once, by `remediation.selectors`, with every key together (`LedgerChangeList.get_queryset`)."""

    key = ""

    def queryset(self, request, queryset):
        return queryset


class IncidentFilter(LedgerFilter):
    title, parameter_name, key = "incident", "incident__id__exact", "incident"

    def lookups(self, request, model_admin):
        # The incidents of the newest imports and of the newest records (small reads of an index), and the one
        # selected (the incident page's link): never a DISTINCT over the whole ledger.
        imported = AffectedRecordImport.objects.order_by("-created_at").values("incident_id")[:CHOICES_SHOWN]
        recent = AffectedRecord.objects.order_by("-pk").values("incident_id")[:RECENT_RECORDS]
        chosen = _id(self.value()) or 0
        rows = Incident.objects.filter(Q(pk__in=imported) | Q(pk__in=recent) | Q(pk=chosen))
        return [(str(pk), reference) for pk, reference in rows.order_by("-pk").values_list("pk", "reference")]


class StateFilter(LedgerFilter):
    title, parameter_name, key = "state", "state__exact", "state"

    def lookups(self, request, model_admin):
        return State.choices


class KindFilter(LedgerFilter):
    title, parameter_name, key = "kind", "kind__exact", "kind"

    def lookups(self, request, model_admin):
        return Kind.choices


class JurisdictionFilter(LedgerFilter):
    """Jurisdictions of the inventory's reference list (a small table), by code."""

    title, parameter_name, key = "jurisdiction", "jurisdiction__exact", "jurisdiction"

    def lookups(self, request, model_admin):
        from inventory.models import Jurisdiction

        return [(code, f"{code} ({name})") for code, name in
                Jurisdiction.objects.order_by("code").values_list("code", "name") if len(code) == 2]


class ContactChannelFilter(LedgerFilter):
    title, parameter_name, key = "contact channel", "contact_channel__exact", "contact_channel"

    def lookups(self, request, model_admin):
        return ContactChannel.choices


class SystemFilter(LedgerFilter):
    title, parameter_name, key = "AI system", "system__id__exact", "system"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in AISystem.objects.order_by("name", "pk").values_list("pk", "name")]


def component_label(name, version) -> str:
    return f"{name} {version}".strip()


class ComponentFilter(LedgerFilter):
    """The component versions that produced records (cached for a few minutes: a probe per component), and the one
    selected."""

    title, parameter_name, key = "component (system version)", "component__id__exact", "component"

    def lookups(self, request, model_admin):
        def used():
            rows = (Component.objects.filter(Exists(AffectedRecord.objects.filter(component=OuterRef("pk"))))
                    .order_by("name", "version", "pk").values_list("pk", "name", "version")[:CHOICES_SHOWN])
            return [(str(pk), component_label(name, version)) for pk, name, version in rows]

        choices = cached_choices("remediation:ledger-components", used)
        chosen = _id(self.value())
        if chosen and str(chosen) not in {value for value, _ in choices}:
            choices = [*choices, *[(str(pk), component_label(name, version)) for pk, name, version in
                                   Component.objects.filter(pk=chosen).values_list("pk", "name", "version")]]
        return choices


def reviewers():
    """The users who may review: active compliance officers and incident responders (and superusers)."""
    from django.db.models import Q

    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(groups__name__in=WORKERS) | Q(is_superuser=True)).distinct().order_by("username"))


class ReviewerFilter(LedgerFilter):
    """The reviewers' queues: "My queue", "Nobody" (records no one reviews yet), and each reviewer's."""

    title, parameter_name, key = "reviewer (queue)", "reviewer", "reviewer"

    def lookups(self, request, model_admin):
        mine = [("me", "My queue")] if set(WORKERS) & confidential.reader_roles(request.user) else []
        return [*mine, ("none", "Nobody"), *[(str(user.pk), person(user)) for user in reviewers()]]


class ImportFilter(LedgerFilter):
    title, parameter_name, key = "import", "import_batch__id__exact", "import_batch"

    def lookups(self, request, model_admin):
        chosen = _id(self.value())
        rows = (AffectedRecordImport.objects.filter(
            pk__in=AffectedRecordImport.objects.order_by("-created_at").values("pk")[:CHOICES_SHOWN])
            | AffectedRecordImport.objects.filter(pk=chosen or 0))
        return [(str(pk), f"{name} ({moment_text(at)})") for pk, name, at in
                rows.order_by("-created_at", "-pk").values_list("pk", "file_name", "created_at")]


FILTERS = [IncidentFilter, StateFilter, KindFilter, JurisdictionFilter, ContactChannelFilter, SystemFilter,
           ComponentFilter, ReviewerFilter, ImportFilter]
PARAMETERS = {f.parameter_name: f.key for f in FILTERS} | {SEARCH_VAR: "external_id_prefix"}
# Parameters the list takes besides its filters: the pages, and Django's own for the error flag and pop-ups.
OTHER_PARAMETERS = {AFTER, BEFORE, ERROR_FLAG, IS_POPUP_VAR, TO_FIELD_VAR}


def _id(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= selectors.MAX_ID else None


class RefusedParameter(ValueError):
    """A query-string parameter or value the list does not take, in words naming it."""


def ledger_filter(query, *, actor) -> tuple[dict, dict]:
    """(raw, clean) filter of the ledger from a list's query string: raw {selector key: text} (what a job is given)
    and the checked filter of `remediation.selectors`. `RefusedParameter` names an unknown parameter or bad value."""
    unknown = sorted(set(query) - set(PARAMETERS) - OTHER_PARAMETERS)
    if unknown:
        names = ", ".join(sorted(set(PARAMETERS)))
        raise RefusedParameter(f"The ledger cannot be filtered by {unknown[0][:60]!r}; its filters are {names}.")
    for name in (AFTER, BEFORE):
        if name in query and _id(query[name]) is None:
            raise RefusedParameter(f"{name}: {str(query[name])[:40]!r} is not a record id (a positive whole number).")
    if AFTER in query and BEFORE in query:
        raise RefusedParameter("Give either after or before, not both.")
    raw = {PARAMETERS[name]: value for name, value in query.items() if name in PARAMETERS and str(value).strip()}
    try:
        clean = selectors.clean_filters(raw, actor=actor)
    except ValidationError as exc:
        by_key = {key: name for name, key in PARAMETERS.items()}
        first, messages = next(iter(exc.message_dict.items()))
        raise RefusedParameter(f"{by_key.get(first, first)}: {' '.join(messages)}") from None
    if "reviewer" in raw and raw["reviewer"] == "me":
        raw["reviewer"] = str(actor.pk)  # the job runs later, maybe on another page: the queue named
    return raw, clean


# --- the count -------------------------------------------------------------------------------------------------

def ledger_count(queryset) -> tuple[int, bool]:
    """(number, whether it is an estimate) of the rows `queryset` selects. PostgreSQL: a count that stops at
    `EXACT_COUNT_BELOW` (exact below it) and the planner's estimate of the filtered list (used above it): two
    queries whatever the size. Elsewhere an exact count."""
    queryset = queryset.order_by()
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count(), False
    bounded = queryset.values("pk")[:EXACT_COUNT_BELOW].count()
    plan = json.loads(queryset.values("pk").explain(format="json"))
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    if bounded < EXACT_COUNT_BELOW:
        return bounded, False
    return max(estimate, EXACT_COUNT_BELOW), True


# --- pages by id -----------------------------------------------------------------------------------------------

@dataclass
class KeysetPage:
    rows: list
    next_after: int | None = None
    previous_before: int | None = None


def keyset_page(queryset, *, after=None, before=None, size=100) -> KeysetPage:
    """The page of `size` rows after the id `after` (or before the id `before`; none: the first page), in id
    order. One query for the rows (`size + 1`, to know whether more follow), one more on a page reached by a cursor
    (whether any row lies the other way)."""
    queryset = queryset.order_by()
    if before is not None:
        rows = list(queryset.filter(pk__lt=before).order_by("-pk")[:size + 1])
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        page = KeysetPage(rows)
        if rows:
            page.previous_before = rows[0].pk if more_before else None
            page.next_after = rows[-1].pk if queryset.filter(pk__gte=before).exists() else None
        return page
    queryset_after = queryset.filter(pk__gt=after) if after is not None else queryset
    rows = list(queryset_after.order_by("pk")[:size + 1])
    page = KeysetPage(rows[:size])
    if len(rows) > size:
        page.next_after = rows[size - 1].pk
    if after is not None and rows:
        page.previous_before = rows[0].pk if queryset.filter(pk__lte=after).exists() else None
    return page


# --- the changelist --------------------------------------------------------------------------------------------

class LedgerChangeList(BoundedChangeList):
    """Django's changelist with the ledger's filter applied by `remediation.selectors`, the count of `ledger_count`
    and the page of `keyset_page`."""

    def get_filters_params(self, params=None):
        params = super().get_filters_params(params)
        for name in (AFTER, BEFORE):
            params.pop(name, None)
        return params

    def get_query_string(self, new_params=None, remove=None):
        """Links to filters start on the first page (no cursor)."""
        return super().get_query_string(new_params, [*(remove or []), AFTER, BEFORE])

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return selectors.ledger_records(getattr(request, "ledger_filter", {}), queryset)

    def get_results(self, request):
        self.result_count, self.count_is_estimate = ledger_count(self.queryset)
        after, before = _id(request.GET.get(AFTER)), _id(request.GET.get(BEFORE))
        page = keyset_page(self.queryset, after=after, before=before, size=self.list_per_page)
        self.result_list = page.rows
        self.full_result_count = None
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.can_show_all = False
        self.multi_page = bool(page.next_after or page.previous_before)
        self.paginator = None
        self.cursor_page = page
        self.first_page = after is None and before is None

    def page_link(self, **cursor) -> str:
        """The query string of this list at another cursor (`after=` or `before=`), or of its first page."""
        params = {k: v for k, v in self.filter_params.items() if k not in (AFTER, BEFORE, ERROR_FLAG)}
        params.update({name: [str(value)] for name, value in cursor.items()})
        return "?" + urlencode(sorted(params.items()), doseq=True)

    @property
    def next_url(self):
        return self.page_link(after=self.cursor_page.next_after) if self.cursor_page.next_after else ""

    @property
    def previous_url(self):
        return self.page_link(before=self.cursor_page.previous_before) if self.cursor_page.previous_before else ""

    @property
    def first_url(self):
        return self.page_link()
