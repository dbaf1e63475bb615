"""Reads of the audit pages: every version of a record and of its sub-records, with who, when, from where, the
change type and the field-by-field difference to the previous version; the search of the index page.

A record's trail is built from the history tables directly, so sub-records deleted since still show. The cost
is bounded whatever the number of rows: one query per kind of sub-record, one per many-to-many snapshot, one per
kind of related row named (users, systems, components ...), looked up in bulk after all rows are read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet, Subquery

from incidents.models import (
    ActionItem,
    ChecklistItem,
    ContainmentAction,
    CustodyEntry,
    Evidence,
    Incident,
    PostIncidentReview,
    RecoveryValidation,
    TimelineEvent,
)
from inventory.models import AISystem, Component, EscalationStep, RaciAssignment, SystemComponent
from portal.core import auditchain, confidential
from portal.core.audit import Source
from reporting.audit import chain, diff
from reporting.models import DisclosureDecision, Document, Obligation, RegulatoryFacts

CHANGE_TYPES = {"+": "Created", "~": "Changed", "-": "Deleted"}
SOURCES = dict(Source.CHOICES)
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Part:
    """A kind of record shown on an audit page: which history rows belong to the subject, and their names."""

    key: str
    title: str
    model: type[Model]
    scope: Callable[[Any], Q]
    name: Callable[[Any, diff.ValueText], str]
    omit: tuple[str, ...] = ()  # the pointer to the subject itself: the same on every row

    @property
    def spec(self) -> diff.HistorySpec:
        return diff.HistorySpec.of(self.model, self.omit)

    def rows(self, subject) -> QuerySet:
        history = self.spec.history_model.objects.filter(self.scope(subject))
        return history.prefetch_related(*self.spec.prefetch).order_by("id", "history_date", "history_id")


def _history_ids(model, **filters):
    return Subquery(model.history.model.objects.filter(**filters).values("id"))


def _of_incident(incident) -> Q:
    return Q(incident_id=incident.pk)


def _of_system(system) -> Q:
    return Q(system_id=system.pk)


def _own(subject) -> Q:
    return Q(id=subject.pk)


INCIDENT_PARTS = (
    Part("incident", "Incident", Incident, _own, lambda r, t: f"{r.reference} {r.title}"),
    Part("facts", "Regulatory facts", RegulatoryFacts, _of_incident, lambda r, t: "Regulatory facts",
         omit=("incident",)),
    Part("obligation", "Obligations", Obligation, _of_incident,
         lambda r, t: f"{r.regime_name}: {r.stage_name}" + (f" ({r.jurisdiction})" if r.jurisdiction else ""),
         omit=("incident",)),
    Part("disclosure", "Disclosure decisions", DisclosureDecision, _of_incident,
         lambda r, t: f"{r.get_decision_display()} to {r.get_audience_display().lower()}", omit=("incident",)),
    Part("document", "Documents", Document, _of_incident, lambda r, t: f"{r.title} v{r.version}",
         omit=("incident",)),
    Part("containment", "Containment actions", ContainmentAction, _of_incident,
         lambda r, t: f"{r.get_kind_display()} on {t.name(AISystem, r.target_system_id)}", omit=("incident",)),
    Part("evidence", "Evidence", Evidence, _of_incident, lambda r, t: r.title, omit=("incident",)),
    Part("custody", "Chain of custody", CustodyEntry,
         lambda i: Q(evidence_id__in=_history_ids(Evidence, incident_id=i.pk)),
         lambda r, t: f"{r.get_action_display()}: {t.name(Evidence, r.evidence_id)}"),
    Part("recovery", "Recovery validations", RecoveryValidation, _of_incident,
         lambda r, t: f"Recovery validation #{r.id}", omit=("incident",)),
    Part("review", "Post-incident review", PostIncidentReview, _of_incident, lambda r, t: "Post-incident review",
         omit=("incident",)),
    Part("action_item", "Review action items", ActionItem,
         lambda i: Q(review_id__in=_history_ids(PostIncidentReview, incident_id=i.pk)),
         lambda r, t: r.description, omit=("review",)),
    Part("checklist", "Checklist items", ChecklistItem, _of_incident, lambda r, t: f"{r.order}. {r.title}",
         omit=("incident",)),
)

SYSTEM_PARTS = (
    Part("system", "AI system", AISystem, _own, lambda r, t: f"{r.name} ({r.slug})"),
    Part("component_link", "Components used", SystemComponent, _of_system,
         lambda r, t: f"Uses {t.name(Component, r.component_id)}",
         omit=("system",)),
    Part("raci", "RACI assignments", RaciAssignment, _of_system,
         lambda r, t: f"{r.get_activity_display()}: {r.get_role_display()}", omit=("system",)),
    Part("escalation", "Escalation steps", EscalationStep, _of_system,
         lambda r, t: f"{r.get_severity_display()} step {r.order}", omit=("system",)),
)

DOCUMENT_PARTS = (
    Part("document", "Document", Document, _own, lambda r, t: f"{r.title} v{r.version}"),
)


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: str
    new: str
    old_value: Any
    new_value: Any
    withheld: bool = False


@dataclass
class Version:
    part: Part
    object_id: Any
    object_name: str
    history_id: int
    history_date: datetime
    history_type: str
    user: str | None
    source: str
    reason: str
    changes: list[FieldChange]
    chain_hash: str | None
    chain_break: bool = False

    @property
    def type_label(self) -> str:
        return CHANGE_TYPES.get(self.history_type, self.history_type)

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source or "—")

    @property
    def model_label(self) -> str:
        return self.part.model._meta.label_lower


@dataclass
class PartSummary:
    part: Part
    objects: int
    versions: int
    chain: chain.ChainStatus  # of the history table
    snapshot_chains: list[chain.ChainStatus] = field(default_factory=list)  # of its many-to-many snapshot tables

    @property
    def chains(self) -> list[chain.ChainStatus]:
        return [self.chain, *self.snapshot_chains]


@dataclass
class AuditTrail:
    subject: Any
    versions: list[Version]
    parts: list[PartSummary]
    record_chain: chain.RecordChainStatus
    chain_state: str = field(init=False)
    chain_text: str = field(init=False)

    def __post_init__(self):
        self.chain_state, self.chain_text = chain.overall(c for p in self.parts for c in p.chains)

    def of_part(self, key: str | None) -> list[Version]:
        return [v for v in self.versions if v.part.key == key] if key else self.versions


def _labels(wanted: dict[type[Model], set]) -> dict[type[Model], dict]:
    """One query per model named: ``{model: {pk: label}}``."""
    labels = {}
    user_model = get_user_model()
    for model, ids in wanted.items():
        if not ids:
            continue
        rows = model._default_manager.all()
        if model is user_model:
            rows = rows.only("pk", "username", "first_name", "last_name")
        labels[model] = {pk: diff.related_label(obj) for pk, obj in rows.in_bulk(list(ids)).items()}
    return labels


def audit_trail(parts, subject, *, reader, full: bool = False) -> AuditTrail:
    """Every version of `subject` (the first part) and of the records of the other parts, oldest first, with the
    chain status: of the rows shown and the links of their tables (a page), or of every row of those tables
    (`full`, the bundle). The values of confidential fields `reader` is not cleared for are withheld (`reader`
    None: every confidential value, as in the bundle)."""
    user_model = get_user_model()
    loaded, wanted = [], defaultdict(set)
    for part in parts:
        spec = part.spec
        rows = [(row, diff.snapshot(row, spec)) for row in part.rows(subject)]
        for row, values in rows:
            for model, ids in diff.references(spec, values).items():
                wanted[model] |= ids
            if row.history_user_id is not None:
                wanted[user_model].add(row.history_user_id)
        loaded.append((part, rows))
    text = diff.ValueText(_labels(wanted), reader=reader)

    statuses = {}
    if not full:  # every table of the page in one consistent read: points, heads, the rows after the points
        shown = {}
        for part, rows in loaded:
            spec = part.spec
            shown.setdefault(spec.history_model, []).extend(row for row, _ in rows)
            for m in spec.m2m:  # the snapshot rows were prefetched with the history rows
                shown.setdefault(m.snapshot_model, []).extend(s for r, _ in rows for s in getattr(r, m.accessor).all())
        statuses = chain.page_chain_statuses(shown)
    versions, summaries = [], []
    for order, (part, rows) in enumerate(loaded):
        spec = part.spec
        if full:
            status = chain.model_chain_status(spec.history_model)
            snapshot_chains = [chain.model_chain_status(m.snapshot_model) for m in spec.m2m]
        else:
            status = statuses[spec.history_model._meta.label]
            snapshot_chains = [statuses[m.snapshot_model._meta.label] for m in spec.m2m]
        previous: dict[Any, dict] = {}
        part_versions = []
        for row, values in rows:
            before = previous.get(row.id)
            found = [] if row.history_type == "-" else diff.changes(before, values, spec)
            previous[row.id] = values
            part_versions.append(Version(
                part=part, object_id=row.id, object_name=part.name(row, text), history_id=row.history_id,
                history_date=row.history_date, history_type=row.history_type,
                user=text.name(user_model, row.history_user_id) if row.history_user_id else None,
                source=getattr(row, "history_source", ""), reason=row.history_change_reason or "",
                changes=[_field_change(text, spec, c) for c in found],
                chain_hash=getattr(row, spec.chain_hash_field) if spec.chain_hash_field else None,
                chain_break=status.break_id is not None and status.break_id == row.history_id,
            ))
        versions.extend((v.history_date, order, v.history_id, v) for v in part_versions)
        summaries.append(PartSummary(
            part=part, objects=len({v.object_id for v in part_versions}), versions=len(part_versions), chain=status,
            snapshot_chains=snapshot_chains))
    versions.sort(key=lambda item: item[:3])
    head = parts[0]
    if full:
        record_chain = chain.record_chain_status(head.spec.history_model, (row for row, _ in loaded[0][1]))
    else:  # the subject's own rows are the rows shown of the first table
        record_chain = chain.RecordChainStatus(ok=summaries[0].chain.ok, first_break=summaries[0].chain.first_break)
    return AuditTrail(subject=subject, versions=[v for *_, v in versions], parts=summaries, record_chain=record_chain)


def _field_change(text: diff.ValueText, spec: diff.HistorySpec, change: diff.Change) -> FieldChange:
    if text.withheld(spec, change):
        return FieldChange(change.name, change.label, diff.WITHHELD, diff.WITHHELD, None, None, withheld=True)
    return FieldChange(
        name=change.name, label=change.label,
        old=text.text(change.field, change.old), new=text.text(change.field, change.new),
        old_value=text.plain(change.field, change.old), new_value=text.plain(change.field, change.new),
    )


def incident_audit_trail(incident: Incident, *, reader=None, full: bool = False) -> AuditTrail:
    return audit_trail(INCIDENT_PARTS, incident, reader=reader, full=full)


def system_audit_trail(system: AISystem, *, reader=None) -> AuditTrail:
    return audit_trail(SYSTEM_PARTS, system, reader=reader)


def document_audit_trail(document: Document, *, reader=None) -> AuditTrail:
    return audit_trail(DOCUMENT_PARTS, document, reader=reader)


def incident_for_audit(reference: str) -> Incident | None:
    return Incident.objects.filter(reference=reference).first()


def system_for_audit(slug: str) -> AISystem | None:
    return AISystem.objects.filter(slug=slug).first()


def document_for_audit(pk: int) -> Document | None:
    return Document.objects.select_related("incident", "issued_by").filter(pk=pk).first()


def incident_timeline_events(incident: Incident) -> QuerySet[TimelineEvent]:
    return incident.timeline.select_related("actor").order_by("at", "id")


@dataclass(frozen=True)
class SearchResults:
    query: str
    incidents: list[Incident]
    systems: list[AISystem]
    documents: list[Document]

    @property
    def empty(self) -> bool:
        return not (self.incidents or self.systems or self.documents)


# What the search reads, per kind of record: never a confidential field the reader is not cleared for.
SEARCH_FIELDS = {
    Incident: ("reference", "title"),
    AISystem: ("name", "slug"),
    Document: ("title", "subject", "incident__reference"),
}


def _text_match(model, query: str, reader) -> Q:
    paths = confidential.readable_paths(model, SEARCH_FIELDS[model], reader)
    if not paths:
        return Q(pk__in=[])
    match = Q()
    for path in paths:
        match |= Q(**{f"{path}__icontains": query})
    return match


def audit_search(query: str, *, reader=None, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Incidents by reference or title, AI systems by name or slug, documents by id, title or incident; without a
    query, the most recent of each. A field `reader` may not read (`portal.core.confidential`) is never searched."""
    query = (query or "").strip()[:200]
    incidents = Incident.objects.only("id", "reference", "title", "status", "severity", "detected_at")
    systems = AISystem.objects.only("id", "name", "slug", "lifecycle")
    documents = (Document.objects.select_related("incident").only(
        "id", "title", "version", "kind", "issued_at", "incident__reference").order_by("-issued_at", "-id"))
    if query:
        incidents = incidents.filter(_text_match(Incident, query, reader))
        systems = systems.filter(_text_match(AISystem, query, reader))
        by_text = _text_match(Document, query, reader)
        if query.isdigit():
            by_text |= Q(pk=int(query))
        documents = documents.filter(by_text)
    return SearchResults(query=query, incidents=list(incidents[:limit]), systems=list(systems[:limit]),
                         documents=list(documents[:limit]))


@dataclass(frozen=True)
class VerificationSummary:
    """What the last verification runs found, for the audit index page: the tables whose newest run found a break,
    and when the newest and the oldest of the tables' last verified points were recorded."""

    broken: list  # ChainVerification rows that found a break, newest per table
    tables: int
    verified: int  # tables whose newest run verified
    newest: datetime | None
    oldest: datetime | None

    @property
    def never(self) -> int:
        return self.tables - self.verified - len(self.broken)


def chain_verification_summary() -> VerificationSummary:
    labels = [m._meta.label for m in auditchain.chained_models()]
    latest = auditchain.latest_verifications(labels)
    broken = sorted((v for v in latest.values() if not v.ok), key=lambda v: v.label)
    good = [v.verified_at for v in latest.values() if v.ok]
    return VerificationSummary(broken=broken, tables=len(labels), verified=len(good),
                               newest=max(good, default=None), oldest=min(good, default=None))
