"""Bulk changes of the ledger from the admin: "Move to <state>…" and "Put in a reviewer's queue…".

Each action shows a confirmation page first (the note; the reviewer), saying how many records will change and how
many cannot, by state. Then:

- **Rows ticked on the page** are named with the versions the page showed (a hidden `version_<id>` per row, carried
  through the confirmation): all or nothing (`affected_records_bulk_change(records=...)`); one record changed since
  refuses the whole change, naming it. One record (its own page's button) moves through `affected_record_move`.
- **"Select all N"** (Django's select-across) means every record the list's filter matches, as seen when the page
  was shown (`as_of`, a hidden input of the list): the change runs as a job (`bulk_change_start`) and the user lands
  on the job's page with its progress.
"""

from __future__ import annotations

import re
from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from portal.core.display import admin_link, counted, moment_text, person
from remediation import selectors, states
from remediation.admin.ledger_list import reviewers
from remediation.services import affected_record_move, affected_records_bulk_change
from remediation.services.bulk import MAX_NOTE, predecessors
from remediation.tasks import bulk_change_start

AS_OF = "as_of"
NAMED_SHOWN = 200  # rows ticked on pages of 50 (the list); more are selected by a filter


def records_counted(number: int) -> str:
    """"1 affected record", "12,000 affected records"."""
    return counted(number, "affected record").replace(str(number), f"{number:,}", 1)


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 70}), required=False,
                           max_length=MAX_NOTE, label="Note (optional)",
                           help_text="Kept on each moved record and in the incident's timeline.")


