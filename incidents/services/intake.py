"""Alert intake: monitoring and guardrail tools open incidents, or add to an open one, from an alert.

An alert carries a deduplication key. While an incident with that key is open, further alerts are appended to it
as `alert` timeline events (a higher severity raises the incident's, a newly named system or component is added);
otherwise the alert opens a new incident. Alerts with the same key are serialised by a transaction-scoped
PostgreSQL advisory lock on the key, so concurrent deliveries (retries, several monitors) never open two
incidents; alerts with different keys do not wait for each other.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from incidents.models import DetectionSource, Incident, IncidentClass, TimelineEvent, Track
from incidents.selectors import open_incident_by_dedup_key
from incidents.services.records import incident_open, incident_update, record_event
from inventory.models import AISystem, Component
from portal.core import inputs
from portal.core.choices import Severity

Kind = TimelineEvent.Kind

# What tools send -> the portal's severity. Matching ignores case, spaces, "-" and "_" ("SEV-1", "P0", "Critical").
SEVERITY_ALIASES = {
    "critical": Severity.P0, "p0": Severity.P0, "sev1": Severity.P0,
    "high": Severity.P1, "error": Severity.P1, "p1": Severity.P1, "sev2": Severity.P1,
    "medium": Severity.P2, "warning": Severity.P2, "p2": Severity.P2, "sev3": Severity.P2,
    "low": Severity.P3, "info": Severity.P3, "p3": Severity.P3, "sev4": Severity.P3,
}
# Lower rank is more severe.
SEVERITY_RANK = {Severity.P0: 0, Severity.P1: 1, Severity.P2: 2, Severity.P3: 3}
# An alert observed later than now plus this (clock skew between the tool and the portal) is refused.
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class AlertResult:
    incident: Incident
    created: bool


def severity_from_alert(value) -> str | None:
    """The portal severity (p0-p3) for what a tool sends, or None when it is not one of the accepted names."""
    return SEVERITY_ALIASES.get(re.sub(r"[\s_-]", "", str(value or "")).lower())


def _check_observed_at(observed_at, errors) -> None:
    if not isinstance(observed_at, datetime):
        errors["observed_at"] = "Give the time the alert was observed (ISO 8601 with a time zone)."
    elif timezone.is_naive(observed_at):
        errors["observed_at"] = "Give the time zone of the observation (e.g. 2026-03-01T10:00:00Z or +01:00)."
    elif problem := inputs.moment_out_of_range(observed_at):
        errors["observed_at"] = f"The observation time {problem}."
    elif observed_at > timezone.now() + FUTURE_TOLERANCE:
        errors["observed_at"] = (f"{observed_at.isoformat()} is in the future (more than "
                                 f"{int(FUTURE_TOLERANCE.total_seconds() // 60)} minutes ahead of the portal's clock).")


def _check_no_nul(errors, **fields) -> None:
    """Text (or JSON) with a NUL character: PostgreSQL stores it nowhere; refused under its field."""
    for field, value in fields.items():
        if field not in errors and (where := inputs.nul_path(value, field)) is not None:
            errors[field] = f"{inputs.NUL_MESSAGE} (at {where})."


def _systems(system: str, systems, errors) -> list[AISystem]:
    slugs = {"system": [system.strip()] if (system or "").strip() else [],
             "systems": [str(s).strip() for s in systems or () if str(s).strip()]}
    if not slugs["system"] and not slugs["systems"]:
        errors["system"] = "Name the affected AI system: `system` (a slug) or `systems` (a list of slugs)."
        return []
    found = AISystem.objects.in_bulk([s for group in slugs.values() for s in group], field_name="slug")
    for field, group in slugs.items():
        if unknown := [s for s in group if s not in found]:
            errors[field] = f"Unknown AI system slug(s): {', '.join(unknown)} (see /api/v1/systems/)."
    return [found[s] for s in dict.fromkeys(s for group in slugs.values() for s in group) if s in found]


def _components(references, errors) -> list[Component]:
    """Components by id (digits) or by CycloneDX bom-ref; an unknown or ambiguous reference is refused."""
    refs = list(dict.fromkeys(str(r).strip() for r in references or () if str(r).strip()))
    if not refs:  # most alerts name none: no query to build
        return []
    by_id = Component.objects.in_bulk([int(r) for r in refs if r.isdigit()])
    by_ref = {}
    for component in Component.objects.filter(bom_ref__in=[r for r in refs if not r.isdigit()]):
        by_ref.setdefault(component.bom_ref, []).append(component)
    found, problems = [], []
    for ref in refs:
        matches = [by_id[int(ref)]] if ref.isdigit() and int(ref) in by_id else by_ref.get(ref, [])
        if len(matches) == 1:
            found.append(matches[0])
        elif matches:
            problems.append(f"{ref} (bom-ref of {len(matches)} components; send the component id)")
        else:
            problems.append(ref)
    if problems:
        errors["components"] = f"Unknown components: {', '.join(problems)}; give ids or bom-refs."
    return found


def _choice(value, choices, default, field, errors) -> str:
    value = (value or "").strip() or default
    if value not in choices.values:
        errors[field] = f"Unknown {field} {value!r}; one of {', '.join(choices.values)}."
    return value


def lock_dedup_key(dedup_key: str) -> None:
    """Serialise alerts with this key until the transaction ends (PostgreSQL advisory lock on its hash).
    SQLite serialises writers on its file lock."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"incidents.alert:{dedup_key}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])


