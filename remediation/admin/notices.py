"""The notice to individuals (GDPR Art. 34) on the incident's page: two buttons for compliance officers.

- **Export the notice file**: the mail-merge CSV of the people to tell (`remediation.services.notices`), streamed;
  the export is recorded on the incident's timeline.
- **Record the notice to individuals sent**: upload the file the notice went out with (the exported one, less any
  rows not sent); exactly its records, at the versions it carries, move to notified, all or nothing; the incident's
  open Art. 34 obligation can be marked submitted at the same time.

`incidents` does not know `remediation`: this module re-registers the incident admin with a subclass of the one
registered before it (reporting's, with its buttons), adding these two actions (remediation -> reporting ->
incidents is the allowed direction). The ledger's own admin (`remediation.admin.records`) is not touched.
"""

import csv
import io

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from portal.core import inputs, roles
from portal.core.concurrency import StaleRecordError
from portal.core.display import moment_text
from remediation import exports
from remediation.services.bulk import MAX_NAMED, MAX_NOTE
from remediation.services.notices import (
    affected_records_notice_export,
    affected_records_notice_sent,
    art_34_obligations,
    notice_records,
)
from reporting.models import Obligation

MAX_FILE_BYTES = 20 * 1024 * 1024
REQUIRED_COLUMNS = ("record_id", "version")


