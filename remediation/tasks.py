"""Job kinds of the remediation ledger: a bulk change of the records a filter selects (`services.bulk`), with
its progress in records; and importing an incident's affected records from a file uploaded in the admin
(`services.affected_records_import`, as the `import_affected_records` command does), with its progress in rows.

The job's result names the counts and links the incident's ledger; the rejected rows (every bad row, with its
line, column and reason) are its file. An import that finds bad rows without "skip invalid rows" fails, naming the
first reasons, and still offers that file. The uploaded file is deleted when the job ends, whatever the outcome."""

import hashlib
import json
import tempfile
from datetime import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from incidents.models import Incident
from portal.core import roles
from portal.core.display import counted, moment_text, person, size_text
from portal.core.jobs import JobFailed, JobKind, JobResult, files, job_start, register
from remediation import selectors, states
from remediation.services import affected_records_import
from remediation.services.bulk import affected_records_bulk_change, check_request
from remediation.services.imports import FileError
from remediation.services.imports.service import import_counts
from remediation.services.moves import WORKERS, require_worker

SHOWN_REASONS = 5


def ledger_url(incident_pk: int) -> str:
    """The incident's affected records in the admin."""
    try:
        changelist = reverse("admin:remediation_affectedrecord_changelist")
    except NoReverseMatch:  # the records' admin (remediation/admin/records.py) not registered
        changelist = reverse("admin:index") + "remediation/affectedrecord/"
    return f"{changelist}?incident__id__exact={incident_pk}"


def _import(*, job, progress):
    params = job.params
    incident = Incident.objects.filter(pk=params["incident"]).first()
    try:
        if incident is None:
            raise JobFailed(f"Nothing imported: the incident {params.get('reference', '')} is gone.")
        try:
            source = Path(files.local_path(params["input"]))
            if not source.is_file():
                raise OSError
        except OSError as exc:
            raise JobFailed("The uploaded file is no longer kept; upload it again.") from exc
        with tempfile.TemporaryDirectory(prefix="ledger-import-") as work:
            rejects = Path(work) / f"{Path(params['file_name']).stem or 'import'}.rejects.csv"
            try:
                result = affected_records_import(
                    actor=job.started_by, incident=incident, path=source, fmt=params["format"],
                    skip_invalid=params["skip_invalid"], rejects_path=rejects, file_name=params["file_name"],
                    progress=progress)
            except FileError as exc:
                raise JobFailed(f"Nothing imported: {exc}") from exc
            kept = ""
            if result.rejects_path:
                with rejects.open("rb") as handle:
                    kept = files.save_result(job, rejects.name, File(handle))
    finally:
        files.delete(params["input"])
    bad = counted(result.error_count, "bad row")
    if not result.written:
        reasons = "; ".join(str(error) for error in result.errors[:SHOWN_REASONS])
        more = f" (and {result.error_count - SHOWN_REASONS:,} more)" if result.error_count > SHOWN_REASONS else ""
        raise JobFailed(f"Nothing imported: {bad} in {params['file_name']}: {reasons}{more}. Every bad row is in "
                        "the rejects file; upload the file again with \"skip invalid rows\" to write the good ones.",
                        result=JobResult(file=kept, label=f"The {bad} (CSV)"))
    record = result.record
    summary = (f"Affected records added to {incident.reference} from {record.file_name}: "
               f"{import_counts(record, result.rows_read)}; SHA-256 {record.sha256}.")
    if kept:
        are = "is" if result.error_count == 1 else "are"
        return JobResult(summary=f"{summary} The {bad} skipped {are} in the rejects file.", file=kept,
                         label=f"The {bad} skipped (CSV)")
    return JobResult(summary=summary, url=ledger_url(incident.pk),
                     label=f"The affected records of {incident.reference}")


def _describe(params: dict) -> list[tuple[str, str]]:
    incident = params.get("incident")
    rows = []
    if isinstance(incident, int):
        rows += [
            ("Incident", format_html('<a href="{}">{}</a>', reverse("admin:incidents_incident_change",
                                                                     args=[incident]), params.get("reference", ""))),
            ("Affected records", format_html('<a href="{}">the ledger of {}</a>', ledger_url(incident),
                                             params.get("reference", ""))),
        ]
    rows += [
        ("File", f"{params.get('file_name', '')} ({size_text(params.get('size'))})"),
        ("SHA-256", str(params.get("sha256", ""))),
        ("Format", {"csv": "CSV", "jsonl": "JSON Lines"}.get(params.get("format"), "from the file's extension")),
        ("Invalid rows", "skipped (listed in the rejects file)" if params.get("skip_invalid")
         else "stop the import (nothing is written)"),
    ]
    return rows