class ReviewerForm(NoteForm):
    reviewer = forms.ModelChoiceField(queryset=None, required=False,
                                      empty_label="Nobody: take the records out of their queue",
                                      help_text="An active compliance officer or incident responder.")

    field_order = ["reviewer", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers()
        self.fields["reviewer"].label_from_instance = person
        self.fields["note"].help_text = "Kept in the incident's timeline."


def versions_shown(request, ids) -> tuple[list[tuple[int, int]], list[int]]:
    """([(id, version shown)], [ids whose version the page did not send])."""
    pairs, missing = [], []
    for pk in ids:
        value = request.POST.get(f"version_{pk}", "").strip()
        if re.fullmatch(r"[0-9]{1,18}", value) and int(value) > 0:
            pairs.append((int(pk), int(value)))
        else:
            missing.append(pk)
    return pairs, missing


def _record_id(value: str) -> int | None:
    value = value.strip()
    return int(value) if re.fullmatch(r"[0-9]{1,19}", value) and 0 < int(value) <= selectors.MAX_ID else None


def _selected_ids(request) -> list[int]:
    return [pk for v in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if (pk := _record_id(v)) is not None]


def selection_refusal(request) -> str:
    """Why the ticked rows posted are refused (a value that is not a record id: the list only posts ids), before
    Django filters by them (a query with such a value fails); "" when they are ids."""
    bad = [v for v in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if _record_id(v) is None]
    if not bad:
        return ""
    return f"Nothing was changed: {bad[0][:40]!r} is not a record id (a positive whole number). Reload the list."


def _refusal(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(f"{'' if f in ('__all__', 'state', 'records') else f.replace('_', ' ').capitalize() + ': '}{m}"
                        for f, errs in error.error_dict.items() for e in errs for m in e.messages)
    return " ".join(error.messages)


def _what(action: str, to: str) -> str:
    return f"Move to {states.label(to)}" if action == "move" else "Put in a reviewer's queue"


def _state_counts(rows, action, to):
    """(will change, {state: count that cannot}) of [(state, count)]."""
    if action != "move":
        return sum(n for _, n in rows), {}
    allowed = set(predecessors(to))
    cannot = {}
    for state, n in rows:
        if state not in allowed:
            cannot[state] = cannot.get(state, 0) + n
    return sum(n for state, n in rows if state in allowed), cannot


def ledger_bulk_action(model_admin, request, queryset, *, action: str, to: str = ""):
    """The confirmation page of a bulk change, and on its confirmation the change (see the module's docstring)."""
    form_class = NoteForm if action == "move" else ReviewerForm
    across = request.POST.get("select_across") == "1" and not getattr(request, "object_page_url", None)
    form = form_class(request.POST) if "apply" in request.POST else form_class()
    if across:
        context = _across_context(request, queryset, action, to)
    else:
        context = _named_context(request, queryset, action, to)
    if context.get("problem"):
        model_admin.message_user(request, context["problem"], messages.ERROR)
        return None
    if "apply" in request.POST and form.is_valid():
        values = {"action": action, "to": to, "note": form.cleaned_data["note"],
                  "reviewer": getattr(form.cleaned_data.get("reviewer"), "pk", None)}
        return (_run_across(model_admin, request, values, context) if across
                else _run_named(model_admin, request, values, context))
    opts = model_admin.model._meta
    context.update({
        **model_admin.admin_site.each_context(request),
        "opts": opts, "form": form, "action": request.POST.get("action", ""), "what": _what(action, to),
        "title": context["title"], "across": across,
        "cancel_url": getattr(request, "object_page_url", None) or request.get_full_path(),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "to_label": states.label(to) if to else "",
        "selected_ids": _selected_ids(request) or [record["obj"].pk for record in context.get("records", [])],
    })
    return TemplateResponse(request, "remediation/admin/bulk_confirm.html", context)


def _named_context(request, queryset, action, to) -> dict:
    ids = sorted(set(_selected_ids(request) or list(queryset.values_list("pk", flat=True))))
    rows = list(queryset.filter(pk__in=ids).select_related("incident").order_by("pk")[:NAMED_SHOWN + 1])
    if getattr(request, "object_page_url", None) and rows and f"version_{rows[0].pk}" not in request.POST:
        shown = {rows[0].pk: rows[0].version}  # a button without the version: the version read now, shown here
    else:
        pairs, missing = versions_shown(request, [row.pk for row in rows])
        if missing:
            return {"problem": "Nothing was changed: the list did not say which version of the record(s) "
                               f"{', '.join(map(str, missing[:10]))} it showed. Reload the list and select again."}
        shown = dict(pairs)
    if len(ids) > NAMED_SHOWN:
        return {"problem": f"Nothing was changed: at most {NAMED_SHOWN} records can be ticked; to change more, "
                           "select all the records a filter matches."}
    will, cannot = _state_counts([(row.state, 1) for row in rows], action, to)
    changed = [row for row in rows if row.version != shown[row.pk]]
    return {
        "records": [{"obj": row, "version": shown[row.pk], "now": row.version,
                     "refused": action == "move" and to not in states.allowed(row.state)} for row in rows],
        "pairs": [(row.pk, shown[row.pk]) for row in rows],
        "will": will, "cannot": _cannot(cannot), "stale": changed,
        "title": f"{_what(action, to)}: {records_counted(len(rows))}",
        "blocked": bool(cannot),
    }


def _across_context(request, queryset, action, to) -> dict:
    as_of = request.POST.get(AS_OF, "").strip()
    if not as_of:
        return {"problem": "Nothing was changed: the list did not say when it was shown. Reload it and select "
                           "again."}
    try:
        seen_at = datetime.fromisoformat(as_of)
        if timezone.is_naive(seen_at):
            raise ValueError
    except ValueError:
        return {"problem": f"Nothing was changed: {as_of[:40]!r} is not the moment the list was shown. Reload it."}
    if getattr(request, "ledger_filter", None) is None:
        return {"problem": "Nothing was changed: the filter of the list is unknown."}
    rows = list(queryset.order_by().alias(seen=Coalesce("updated_at", "state_changed_at"))
                .values_list("state").annotate(n=Count("pk"), late=Count("pk", filter=Q(seen__gt=seen_at))))
    allowed = set(predecessors(to)) if action == "move" else {state for state, _, _ in rows}
    will = sum(n - late for state, n, late in rows if state in allowed)
    late = sum(late for state, _, late in rows if state in allowed)
    cannot = {state: n for state, n, _ in rows if state not in allowed}
    return {
        "as_of": as_of, "seen_at": moment_text(seen_at, seconds=True), "will": will, "cannot": _cannot(cannot),
        "late": late, "matching": sum(n for _, n, _ in rows),
        "filter_words": selectors.describe_filters(request.ledger_filter),
        "title": f"{_what(action, to)}: every affected record matching the filter",
        "blocked": False,
    }


def _cannot(cannot: dict) -> list[str]:
    return [f"{n:,} {states.label(state)}" for state, n in sorted(cannot.items())]


def _run_named(model_admin, request, values, context):
    pairs = context["pairs"]
    try:
        if values["action"] == "move" and len(pairs) == 1:
            record = model_admin.model.objects.get(pk=pairs[0][0])
            moved = affected_record_move(actor=request.user, record=record, to=values["to"],
                                         expected_version=pairs[0][1], note=values["note"])
            model_admin.message_user(request, format_html("{}: moved to {}.", admin_link(moved, moved.external_id),
                                                          states.label(values["to"])), messages.SUCCESS)
            return None
        result = affected_records_bulk_change(actor=request.user, action=values["action"], to=values["to"],
                                              reviewer=values["reviewer"], note=values["note"],
                                              records=[list(pair) for pair in pairs])
    except ValidationError as refused:
        model_admin.message_user(request, f"Nothing was changed: {_refusal(refused)}", messages.ERROR)
        return None
    model_admin.message_user(request, result.summary()[:1].upper() + result.summary()[1:], messages.SUCCESS)
    return None


def _run_across(model_admin, request, values, context):
    try:
        job, created = bulk_change_start(actor=request.user, action=values["action"], to=values["to"],
                                         reviewer=values["reviewer"], note=values["note"],
                                         filters=request.ledger_raw_filter, as_of=context["as_of"])
    except ValidationError as refused:
        model_admin.message_user(request, f"Nothing was changed: {_refusal(refused)}", messages.ERROR)
        return None
    model_admin.message_user(
        request, (f"{_what(values['action'], values['to'])}: the change of every record matching the filter "
                  f"{'started' if created else 'was already running'}; its page shows how far it got."),
        messages.INFO)
    return HttpResponseRedirect(reverse("admin:core_job_change", args=[job.pk]))
