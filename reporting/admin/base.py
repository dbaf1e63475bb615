"""Shared pieces of the reporting admin: calling a service so a refusal becomes a form error or a message, and
the confirmation page an action shows before it approves, returns, issues or records anything.

The confirmation page lists each selected record with what is being confirmed (`describe`), carries the version
each record had when the page was shown (a hidden `version_<pk>` input per record) and offers Cancel. On confirm,
`run_for_each` hands each record's version to the service, which refuses a record changed in between, naming who
changed what and when; the other records proceed.
"""

import functools
import re
import time

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from portal.core.admin import call
from portal.core.display import admin_link, counted
from portal.core.jobs.models import JobState

__all__ = ["NoteForm", "ReasonForm", "call", "count_of", "intermediate", "latest_document_link", "refusal_text",
           "run_for_each",
           "start_jobs_for_each", "version_shown"]


def refusal_text(error: ValidationError) -> str:
    """A service's refusal as one line: each message after the label of the field it concerns ("Shareable
    summary: ..."); the version's and the record's own messages without a label (they say what they are about)."""
    from reporting.wording import code_words, label_words

    def prefix(name):
        if name in ("__all__", "version", "expected_version"):
            return ""
        return f"{code_words().get(name, label_words(name))}: "

    if hasattr(error, "error_dict"):
        return " ".join(f"{prefix(f)}{m}" for f, errs in error.error_dict.items() for e in errs for m in e.messages)
    return " ".join(error.messages)


def version_shown(request, obj) -> int | None:
    """The version of `obj` the confirmation page showed (its hidden input), or None when none was sent."""
    value = request.POST.get(f"version_{obj.pk}", "").strip()
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None


def _linked(obj):
    """The record as a link to its page in the admin, named with its incident's reference."""
    text = str(obj)
    incident = getattr(obj, "incident", None)
    if incident is not None and incident.reference not in text:
        text = f"{incident.reference} {text}"
    return admin_link(obj, text)


def _report_done(model_admin, request, label, done):
    """One message for what succeeded: each record linked when there are a few, else their count."""
    if not done:
        return
    if len(done) <= 5:
        message = format_html("{}: {}.", label, format_html_join("; ", "{}", ((_linked(obj),)
                                                                         for obj in done)))
    else:
        message = f"{label}: {count_of(len(done), model_admin.model)}."
    model_admin.message_user(request, message, messages.SUCCESS)


def count_of(number: int, model) -> str:
    """"1 disclosure decision", "12 disclosure decisions": a count that agrees in number."""
    opts = model._meta
    return counted(number, str(opts.verbose_name), str(opts.verbose_name_plural))


def run_for_each(model_admin, request, queryset, label, fn):
    """Apply `fn(obj, version)` to each selected object, `version` being the one its confirmation page showed;
    report successes (each record linked) and refusals (a stale or missing version among them) per object."""
    done = []
    for obj in queryset:
        try:
            fn(obj, version_shown(request, obj))
            done.append(obj)
        except ValidationError as exc:
            model_admin.message_user(request, f"{obj}: {refusal_text(exc)}", messages.ERROR)
    _report_done(model_admin, request, label, done)


def start_jobs_for_each(model_admin, request, queryset, label, start):
    """Start `start(obj, version)` (a background job, returning (job, created)) for each selected object. A job
    that already finished (run in the request) is reported by its summary with a link to its result ("Regulatory
    notification v1 issued: Download the PDF"); a refused one names its object and the reason. One job still
    running: its job page, which shows its progress; several: the job list."""
    running = []
    objs = list(queryset)
    for obj in objs:
        try:
            job, _created = start(obj, version_shown(request, obj))
        except ValidationError as exc:
            model_admin.message_user(request, f"{obj}: {refusal_text(exc)}", messages.ERROR)
            continue
        if len(objs) == 1:
            settle(job)  # one document takes a second or two: its result on the record's page, not a job page
        job.refresh_from_db()
        if job.state == JobState.FAILED:
            model_admin.message_user(request, f"{obj}: {job.error}", messages.ERROR)
        elif job.state == JobState.SUCCEEDED:
            summary = job.summary or f"{label}: {obj}."
            message = (format_html('{}: <a href="{}">{}</a>', summary.rstrip("."), job.result_url,
                                   job.result_label or "open the result") if job.result_url else summary)
            model_admin.message_user(request, message, messages.SUCCESS)
        else:
            running.append(job)
    if running:
        model_admin.message_user(request, f"{label}: {len(running)} started; the job page shows how far it got.",
                                 messages.INFO)
        if len(running) == 1:
            return HttpResponseRedirect(reverse("admin:core_job_change", args=[running[0].pk]))
        return HttpResponseRedirect(reverse("admin:core_job_changelist"))
    return None


