"""The incident page with its regulatory reporting: obligations, issued documents and disclosure decisions, and
the actions that issue a post-incident report and export the AI Incident Database submission.

`incidents` does not know `reporting`; this module re-registers the incident admin with a subclass that adds the
reporting section (reporting -> incidents is the allowed direction)."""

import contextlib
import json

from django.contrib import admin, messages
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse
from django.template.loader import render_to_string

from incidents.admin import IncidentAdmin
from incidents.models import Incident
from portal.core.object_actions import ObjectActionsMixin
from remediation import figures as ledger
from reporting import selectors
from reporting.admin.base import intermediate, issue_reason_form, latest_document_link, start_jobs_for_each, when
from reporting.dashboard.links import ledger_records
from reporting.exports import NotDisclosed, aiid_submission
from reporting.models import DisclosureDecision, Document, DocumentKind, Obligation
from reporting.tasks import document_issue_start


def report_shown(incident) -> list[tuple[str, str]]:
    """What issuing the post-incident report issues, from which version of the incident."""
    next_version = selectors.document_next_version(DocumentKind.POST_INCIDENT_REPORT, f"incident:{incident.pk}")
    return [
        ("Will issue", f"Post-incident report v{next_version}, rendered from version {incident.version} of the "
                       "incident" + (" (supersedes the earlier versions)" if next_version > 1 else "")),
        ("Incident", f"{incident.reference}: {incident.title}"),
        ("Status", incident.get_status_display()),
        ("Severity", incident.get_severity_display()),
        ("Detected", when(incident.detected_at)),
    ]


class IncidentReportingAdmin(ObjectActionsMixin, IncidentAdmin):
    actions = ["issue_post_incident_report", "export_aiid"]
    object_actions = {"issue_post_incident_report": "Issue the post-incident report PDF",
                      "export_aiid": "Export for the AI Incident Database"}

    def object_links(self, request, obj):
        reports = [d for d in obj.documents.all() if d.kind == DocumentKind.POST_INCIDENT_REPORT]
        return latest_document_link(reports)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            return None
        prefetch_related_objects(
            [obj],
            Prefetch("obligations", queryset=Obligation.objects.order_by("due_at", "key")),
            Prefetch("documents", queryset=Document.objects.select_related("issued_by").order_by(
                "kind", "subject", "-version")),
            Prefetch("disclosure_decisions", queryset=DisclosureDecision.objects.select_related(
                "decided_by", "approved_by")),
        )
        with contextlib.suppress(Incident.regulatory_facts.RelatedObjectDoesNotExist):
            obj.regulatory_facts  # noqa: B018  (loaded once, cached for the page)
        return obj

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "regulatory_reporting", "remediation_ledger"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        if ledger.incident_state_counts(obj).total:  # shown only when the ledger lists records of the incident
            at = next(i for i, (name, _) in enumerate(fieldsets) if name == "BLAST scope") + 1
            fieldsets = [*fieldsets[:at], ("Remediation ledger", {"fields": ["remediation_ledger"]}),
                         *fieldsets[at:]]
        return [*fieldsets[:-2], ("Regulatory reporting", {"fields": ["regulatory_reporting"]}), *fieldsets[-2:]]

    @admin.display(description="affected records by state")
    def remediation_ledger(self, obj):
        counts = ledger.incident_state_counts(obj)
        return render_to_string("reporting/admin/incident_remediation.html", {
            "counts": counts, "total_url": ledger_records(obj.pk),
            "states": [{"label": label, "count": n, "url": ledger_records(obj.pk, state)}
                       for state, label, n in counts.states],
            "done_percent": counts.done * 100 // counts.total if counts.total else None,
        })

    @admin.display(description="obligations, documents and disclosure decisions")
    def regulatory_reporting(self, obj):
        try:
            facts = obj.regulatory_facts
        except Incident.regulatory_facts.RelatedObjectDoesNotExist:
            facts = None
        return render_to_string("reporting/admin/incident_reporting.html", {
            "incident": obj, "obligations": obj.obligations.all(), "documents": obj.documents.all(),
            "decisions": obj.disclosure_decisions.all(), "facts": facts,
        })

    def has_issue_permission(self, request):
        return request.user.has_perm("reporting.add_document")

    @admin.action(description="Issue the post-incident report PDF", permissions=["issue"])
    def issue_post_incident_report(self, request, queryset):
        form, response = intermediate(self, request, queryset, action="issue_post_incident_report",
                                      title="Issue post-incident reports", submit="Issue",
                                      form_class=issue_reason_form(DocumentKind.POST_INCIDENT_REPORT,
                                                                   [f"incident:{i.pk}" for i in queryset]),
                                      describe=report_shown,
                                      intro="A PDF is rendered for each incident from its record, review, "
                                            "timeline, obligations and containment as they are now.")
        if response is not None:
            return response
        return start_jobs_for_each(
            self, request, queryset, "Report issued", lambda i, version: document_issue_start(
                actor=request.user, kind=DocumentKind.POST_INCIDENT_REPORT, record=i,
                correction_reason=form.cleaned_data["reason"], expected_version=version))

    @admin.action(description="Export for the AI Incident Database (sanitized JSON)")
    def export_aiid(self, request, queryset):
        """Needs an approved decision to disclose each selected incident to the AIID or the public; if one lacks
        it, nothing is exported and the message names the incident and what is missing."""
        incidents = queryset.prefetch_related("systems", "components", "atlas_techniques", "owasp_risks",
                                              "disclosure_decisions")
        payload, refused = [], []
        for incident in incidents:
            try:
                payload.append(aiid_submission(incident))
            except NotDisclosed as exc:
                refused.append(" ".join(exc.messages))
        for message in refused:
            self.message_user(request, message, messages.ERROR)
        if refused and payload:
            self.message_user(request, f"Nothing was exported: {len(refused)} of the {len(refused) + len(payload)} "
                                       "selected incidents may not be disclosed yet.", messages.ERROR)
        if refused or not payload:
            return None
        body = json.dumps(payload[0] if len(payload) == 1 else payload, indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json")
        name = payload[0]["submission"]["incident_reference"] if len(payload) == 1 else "incidents"
        response["Content-Disposition"] = f'attachment; filename="{name}-aiid.json"'
        return response


admin.site.unregister(Incident)
admin.site.register(Incident, IncidentReportingAdmin)
