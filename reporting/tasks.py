"""Celery tasks and job kinds of reporting: the scheduled deadline reminders (as `manage.py check_obligations`),
issuing a document, and the audit bundle."""

from datetime import UTC

from celery import shared_task
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident
from portal.core import roles
from portal.core.jobs import JobFailed, JobKind, JobResult, files, job_record_run, job_start, register
from reporting import services
from reporting.models import DisclosureDecision, DocumentKind, Obligation
from reporting.services.reminders import obligation_reminders_check

OBLIGATION_CHECK = register(JobKind(name="reporting.check_obligations", label="Deadline reminders",
                                    viewer_roles=frozenset({roles.COMPLIANCE_OFFICER, roles.LEGAL_REVIEWER})))


@shared_task(name="reporting.tasks.check_obligations", ignore_result=True)
def check_obligations() -> int:
    """Send the regulatory deadline reminders due now; each is claimed before it is sent (safe on two workers)."""
    started = timezone.now()
    result = obligation_reminders_check(now=started, actor=None)
    if result or result.failed:
        lines = [f"{n.obligation.incident.reference} {n.obligation.key} {n.get_stage_display().lower()} "
                 f"(due {n.obligation.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)" for n in result]
        error = "; ".join(f"{ref} {key} {stage}: not sent ({why}); the next run retries"
                          for key, ref, stage, why in result.failed)
        job_record_run(kind=OBLIGATION_CHECK.name, started_at=started, error=error,
                       summary=f"{len(result)} deadline reminder(s) sent.\n" + "\n".join(lines))
    return len(result)


DASHBOARD_SUMMARIES = register(JobKind(name="reporting.dashboard_summaries", label="Dashboard summaries",
                                       viewer_roles=frozenset({roles.COMPLIANCE_OFFICER, roles.LEADERSHIP})))


@shared_task(name="reporting.tasks.rebuild_dashboard_summaries", ignore_result=True)
def rebuild_dashboard_summaries() -> int:
    """Rebuild the dashboard's summary tables from the source tables (ADR 0012). A routine run leaves no job row;
    a failed one is recorded as a failed job (the page keeps showing the last summaries, with their time)."""
    from reporting.dashboard import summaries

    started = timezone.now()
    try:
        state = summaries.rebuild(now=started)
    except Exception as exc:
        job_record_run(kind=DASHBOARD_SUMMARIES.name, started_at=started,
                       error=f"The dashboard summaries were not rebuilt: {exc.__class__.__name__}; the next run "
                             "retries.")
        raise
    return state.took_ms


# --- documents: issuing a PDF is a job ------------------------------------------------------------------------------

TARGETS = {DocumentKind.REGULATORY_NOTIFICATION: ("obligation", Obligation),
           DocumentKind.DISCLOSURE_DECISION: ("disclosure", DisclosureDecision),
           DocumentKind.POST_INCIDENT_REPORT: ("incident", Incident)}


def _issue(*, job, progress):
    """Issue one document (`services.document_issue`), bound to the record's version the issuer saw."""
    params = job.params
    kind = params["kind"]
    argument, model = TARGETS[kind]
    record = model.objects.filter(pk=params["record"]).first()
    if record is None:
        raise JobFailed("The record to issue the document for no longer exists.")
    progress(0, 1)
    document = services.document_issue(actor=job.started_by, kind=kind, **{argument: record},
                                       correction_reason=params.get("correction_reason", ""),
                                       expected_version=params.get("expected_version"))
    return JobResult(summary=f"{document.title} v{document.version} issued.",
                     url=reverse("admin:reporting_document_download", args=[document.pk]),
                     label="Download the PDF")


def _issue_described(params):
    """What a document job was asked: the document, for which record (linked), from which version, and why."""
    from portal.core.display import admin_link

    kind = params.get("kind")
    _argument, model = TARGETS.get(kind, (None, None))
    record = model.objects.filter(pk=params.get("record")).first() if model and str(
        params.get("record", "")).isdigit() else None
    where = admin_link(record) if record is not None else "a record that no longer exists"
    rows = [("Document", DocumentKind(kind).label if kind in DocumentKind.values else str(kind)), ("For", where)]
    if params.get("expected_version"):
        rows.append(("From", f"version {params['expected_version']} of the record"))
    if params.get("correction_reason"):
        rows.append(("Reason for the correction", params["correction_reason"]))
    return rows


DOCUMENT_ISSUE = register(JobKind(name="reporting.document_issue", label="Issuing a document", run=_issue,
                                  unit="document", viewer_roles=frozenset(roles.ROLES), describe=_issue_described))


def document_issue_start(*, actor, kind, record, correction_reason="", expected_version=None):
    """Start issuing a document as a job; the same record at the same version twice gives the same job."""
    return job_start(actor=actor, kind=DOCUMENT_ISSUE.name, total=1,
                     idempotency_key=f"document_issue:{kind}:{record.pk}:v{expected_version}",
                     params={"kind": str(kind), "record": record.pk, "expected_version": expected_version,
                             "correction_reason": correction_reason or ""})


# --- the audit bundle (PDF or signed ZIP) is a job -------------------------------------------------------------------

def _bundle(*, job, progress):
    from portal.core.auditchain import checkpoints
    from reporting.audit import bundle, selectors
    from reporting.pdf import RenderError

    reference, form = job.params["reference"], job.params["format"]
    incident = selectors.incident_for_audit(reference)
    if incident is None:
        raise JobFailed(f"No incident {reference}.")
    progress(0, 3)
    try:
        signed, _path = checkpoints.take_and_keep(reason=f"audit bundle {incident.reference}")
    except checkpoints.CheckpointError as exc:
        raise JobFailed(f"The audit bundle cannot be signed: {exc}") from exc
    data = bundle.incident_bundle(incident, generated_by=job.started_by, checkpoint=signed)
    progress(1, 3)
    try:
        pdf = bundle.bundle_pdf(data, incident)
    except RenderError as exc:
        raise JobFailed(f"The audit bundle PDF could not be rendered: {exc}") from exc
    progress(2, 3)
    content = pdf if form == "pdf" else bundle.bundle_archive(data, pdf=pdf, csv_text=bundle.bundle_csv(data))
    name = bundle.bundle_file_name(data, form)
    kept = files.save_result(job, name, content)
    return JobResult(summary=f"Audit bundle of {incident.reference}: {data['counts']['history_rows']} history rows, "
                             f"{data['counts']['timeline_events']} timeline events.", file=kept, label=name)


AUDIT_BUNDLE = register(JobKind(name="reporting.audit_bundle", label="Audit bundle", run=_bundle, unit="steps",
                                viewer_roles=frozenset({roles.LEGAL_REVIEWER, roles.AUDITOR,
                                                        roles.COMPLIANCE_OFFICER})))


def audit_bundle_start(*, actor, incident, form: str):
    """Start making the audit bundle of `incident` (form "pdf" or "zip") as a job; once per incident and form
    while one is queued or running."""
    if form not in ("pdf", "zip"):
        raise ValidationError({"format": "Ask for pdf or zip."})
    return job_start(actor=actor, kind=AUDIT_BUNDLE.name, total=3, params={"reference": incident.reference,
                                                                          "format": form},
                     idempotency_key=f"audit_bundle:{incident.reference}:{form}")