WAIT_FOR_ONE_JOB_SECONDS = 6.0


def settle(job, seconds: float = WAIT_FOR_ONE_JOB_SECONDS, step: float = 0.25) -> None:
    """Wait up to `seconds` for a job a worker (a thread of this process, or Celery) runs to finish."""
    from portal.core.jobs.models import Job

    waited = 0.0
    while waited < seconds:
        state = Job.objects.filter(pk=job.pk).values_list("state", flat=True).first()
        if state not in (JobState.QUEUED, JobState.RUNNING):
            return
        time.sleep(step)
        waited += step


def intermediate(model_admin, request, queryset, *, action, title, form_class, intro="", submit="Confirm",
                 describe=None):
    """Show the confirmation page for the selected objects; on its confirmed POST return the valid form.

    The page lists each object with `describe(obj)` ([(label, text), ...]: what is being confirmed), carries the
    version it shows of each in a hidden input, and has a Cancel link back to the list it came from.
    Returns (form, None) when the user confirmed with valid input, or (None, response) to show the page.
    """
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            return form, None
    else:
        form = form_class()
    records = [{"obj": obj, "version": obj.version, "details": list(describe(obj)) if describe else []}
               for obj in queryset]
    opts = model_admin.model._meta
    if len(records) == 1:  # "Approve disclosure decisions" for one: "Approve the disclosure decision"
        title = title.replace(str(opts.verbose_name_plural), f"the {opts.verbose_name}")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title, "intro": intro, "form": form, "records": records, "action": action,
        "submit": submit, "opts": model_admin.model._meta,
        "cancel_url": getattr(request, "object_page_url", None) or request.get_full_path(),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return None, TemplateResponse(request, "reporting/admin/action_form.html", context)


def when(moment) -> str:
    """A time as the confirmation pages show it (the portal's one format: 7 Dec 2026 00:47 UTC)."""
    from portal.core.display import moment_text

    return moment_text(moment) if moment else "-"



def latest_document_link(documents) -> list:
    """The object page's link to the newest issued version of its document, if one was issued."""
    from portal.core.object_actions import ObjectButton

    newest = max(documents, key=lambda d: d.version, default=None)
    if newest is None:
        return []
    return [ObjectButton(label=f"Download the latest PDF (v{newest.version})", post=False,
                         url=reverse("admin:reporting_document_download", args=[newest.pk]))]


class ReasonForm(forms.Form):
    """The reason for a corrected version of a document: required when one of the records already has an issued
    version (`issued`: the records' latest issued version numbers), so the issue is not started to fail."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), required=False,
                             label="Reason for the correction",
                             help_text="Needed when a version was already issued: the new version supersedes it.")

    def __init__(self, *args, issued=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.issued = [version for version in issued if version]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if self.issued and not reason:
            raise forms.ValidationError(
                f"Version {max(self.issued)} was already issued: say what this new version corrects.")
        return reason


def issue_reason_form(kind, subjects):
    """The ReasonForm for issuing `kind` for the records of `subjects` ("obligation:12", ...)."""
    from reporting import selectors

    issued = [selectors.document_next_version(kind, subject) - 1 for subject in subjects]
    return functools.partial(ReasonForm, issued=issued)


class NoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), required=True,
                           label="Note to compliance")
