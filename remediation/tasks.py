"""Job kinds of the remediation ledger: a bulk change of the records a filter selects (`services.bulk`), run in the
background with its progress in records."""

import hashlib
import json

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from portal.core import roles
from portal.core.display import moment_text, person
from portal.core.jobs import JobFailed, JobKind, JobResult, job_start, register
from remediation import selectors, states
from remediation.services.bulk import affected_records_bulk_change, check_request


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
        url = reverse("admin:remediation_affectedrecord_changelist") + f"?incident__id__exact={int(incident)}"
        label = "The incident's ledger"
    return JobResult(summary=result.summary(), url=url, label=label)


def _describe(params):
    action = params.get("action")
    if action == "move":
        what = f"Move to {states.label(params['to'])}" if params.get("to") in states.State.values else "Move"
    else:
        from django.contrib.auth import get_user_model

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
            from datetime import datetime

            rows.append(("As seen at", moment_text(datetime.fromisoformat(params["as_of"]), seconds=True)))
        incident = (params.get("filters") or {}).get("incident")
        if incident:
            rows.append(("Ledger", format_html('<a href="{}?incident__id__exact={}">the incident\'s ledger</a>',
                                               reverse("admin:remediation_affectedrecord_changelist"),
                                               int(incident))))
    if params.get("note"):
        rows.append(("Note", params["note"]))
    return rows


BULK_CHANGE = register(JobKind(name="remediation.bulk_change", label="Bulk change of affected records", run=_bulk,
                               unit="records", describe=_describe,
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
