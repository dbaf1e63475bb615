"""Issuing PDF documents: a regulatory notification per obligation, a disclosure-decision record, a post-incident
report. Every one goes through the one renderer (`reporting.pdf`).

What a document shows is first captured as plain JSON (`render_context`), then rendered; the same context renders
to the same bytes, so a stored document can be re-rendered and compared with its SHA-256 at any time. An issued
document is immutable: issuing again creates the next version, which names the one it supersedes and why.
Rendering happens before anything is written; if it fails nothing is issued, and if saving fails the file
written for it is removed.
"""

import hashlib
from datetime import UTC

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from incidents import blast as blast_figures
from incidents.metrics import incident_metrics
from incidents.models import Incident, TimelineEvent
from incidents.services import record_event
from inventory.models import PersonalData
from portal.core import confidential, roles
from portal.core.concurrency import check_version
from portal.core.display import moment_text
from portal.core.history import save_tracked
from remediation import figures as ledger
from reporting import authorities, clock
from reporting.clock.evaluator import EVENT_LABELS
from reporting.clock.regimes import location_groups
from reporting.models import DataSubjectCategory, DisclosureDecision, Document, DocumentKind, Obligation
from reporting.pdf import render_pdf
from reporting.profile import DEFAULT_NAME, organisation_profile
from reporting.services.facts import regulatory_facts_for
from reporting.wording import in_words

SCHEMA = "ai-incident-governance-portal/document/1"
# What a notification says of a breach fact nobody has established and confirmed yet (GDPR Art. 33(4) allows
# information in phases); never the inventory's categories in its place.
NOT_ESTABLISHED = "Not yet established; to be provided in phases (Art. 33(4))"
# Obligations computed before the breach facts existed still name the inventory-derived sources until the clock
# recomputes them: a GDPR or UK GDPR notification reads the confirmed breach facts all the same.
LEGACY_BREACH_SOURCES = {
    "incident.personal_data_categories": "breach.personal_data_categories",
    "incident.data_subjects_affected": "breach.data_subjects",
}
BREACH_REGIMES = ("gdpr", "uk_gdpr")
PLACEHOLDER_WARNING = (f"Example organisation: not for submission. The notifying organisation is the placeholder "
                       f"'{DEFAULT_NAME}'; set ORGANISATION_NAME (and ORGANISATION_CONTACT, ORGANISATION_COUNTRY).")
# Layout 2 (what the reader needs first, the portal's own facts last); layout 3 of the post-incident report adds
# the remediation ledger's totals. A document keeps the template it was issued with (`Document.template`): the
# files of earlier layouts (reporting/pdf/*.html, document.css; reporting/pdf/v2/post_incident_report.html) are
# frozen, so documents issued with them still re-render to the same bytes.
TEMPLATES = {
    DocumentKind.REGULATORY_NOTIFICATION: "reporting/pdf/v2/notification.html",
    DocumentKind.DISCLOSURE_DECISION: "reporting/pdf/v2/disclosure_decision.html",
    DocumentKind.POST_INCIDENT_REPORT: "reporting/pdf/v3/post_incident_report.html",
}
# Short names of the kinds in a document's reference (`AIIR-2026-0004/decision-1/v1`).
REFERENCE_KINDS = {
    DocumentKind.REGULATORY_NOTIFICATION: "notification", DocumentKind.DISCLOSURE_DECISION: "decision",
    DocumentKind.POST_INCIDENT_REPORT: "report",
}
# Content items a notification shows only when it is issued after its deadline (GDPR Art. 33(1): a notification
# later than 72 hours gives the reasons for the delay).
LATE_ONLY_ITEMS = {"delay_reasons"}
VERIFICATION_LABELS = {
    "primary": "Against the official legal text",
    "secondary": "Against secondary sources (regulator guidance, legal trackers); the official text was not read",
    "uncertain": "Uncertain: the sources are incomplete or disagree",
}