AFFECTED_RECORDS_IMPORT = register(JobKind(
    name="remediation.affected_records_import", label="Affected records import", run=_import, unit="rows",
    viewer_roles=frozenset(WORKERS), describe=_describe))


def affected_records_import_start(*, actor, incident: Incident, upload, fmt: str = "auto",
                                  skip_invalid: bool = False):
    """Keep the uploaded file (`upload`: a Django File, copied in chunks) and start importing it into `incident`'s
    ledger as a job; the same file for the same incident with the same options, while its import is queued or
    running, gives that job. (job, created)."""
    require_worker(actor, "import affected records")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    digest = digest.hexdigest()
    upload.seek(0)
    stored = files.save_input(upload.name, upload)
    job, created = job_start(
        actor=actor, kind=AFFECTED_RECORDS_IMPORT.name,
        idempotency_key=f"affected_records_import:{incident.pk}:{digest}:{fmt}:{int(skip_invalid)}",
        params={"incident": incident.pk, "reference": incident.reference, "input": stored, "file_name": upload.name,
                "size": upload.size, "sha256": digest, "format": fmt, "skip_invalid": skip_invalid})
    if not created:
        files.delete(stored)
    return job, created


def _bulk(*, job, progress):
    params = job.params
    try:
        result = affected_records_bulk_change(
            actor=job.started_by, action=params["action"], to=params.get("to", ""), reviewer=params.get("reviewer"),
            note=params.get("note", ""), filters=params.get("filters"), as_of=params.get("as_of"),
            records=params.get("records"), progress=progress)
    except ValidationError as exc:
        raise JobFailed("Nothing changed: " + " ".join(exc.messages)) from exc
    url, label = "", ""
    incident = (params.get("filters") or {}).get("incident")
    if incident:
        url = ledger_url(int(incident))
        label = "The incident's ledger"
    return JobResult(summary=result.summary(), url=url, label=label)


def _describe_bulk(params):
    action = params.get("action")
    if action == "move":
        what = f"Move to {states.label(params['to'])}" if params.get("to") in states.State.values else "Move"
    else:
        user = get_user_model().objects.filter(pk=params.get("reviewer") or 0).first()
        what = f"Put in {person(user)}'s queue" if user else "Take out of the reviewer's queue"
    rows = [("Change", what)]
    if params.get("records") is not None:
        rows.append(("Records", f"{len(params['records']):,} named with the versions read"))
    else:
        try:
            rows.append(("Records", "every one matching " + selectors.describe_filters(
                selectors.clean_filters(params.get("filters") or {}))))
        except ValidationError:
            rows.append(("Records", "a filter"))
        if params.get("as_of"):
            rows.append(("As seen at", moment_text(datetime.fromisoformat(params["as_of"]), seconds=True)))
        incident = (params.get("filters") or {}).get("incident")
        if incident:
            rows.append(("Ledger", format_html('<a href="{}">the incident\'s ledger</a>', ledger_url(int(incident)))))
    if params.get("note"):
        rows.append(("Note", params["note"]))
    return rows


BULK_CHANGE = register(JobKind(name="remediation.bulk_change", label="Bulk change of affected records", run=_bulk,
                               unit="records", describe=_describe_bulk,
                               viewer_roles=frozenset({roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER})))


def bulk_change_start(*, actor, action, to="", reviewer=None, note="", filters=None, as_of=None, records=None):
    """Check the bulk change now (a bad value is refused before any job exists) and run it as a job; the same
    change asked twice while the first is queued or running gives that job: (job, created)."""
    request = check_request(actor=actor, action=action, to=to, reviewer=reviewer, note=note, filters=filters,
                            as_of=as_of, records=records)
    params = {"action": request.action, "note": request.note}
    if request.action == "move":
        params["to"] = request.to
    else:
        params["reviewer"] = getattr(request.reviewer, "pk", None)
    if request.records is not None:
        params["records"] = [list(pair) for pair in request.records]
    else:
        params["filters"] = {key: ",".join(value) if isinstance(value, tuple) else
                             ("none" if value is None else str(value)) for key, value in request.filters.items()}
        params["as_of"] = request.as_of.isoformat()
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:32]
    return job_start(actor=actor, kind=BULK_CHANGE.name, params=params,
                     idempotency_key=f"remediation_bulk:{actor.pk}:{digest}")