def read_notice_file(upload) -> list[dict]:
    """[{id, version}] of the rows of a mail-merge file (its `record_id` and `version` columns); ValidationError
    naming the file and the line for anything else."""
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError({"file": f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."})
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": "The file is not UTF-8 text (export it again from the portal)."}) from None
    if inputs.NUL in text:
        raise ValidationError({"file": "The file contains a NUL character."})
    reader = csv.DictReader(io.StringIO(text))
    if missing := [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]:
        raise ValidationError({"file": f"The file has no {' and no '.join(missing)} column: upload the notice file "
                                       "exported here (its record_id and version say which records were told)."})
    pairs = []
    for row in reader:
        values = [(row.get(c) or "").strip() for c in REQUIRED_COLUMNS]
        if not all(v.isascii() and v.isdigit() and 0 < int(v) < 2**63 for v in values):
            raise ValidationError({"file": f"Line {reader.line_num}: record_id and version must be whole numbers "
                                           f"(found {', '.join(repr(v[:20]) for v in values)})."})
        pairs.append({"id": int(values[0]), "version": int(values[1])})
        if len(pairs) > MAX_NAMED:
            raise ValidationError({"file": f"At most {MAX_NAMED:,} records can be recorded at once: split the file "
                                           "and record each part."})
    if not pairs:
        raise ValidationError({"file": "The file lists no records."})
    return pairs


class NoticeSentForm(forms.Form):
    file = forms.FileField(label="The notice file sent",
                           help_text="The mail-merge file the notice went out with: its record_id and version "
                                     "columns name the records told. Leave out the rows not sent.")
    sent_at = forms.DateTimeField(required=False, label="Sent at (UTC)",
                                  help_text="When the notice was sent, e.g. 2026-12-08 09:30; empty: now.")
    obligation = forms.ChoiceField(required=False, label="Also mark submitted",
                                   help_text="The incident's open obligation to tell the data subjects (Art. 34), "
                                             "marked submitted at the time sent.")
    note = forms.CharField(required=False, max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))

    def __init__(self, *args, obligations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["obligation"].choices = [("", "No obligation")] + [
            (f"{o.pk}:{o.version}", f"{o} (version {o.version})") for o in obligations]

    def clean_sent_at(self):
        sent_at = self.cleaned_data["sent_at"]
        if sent_at is not None and (problem := inputs.moment_out_of_range(sent_at)):
            raise forms.ValidationError(problem)
        return sent_at

    def clean_note(self):
        note = self.cleaned_data["note"]
        if inputs.NUL in note:
            raise forms.ValidationError(inputs.NUL_MESSAGE + ".")
        return note


def _one(model_admin, request, queryset, what):
    incidents = list(queryset[:2])
    if len(incidents) != 1:
        model_admin.message_user(request, f"{what}: choose one incident at a time.", messages.ERROR)
        return None
    return incidents[0]


def _refusal(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(m for errors in error.error_dict.values() for e in errors for m in e.messages)
    return " ".join(error.messages)


def with_notice_actions(base):
    """The incident admin class `base` with the notice's two actions and buttons."""

    class IncidentNoticeAdmin(base):
        actions = [*base.actions, "export_notice_file", "record_notice_sent"]
        object_actions = {**base.object_actions,
                          "export_notice_file": "Export the notice file (mail merge)",
                          "record_notice_sent": "Record the notice to individuals sent"}

        def has_notice_permission(self, request):
            user = request.user
            return (user.has_perm("remediation.change_affectedrecord")
                    and roles.COMPLIANCE_OFFICER in roles.user_roles(user))

        def object_action_applies(self, request, obj, name):
            if name in ("export_notice_file", "record_notice_sent"):
                if not hasattr(obj, "_people_to_notify"):  # one query for both buttons
                    obj._people_to_notify = notice_records(obj).exists()
                return obj._people_to_notify
            return super().object_action_applies(request, obj, name)

        @admin.action(description="Export the notice file to individuals (GDPR Art. 34 mail merge)",
                      permissions=["notice"])
        def export_notice_file(self, request, queryset):
            incident = _one(self, request, queryset, "Export the notice file")
            if incident is None:
                return None
            try:
                affected_records_notice_export(actor=request.user, incident=incident)
            except ValidationError as exc:
                self.message_user(request, _refusal(exc), messages.ERROR)
                return None
            return exports.notice_file(notice_records(incident),
                                       filename=f"{incident.reference}-notice-mail-merge.csv")

        @admin.action(description="Record the notice to individuals sent", permissions=["notice"])
        def record_notice_sent(self, request, queryset):
            incident = _one(self, request, queryset, "Record the notice sent")
            if incident is None:
                return None
            obligations = [o for o in art_34_obligations(incident) if o.status == Obligation.Status.OPEN]
            if "apply" in request.POST:
                form = NoticeSentForm(request.POST, request.FILES, obligations=obligations)
                if form.is_valid() and (done := _record(self, request, incident, form)):
                    return done
            else:
                form = NoticeSentForm(obligations=obligations)
            context = {
                **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                "title": f"Record the notice to individuals sent: {incident.reference}", "incident": incident,
                "to_notify": notice_records(incident).count(), "max_named": MAX_NAMED,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "cancel_url": getattr(request, "object_page_url", None) or request.get_full_path(),
            }
            return TemplateResponse(request, "remediation/admin/notice_sent.html", context)

    return IncidentNoticeAdmin


def _record(model_admin, request, incident, form):
    """Record the notice from the valid form; the refusal goes onto the form (None), success to the page (True)."""
    obligation = version = None
    if form.cleaned_data["obligation"]:
        obligation, version = (int(part) for part in form.cleaned_data["obligation"].split(":"))
    try:
        records = read_notice_file(form.cleaned_data["file"])
        result = affected_records_notice_sent(
            actor=request.user, incident=incident, records=records, sent_at=form.cleaned_data["sent_at"],
            note=form.cleaned_data["note"], obligation=obligation, obligation_version=version)
    except StaleRecordError as exc:
        form.add_error("file", _refusal(exc))
        return None
    except ValidationError as exc:
        field = next(iter(getattr(exc, "error_dict", {})), None)
        form.add_error(field if field in form.fields else "file", _refusal(exc))
        return None
    sent = form.cleaned_data["sent_at"] or timezone.now()
    model_admin.message_user(request, f"Notice to individuals recorded as sent on {moment_text(sent)}: "
                                      f"{result.changed:,} records moved to notified"
                                      + (" and the Art. 34 obligation marked submitted." if obligation else "."),
                             messages.SUCCESS)
    return HttpResponseRedirect(getattr(request, "object_page_url", None)
                                or reverse("admin:incidents_incident_change", args=[incident.pk]))


IncidentNoticeAdmin = with_notice_actions(type(admin.site.get_model_admin(Incident)))
admin.site.unregister(Incident)
admin.site.register(Incident, IncidentNoticeAdmin)