def _iso(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _moment(moment):
    """A moment as the reader reads it in a document's text (`7 Dec 2026 00:47 UTC`), or None."""
    return moment_text(moment) if moment else None


def _clock_start_label(event: str) -> str:
    if event.startswith("submitted:"):
        return f"The submission of the earlier stage ({event.split(':', 1)[1].replace('_', ' ')})"
    label = EVENT_LABELS.get(event) or event.removesuffix("_at").replace("_", " ")
    return label[:1].upper() + label[1:]


def _name(user):
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _duration(delta):
    if delta is None:
        return None
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return " ".join(f"{v} {u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "min")) if v) or "0 min"


def incident_context(incident) -> dict:
    systems = list(incident.systems.all())
    return {
        "reference": incident.reference, "title": incident.title, "summary": incident.summary,
        "severity": incident.get_severity_display(), "status": incident.get_status_display(),
        "incident_class": incident.get_incident_class_display(), "track": incident.get_track_display(),
        "detection_source": incident.get_detection_source_display(),
        "occurred_at": _iso(incident.occurred_at), "detected_at": _iso(incident.detected_at),
        "aware_at": _iso(incident.aware_at), "contained_at": _iso(incident.contained_at),
        "recovered_at": _iso(incident.recovered_at),
        "systems": [f"{s.name} ({s.get_operator_role_display() or 'role not set'}; "
                    f"{s.get_risk_class_display() or 'risk class not assessed'})" for s in systems],
        "jurisdictions": [str(j) for j in incident.jurisdictions.all()],
        "harms": [_harm_label(h) for h in incident.harms or []],
    }


def _harm_label(value):
    from incidents.models import Harm

    return Harm(value).label if value in Harm.values else value


def _source_value(incident, source: str, organisation: dict):
    """The value of a notification content item whose source is an incident data path."""
    if source.startswith("breach."):
        return _breach_value(incident, source)
    if source.startswith("authority."):
        return competent_authority(incident, source).text
    systems = list(incident.systems.all())
    values = {
        "incident.reference": incident.reference, "incident.title": incident.title,
        "incident.summary": incident.summary or None,
        "incident.occurred_at": _moment(incident.occurred_at), "incident.detected_at": _moment(incident.detected_at),
        "incident.aware_at": _moment(incident.aware_at), "incident.contained_at": _moment(incident.contained_at),
        "incident.recovered_at": _moment(incident.recovered_at), "incident.severity": incident.get_severity_display(),
        "incident.class": incident.get_incident_class_display(),
        "incident.harms": [_harm_label(h) for h in incident.harms or []] or None,
        "incident.deaths": str(incident.deaths), "incident.serious_injuries": str(incident.serious_injuries),
        "incident.users_affected": _figure(incident, "users_affected"),
        "incident.data_subjects_affected": _count(incident.data_subjects_affected),
        "incident.decisions_affected": _figure(incident, "decisions_affected"),
        "incident.jurisdictions": [str(j) for j in incident.jurisdictions.all()] or None,
        "incident.systems": [f"{s.name}: {s.purpose}" if getattr(s, "purpose", "") else s.name
                             for s in systems] or None,
        "incident.components": [str(c) for c in incident.components.all()] or None,
        "incident.personal_data_categories": sorted({
            PersonalData(c).label if c in PersonalData.values else c
            for s in systems for c in s.personal_data_categories or []}) or None,
        "incident.containment_actions": [
            f"{_moment(a.performed_at)}: {a}" + (f" ({a.outcome})" if a.outcome else "")
            for a in incident.containment_actions.all()] or None,
        "incident.financial_loss": (f"{incident.financial_loss} {incident.financial_loss_currency}".strip()
                                    if incident.financial_loss is not None else None),
        "incident.root_cause": getattr(getattr(incident, "review", None), "root_cause", None) or None,
        "organisation.name": organisation["name"], "organisation.contact": organisation["contact"],
    }
    return values.get(source)


def _count(value):
    return None if value is None else f"{value:,}"


def _figure(incident, name):
    """A BLAST count as the incident's page shows it: from the remediation ledger where it lists records of that
    kind, saying so (`incidents.blast`)."""
    figure = blast_figures.blast_figure(incident, name)
    return figure and blast_figures.figure_text(figure)


def _labels(values, choices) -> list[str]:
    return [choices(v).label if v in choices.values else v for v in values or []]


def _breach_value(incident, source: str):
    """A breach fact of the incident (GDPR Art. 33(3)(a)) as confirmed by a compliance officer, or in words that
    it is not established yet. The approximate number of data subjects is the incident's own fact."""
    facts = regulatory_facts_for(incident)
    confirmed = facts.breach_facts_confirmed
    categories = _labels(facts.personal_data_categories, PersonalData) if confirmed else []
    if source == "breach.personal_data_categories":
        return categories or NOT_ESTABLISHED
    if source == "breach.data_subjects":
        kinds = _labels(facts.data_subject_categories, DataSubjectCategory) if confirmed else []
        number = _count(incident.data_subjects_affected)
        return [f"Categories: {'; '.join(kinds) if kinds else NOT_ESTABLISHED}",
                f"Approximate number: {number or NOT_ESTABLISHED}"]
    if source == "breach.records":
        if not confirmed or facts.records_concerned is None:
            return NOT_ESTABLISHED
        return [f"Approximate number: {_count(facts.records_concerned)}",
                f"Categories: {'; '.join(categories) if categories else NOT_ESTABLISHED}"]
    return None


def _breach_facts(incident) -> dict:
    """Who confirmed the breach facts and when (embedded in the notification's data)."""
    facts = regulatory_facts_for(incident)
    return {"confirmed": facts.breach_facts_confirmed,
            "confirmed_by": _name(facts.breach_facts_confirmed_by) if facts.breach_facts_confirmed else None,
            "confirmed_at": _iso(facts.breach_facts_confirmed_at)}


def competent_authority(incident, source: str) -> authorities.Competence:
    """The supervisory authority a breach notification goes to: `authority.gdpr` (the lead authority of the main
    establishment, ORGANISATION_COUNTRY, or else each affected EEA country's) or `authority.uk_gdpr` (the ICO)."""
    if source == "authority.uk_gdpr":
        return authorities.uk_competence()
    return authorities.gdpr_competence(
        main_establishment=organisation_profile().country,
        locations=[j.code for j in incident.jurisdictions.all()], eea=location_groups()["eea"])


def obligation_authority(obligation) -> authorities.Competence | None:
    """The competent supervisory authority of an obligation whose notification names one (GDPR, UK GDPR)."""
    source = next((i["source"] for i in obligation.content_items if i.get("source", "").startswith("authority.")),
                  None)
    return competent_authority(obligation.incident, source) if source else None


def _organisation():
    profile = organisation_profile()
    organisation = {"name": profile.name, "contact": profile.contact}
    if profile.country:
        organisation["country"] = profile.country
    if profile.is_placeholder:
        organisation["placeholder"] = True
    return organisation


def placeholder_refusal(kind):
    """Refuse a regulatory notification naming the placeholder organisation, in production (DEBUG off); in
    development it is issued with a visible flag."""
    if kind == DocumentKind.REGULATORY_NOTIFICATION and organisation_profile().is_placeholder and not settings.DEBUG:
        raise ValidationError(
            f"Regulatory notifications are not issued for the placeholder organisation '{DEFAULT_NAME}': set "
            "ORGANISATION_NAME (and ORGANISATION_CONTACT, ORGANISATION_COUNTRY) to the organisation that notifies.",
            code="placeholder_organisation")


def document_warnings(document) -> list[str]:
    """What a reader of an issued document must know before using it (today: it names the placeholder
    organisation, so it is not for submission)."""
    organisation = (document.render_context or {}).get("organisation") or {}
    return [PLACEHOLDER_WARNING] if organisation.get("placeholder") else []


def notification_context(obligation: Obligation, *, issued_at=None) -> dict:
    """What a notification shows. Content items that only a late notification needs (`LATE_ONLY_ITEMS`, the
    reasons for a delay) are left out unless it is issued (`issued_at`) after the deadline."""
    incident = obligation.incident
    organisation = _organisation()
    late = bool(obligation.due_at and issued_at and issued_at > obligation.due_at)
    content, sources = [], {item.get("source", "") for item in obligation.content_items}
    for item in obligation.content_items:
        if item.get("key") in LATE_ONLY_ITEMS and not late:
            continue
        source = item.get("source", "")
        if obligation.regime in BREACH_REGIMES:
            source = LEGACY_BREACH_SOURCES.get(source, source)
            sources.add(source)
        if source == "entered":
            value = obligation.content.get(item["key"]) or None
        else:
            value = _source_value(incident, source, organisation)
        entry = {"label": item.get("label", item["key"]), "provision": item.get("provision", ""), "value": value,
                 "missing": value in (None, "", [], NOT_ESTABLISHED)}
        if value == NOT_ESTABLISHED:
            entry.update(value=None, pending=NOT_ESTABLISHED)
        content.append(entry)
    extra = {}
    if any(source.startswith("breach.") for source in sources):
        extra["breach_facts"] = _breach_facts(incident)
    if competence := obligation_authority(obligation):
        extra["authority"] = {"text": competence.text, "one_stop_shop": competence.one_stop_shop,
                              "names": [a.name for a in competence.authorities]}
    return {
        **extra,
        "organisation": organisation,
        "late": late,
        "summary_in_content": "incident.summary" in sources,
        "obligation": {
            "key": obligation.key, "regime_name": obligation.regime_name, "provision": obligation.provision,
            "stage_name": obligation.stage_name, "recipient": in_words(obligation.recipient),
            "jurisdiction": obligation.jurisdiction, "clock_start_event": obligation.clock_start_event,
            "clock_start_label": _clock_start_label(obligation.clock_start_event),
            "clock_starts_at": _iso(obligation.clock_starts_at), "due_at": _iso(obligation.due_at),
            "rule": in_words(obligation.rule), "verification": obligation.verification,
            "verification_label": VERIFICATION_LABELS.get(obligation.verification, obligation.verification),
            "uncertain": obligation.uncertain,
            "note": in_words(obligation.note), "source": obligation.source,
            "status": obligation.get_status_display(),
            "submitted_at": _iso(obligation.submitted_at), "authority_reference": obligation.authority_reference,
        },
        "content": content,
    }


def disclosure_context(decision: DisclosureDecision) -> dict:
    # No confidential field (the privileged analysis) is ever part of a rendered or exported record.
    text = confidential.shareable(decision, ("rationale", "legal_basis", "shareable_summary", "review_note"))
    return {"decision": {
        "audience_label": decision.get_audience_display(), "decision_label": decision.get_decision_display(),
        **text, "decided_by": _name(decision.decided_by),
        "decided_at": _iso(decision.decided_at), "approved_by": _name(decision.approved_by),
        "approved_at": _iso(decision.approved_at), "status_label": decision.get_status_display(),
        "gdpr_33_5_record": decision.is_gdpr_33_5_record,
        "revisit_by": decision.revisit_by.isoformat() if decision.revisit_by else None,
    }}


def _yes_no(value) -> str:
    return "Not known" if value is None else ("Yes" if value else "No")


def _blast(incident: Incident) -> list[list[str]]:
    """The BLAST scope of the incident as (label, value) rows, in words."""
    exposure = (f"{_moment(incident.exposure_started_at) or 'start not known'} to "
                f"{_moment(incident.exposure_ended_at) or 'not ended or not known'}"
                if incident.exposure_started_at or incident.exposure_ended_at else "Not known")
    loss = (f"{incident.financial_loss:,} {incident.financial_loss_currency}".strip()
            if incident.financial_loss is not None else "Not known")
    return [
        *([figure.label, blast_figures.figure_text(figure) or "Not known"]
          for figure in blast_figures.blast_figures(incident)),
        ["Exposure window", exposure],
        ["Scope", incident.get_scope_display()],
        ["Personal data involved", _yes_no(incident.personal_data_involved)],
        ["Data subjects affected", _count(incident.data_subjects_affected) or "Not known"],
        ["Deaths", str(incident.deaths)], ["Serious injuries", str(incident.serious_injuries)],
        ["Financial loss", loss],
    ]


def _validation(validation) -> dict | None:
    """The latest recovery validation: each check's outcome and both sign-offs (engineering, compliance)."""
    if validation is None:
        return None
    return {
        "checks": [[label, getattr(validation, f"get_{name}_display")()]
                   for name, label in (("functional", "Functional tests"), ("stress", "Stress tests"),
                                       ("bias", "Bias and fairness tests"), ("security", "Security tests"))],
        "notes": validation.notes,
        "engineering_by": _name(validation.engineering_signoff_by),
        "engineering_at": _iso(validation.engineering_signoff_at),
        "compliance_by": _name(validation.compliance_signoff_by),
        "compliance_at": _iso(validation.compliance_signoff_at),
    }


def remediation_context(incident: Incident) -> dict | None:
    """The remediation ledger's totals: records by state (zeros included), the share notified or closed, and how
    many timeline events of single records the report's timeline leaves out; None when the ledger lists no record
    of the incident."""
    counts = ledger.incident_state_counts(incident)
    if not counts.total:
        return None
    percent = counts.done * 100 // counts.total  # rounded down: 100% only when every record is done
    record_events = incident.timeline.filter(payload__has_key=ledger.RECORD_EVENT_KEY).count()
    return {"total": f"{counts.total:,}", "states": [[label, f"{n:,}"] for _, label, n in counts.states],
            "done": f"{counts.done:,}", "done_share": f"{percent}%", "record_events": f"{record_events:,}"}


def post_incident_context(incident: Incident) -> dict:
    review = getattr(incident, "review", None)
    metrics = incident_metrics(incident)
    validation = (incident.recovery_validations.select_related("engineering_signoff_by", "compliance_signoff_by")
                  .order_by("-created_at", "-pk").first())
    return {
        "review": None if review is None else {
            "root_cause": review.root_cause, "contributing_factors": review.contributing_factors,
            "what_worked": review.what_worked, "lessons": review.lessons,
            "runbook_updated": review.runbook_updated, "regression_case_added": review.regression_case_added,
            "reviewed_by": _name(review.reviewed_by), "reviewed_at": _iso(review.reviewed_at),
            "action_items": [{"title": a.description, "owner": _name(a.owner), "due_on": a.due_on.isoformat(),
                              "status": "done" if a.done_at else "open"} for a in review.action_items.all()],
        },
        "metrics": {name: _duration(value) for name, value in metrics.items()},
        "blast": _blast(incident),
        "remediation": remediation_context(incident),
        "classification": {
            "atlas": [str(t) for t in incident.atlas_techniques.order_by("pk")],
            "owasp": [str(r) for r in incident.owasp_risks.order_by("pk")],
        },
        "recovery_validation": _validation(validation),
        # A ledger's record-by-record changes are counted in the remediation section, not listed here (they can
        # be thousands); each is in the record's history and the audit bundle.
        "timeline": [{"at": _iso(e.at), "kind": e.get_kind_display(), "summary": e.summary, "actor": _name(e.actor)}
                     for e in incident.timeline.exclude(payload__has_key=ledger.RECORD_EVENT_KEY)
                     .select_related("actor").order_by("at", "pk")],
        "obligations": [{"regime_name": o.regime_name, "stage_name": o.stage_name, "jurisdiction": o.jurisdiction,
                         "due_at": _iso(o.due_at), "status": o.get_status_display(),
                         "submitted_at": _iso(o.submitted_at), "authority_reference": o.authority_reference}
                        for o in incident.obligations.all()],
        "containment": [{"kind": a.get_kind_display(), "target": str(a.target_component or a.target_system),
                         "performed_at": _iso(a.performed_at), "outcome": a.outcome}
                        for a in incident.containment_actions.select_related("target_system", "target_component")],
    }


def _subject(kind, *, obligation=None, disclosure=None, incident=None):
    if kind == DocumentKind.REGULATORY_NOTIFICATION:
        if obligation is None:
            raise ValidationError({"obligation": "A regulatory notification is issued for an obligation."})
        return obligation.incident, f"obligation:{obligation.pk}", (
            f"{obligation.regime_name}: {obligation.stage_name}"
            + (f" ({obligation.jurisdiction})" if obligation.jurisdiction else ""))
    if kind == DocumentKind.DISCLOSURE_DECISION:
        if disclosure is None:
            raise ValidationError({"disclosure": "A disclosure-decision record is issued for a decision."})
        if disclosure.status != DisclosureDecision.Status.APPROVED:
            raise ValidationError("Only an approved disclosure decision can be issued as a record.")
        return disclosure.incident, f"disclosure:{disclosure.pk}", (
            f"Disclosure decision: {disclosure.get_decision_display()} to {disclosure.get_audience_display()}")
    if kind == DocumentKind.POST_INCIDENT_REPORT:
        if incident is None:
            raise ValidationError({"incident": "A post-incident report is issued for an incident."})
        return incident, f"incident:{incident.pk}", f"Post-incident report {incident.reference}"
    raise ValidationError({"kind": f"Documents of kind {kind!r} are not issued here."})


def _kind_context(kind, *, obligation, disclosure, incident, issued_at=None):
    if kind == DocumentKind.REGULATORY_NOTIFICATION:
        return notification_context(obligation, issued_at=issued_at)
    if kind == DocumentKind.DISCLOSURE_DECISION:
        return disclosure_context(disclosure)
    return post_incident_context(incident)


def _short_name(kind, subject) -> str:
    """The document's kind and record as people quote them: `notification-11`, `decision-3`, `report` (the
    record's number, not the portal's internal subject key)."""
    if kind == DocumentKind.POST_INCIDENT_REPORT:
        return REFERENCE_KINDS[kind]
    return f"{REFERENCE_KINDS[kind]}-{subject.rsplit(':', 1)[-1]}"


def _reference(incident, kind, subject, version) -> str:
    """`AIIR-2026-0004/notification-11/v1`."""
    return f"{incident.reference}/{_short_name(kind, subject)}/v{version}"


def _file_name(incident, kind, subject, version, digest):
    return f"documents/{slugify(incident.reference)}/{slugify(_short_name(kind, subject))}-v{version}-{digest[:12]}.pdf"


def render_document(render_context: dict, template: str) -> bytes:
    """The PDF for a stored render context (the document's embedded JSON is that context)."""
    return render_pdf(template=template, context=render_context, attachment={"schema": SCHEMA, **render_context},
                      title=render_context["document"]["title"])


def _stored(record, model):
    """The record as stored now (the caller's copy may be older), or None."""
    if record is None:
        return None
    queryset = model.objects.all() if model is Incident else model.objects.select_related("incident")
    return queryset.get(pk=record.pk)


def _version_label(record) -> str:
    if isinstance(record, Incident):
        return record.reference
    if isinstance(record, DisclosureDecision):
        return f"Disclosure decision {record.pk} of {record.incident.reference}"
    return f"{record} of {record.incident.reference}"


def document_issue(*, actor, kind, obligation=None, disclosure=None, incident=None,
                   correction_reason: str = "", expected_version=None) -> Document:
    """Issue the next version of a document for its record. A version after the first supersedes the previous
    one and needs the reason for the correction.

    The issue is bound to the version of the record the issuer saw (`expected_version`, required): the
    obligation's for a notification, the decision's for a disclosure-decision record, the incident's for a
    post-incident report. The record is rendered as stored, and refused (naming who changed what and when) when
    it is no longer at that version.

    The PDF is rendered before any lock is taken (rendering takes a second or more); the write then re-checks,
    under the row locks, that the record is still at that version and that nobody issued a version of the same
    document meanwhile.
    """
    if roles.COMPLIANCE_OFFICER not in roles.user_roles(actor):
        raise ValidationError("Only a compliance officer can issue documents.", code="role")
    obligation, disclosure = _stored(obligation, Obligation), _stored(disclosure, DisclosureDecision)
    incident = _stored(incident, Incident)
    incident, subject, title = _subject(kind, obligation=obligation, disclosure=disclosure, incident=incident)
    placeholder_refusal(kind)
    record = {DocumentKind.REGULATORY_NOTIFICATION: obligation, DocumentKind.DISCLOSURE_DECISION: disclosure}.get(
        kind, incident)
    check_version(record, expected_version, label=_version_label(record), required=True)
    previous = Document.objects.filter(kind=kind, subject=subject).order_by("-version").first()
    version = previous.version + 1 if previous else 1
    if previous is not None and not correction_reason.strip():
        raise ValidationError({"correction_reason": f"Version {previous.version} was already issued; say what "
                                                    "this new version corrects."})
    incident = Incident.objects.prefetch_related("systems", "jurisdictions").get(pk=incident.pk)
    issued_at = timezone.now().replace(microsecond=0)
    reference_version = clock.reference_data_version()
    context = {
        "document": {
            "title": title, "kind_label": DocumentKind(kind).label,
            "reference": _reference(incident, kind, subject, version), "version": version,
            "issued_at": _iso(issued_at), "issued_by": _name(actor),
            "supersedes": f"v{previous.version}" if previous else None,
            "correction_reason": correction_reason.strip() or None,
            "reference_data_version": reference_version,
        },
        "incident": incident_context(incident),
        **_kind_context(kind, obligation=obligation, disclosure=disclosure, incident=incident, issued_at=issued_at),
    }
    template = TEMPLATES[kind]
    pdf = render_document(context, template)  # raises RenderError: nothing written yet
    digest = hashlib.sha256(pdf).hexdigest()
    name = default_storage.save(_file_name(incident, kind, subject, version, digest), ContentFile(pdf))
    try:
        with transaction.atomic():
            locked = Incident.objects.select_for_update().get(pk=incident.pk)  # serialises versions per incident
            if not isinstance(record, Incident):
                locked = type(record).objects.select_for_update().select_related("incident").get(pk=record.pk)
            # Still the version seen and rendered: a change while the PDF was rendered refuses the issue.
            check_version(locked, expected_version, label=_version_label(locked), required=True)
            latest = Document.objects.filter(kind=kind, subject=subject).aggregate(v=Max("version"))["v"] or 0
            if latest != version - 1:
                raise ValidationError(f"Version {latest} of this document was issued while this one was being "
                                      "rendered; issue it again to supersede that one.", code="stale")
            document = Document(
                incident=incident, kind=kind, subject=subject, obligation=obligation, disclosure=disclosure,
                version=version, title=title, file=name, sha256=digest, size=len(pdf), render_context=context,
                template=template, reference_data_version=reference_version, issued_by=actor,
                issued_at=issued_at, supersedes=previous, correction_reason=correction_reason.strip(),
            )
            save_tracked(document, actor=actor)
            record_event(incident, TimelineEvent.Kind.DOCUMENT, actor=actor,
                         summary=f"Issued: {title} v{version}"
                                 + (f" (supersedes v{previous.version})" if previous else ""),
                         payload={"document": document.pk, "kind": kind, "subject": subject, "version": version,
                                  "sha256": digest, "supersedes": previous.pk if previous else None,
                                  "record_version": int(expected_version)})
    except Exception:
        default_storage.delete(name)
        raise
    return document


def document_verify(document: Document) -> list[str]:
    """Problems found with an issued document: the stored file's digest, and a fresh render of its stored context
    (which must give the same bytes). An empty list means it verifies."""
    problems = []
    try:
        with default_storage.open(document.file.name, "rb") as handle:
            stored = handle.read()
    except OSError as exc:
        return [f"The file is missing: {exc}"]
    if hashlib.sha256(stored).hexdigest() != document.sha256:
        problems.append("The stored file does not match its recorded SHA-256.")
    if hashlib.sha256(render_document(document.render_context, document.template)).hexdigest() != document.sha256:
        problems.append("Re-rendering the recorded content gives different bytes.")
    return problems