@transaction.atomic
def alert_receive(*, actor, source: str, dedup_key: str, severity: str, title: str, observed_at,
                  details="", system: str = "", systems=(), components=(), incident_class: str = "",
                  track: str = "", detection_source: str = "", source_reference: str = "") -> AlertResult:
    """Open an incident from an alert, or append the alert to the open incident with the same `dedup_key`.

    Defaults: class "other"; detection source "guardrail" when `source` names a guardrail, else "monitoring";
    track "security" for a guardrail block, else "safety". Every problem with the alert is reported at once,
    each under its field; nothing is written then.
    """
    errors = {}
    source, dedup_key, title = (source or "").strip(), (dedup_key or "").strip(), (title or "").strip()
    for field, value in (("source", source), ("dedup_key", dedup_key), ("title", title)):
        if not value:
            errors[field] = f"The alert needs its {field}."
    mapped = severity_from_alert(severity)
    if mapped is None:
        errors["severity"] = (f"Unknown severity {severity!r}; accepted: {', '.join(SEVERITY_ALIASES)} "
                              "(case-insensitive).")
    _check_observed_at(observed_at, errors)
    if not isinstance(details, str | dict):
        errors["details"] = "Details are a text or a JSON object."
    elif inputs.depth_beyond(details):
        errors["details"] = f"Details are nested more than {inputs.MAX_JSON_DEPTH} levels deep."
    _check_no_nul(errors, source=source, dedup_key=dedup_key, severity=severity, title=title, details=details,
                  system=system, systems=systems, components=components, incident_class=incident_class,
                  track=track, detection_source=detection_source, source_reference=source_reference)
    affected = _systems(system, systems, errors)
    parts = _components(components, errors)
    incident_class = _choice(incident_class, IncidentClass, IncidentClass.OTHER, "incident_class", errors)
    guessed_source = DetectionSource.GUARDRAIL if "guardrail" in source.lower() else DetectionSource.MONITORING
    detection_source = _choice(detection_source, DetectionSource, guessed_source, "detection_source", errors)
    default_track = Track.SECURITY if detection_source == DetectionSource.GUARDRAIL else Track.SAFETY
    track = _choice(track, Track, default_track, "track", errors)
    if errors:
        raise ValidationError(errors)

    alert = {"source": source, "dedup_key": dedup_key, "severity": str(severity), "mapped_severity": mapped,
             "title": title, "details": details, "observed_at": observed_at.isoformat(),
             "systems": [s.slug for s in affected], "components": [c.pk for c in parts],
             "source_reference": source_reference}
    summary = f"Alert from {source} ({mapped.upper()}): {title}"
    lock_dedup_key(dedup_key)
    incident = open_incident_by_dedup_key(dedup_key)
    if incident is None:
        incident = incident_open(
            actor=actor, title=title, track=track, incident_class=incident_class, severity=mapped,
            detected_at=observed_at, systems=affected, components=parts, detection_source=detection_source,
            dedup_key=dedup_key, source_reference=(source_reference or f"{source}:{dedup_key}")[:200],
            summary=details if isinstance(details, str) else "",
            also_events=[{"kind": Kind.ALERT, "summary": summary, "payload": {**alert, "opened": True}}],
        )
        return AlertResult(incident, True)

    record_event(incident, Kind.ALERT, actor=actor, summary=summary, payload={**alert, "opened": False})
    changes = {}
    if SEVERITY_RANK[mapped] < SEVERITY_RANK[incident.severity]:
        changes["severity"] = mapped
    for name, items in (("systems", affected), ("components", parts)):
        current = list(getattr(incident, name).all())
        if new := [i for i in items if i not in current]:
            changes[name] = current + new
    if changes:
        incident = incident_update(actor=actor, incident=incident, **changes)
    return AlertResult(incident, False)
