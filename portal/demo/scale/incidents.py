"""Incidents of the scale data set, generated and written a chunk at a time.

Each incident: detected at a moment spread over about three years before now, a severity (P0 3%, P1 15%, P2 42%,
P3 40%), a class and its runbook as checklist (about 11 items), two AI systems of one profile, two of their
components, two ATLAS techniques, the jurisdictions of its fact template and the template's obligations (about
two, from the regulatory clock, see `obligations`). Its lifecycle follows from time: acknowledgement, containment,
recovery and closure each come a random share of the severity's SLA window after the previous step (about one in
ten late), and the incident is in the state whose timestamp is the last one before now; 5% are dismissed at
triage and 8% stall at a random open state. Older incidents are therefore almost all closed and recent ones open, with
the timestamps MTTD, MTTA, MTTC and MTTR read. Checklist items of the phases passed are done; obligations of
closed incidents are submitted; a quarter of incidents have an evidence item (with the custody entry of its
collection), most contained ones a containment action; a recovered incident has its recovery validation, every
test passed and signed by engineering and compliance before recovery, and a closed one its post-incident review.
Timeline events: opened, obligations computed, each status change, containment, evidence, sign-off and review.

History: every record gets one row with its state as loaded, dated at its last change and naming the acting user,
with the incident's many-to-many snapshots; a submitted obligation gets two (created open, then submitted) and a
recovery validation three (recorded, signed by engineering, then by compliance). About 26 history rows per
incident, chained per table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from types import SimpleNamespace

from django.conf import settings

from incidents import sla
from incidents.lifecycle import Status
from incidents.models import (
    AtlasTechnique,
    ChecklistItem,
    ContainmentAction,
    ContainmentKind,
    CustodyEntry,
    DetectionSource,
    Evidence,
    Incident,
    IncidentClass,
    IncidentSequence,
    Intent,
    Outcome,
    Phase,
    PostIncidentReview,
    RecoveryValidation,
    Runbook,
    TimelineEvent,
)
from inventory.models import Jurisdiction
from portal.core.audit import Source
from portal.core.businesstime import BusinessCalendar
from portal.demo.scale import obligations as templates
from portal.demo.scale.inventory import Inventory
from portal.demo.scale.tables import HistoryChain, copy_rows, defaults, reserve_ids
from reporting.models import Obligation

Kind = TimelineEvent.Kind
SPAN = dt.timedelta(days=3 * 365)
SEVERITIES = (("p0", 3), ("p1", 15), ("p2", 42), ("p3", 40))
SECURITY_CLASSES = frozenset({"prompt_injection", "jailbreak", "unauthorised_agent_action", "data_poisoning",
                              "model_extraction", "supply_chain", "data_leakage"})
PHASES = list(Phase.values)
# Choices as plain lists and labels (an enum's `values` builds a new list on every access).
CLASSES, CLASS_LABELS = list(IncidentClass.values), dict(IncidentClass.choices)
DETECTION_SOURCES = list(DetectionSource.values)
CONTAINMENT_KINDS, CONTAINMENT_LABELS = list(ContainmentKind.values), dict(ContainmentKind.choices)
STATUS_LABELS = dict(Status.choices)
# The phase an incident in each state has reached: checklist items of earlier phases are done.
REACHED = {Status.DETECTED: 0, Status.TRIAGED: 1, Status.CONTAINED: 2, Status.INVESTIGATING: 3,
           Status.RECOVERING: 4, Status.REVIEW: 5, Status.CLOSED: 6, Status.DISMISSED: 1}
STALLED = (Status.DETECTED, Status.TRIAGED, Status.CONTAINED, Status.INVESTIGATING, Status.RECOVERING,
           Status.REVIEW)
KEEP = {Status.DETECTED: 0, Status.TRIAGED: 1, Status.CONTAINED: 2, Status.INVESTIGATING: 2, Status.RECOVERING: 2,
        Status.REVIEW: 3}
M2M = (("systems", "aisystem_id"), ("components", "component_id"), ("atlas_techniques", "atlastechnique_id"),
       ("jurisdictions", "jurisdiction_id"))


@dataclass
class Written:
    """Rows written so far, per table (label -> count)."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, label: str, count: int) -> None:
        self.rows[label] = self.rows.get(label, 0) + count


class IncidentGenerator:
    """Generates and writes incidents in chunks; holds what every chunk reads (reference data, templates)."""

    def __init__(self, rng, *, inventory: Inventory, now: dt.datetime):
        self.rng, self.inventory, self.now = rng, inventory, now
        self.calendar = BusinessCalendar.from_settings()
        self.share = settings.INCIDENT_SLA_DUE_SOON_SHARE
        self.runbooks = {}
        for runbook in Runbook.objects.prefetch_related("steps"):
            self.runbooks[runbook.incident_class] = (runbook.version, [
                {"order": s.order, "phase": s.phase, "title": s.title, "guidance": s.guidance,
                 "csf_category_id": s.csf_category_id, "atlas_technique_id": s.atlas_technique_id}
                for s in runbook.steps.all()])
        self.techniques = list(AtlasTechnique.objects.filter(retired=False).order_by("pk").values_list("pk", flat=True))
        self.jurisdictions = dict(Jurisdiction.objects.values_list("code", "pk"))
        self.templates = templates.Templates()
        # Templates whose systems' profile the inventory has (all of them on a database seeded here).
        usable = [i for i, t in enumerate(templates.FACT_TEMPLATES) if t[3] in inventory.systems]
        self.template_indexes = usable or list(range(len(templates.FACT_TEMPLATES)))
        self.template_shares = [templates.FACT_TEMPLATES[i][4] for i in self.template_indexes]
        self.any_systems = sorted(s for systems in inventory.systems.values() for s in systems)
        self.sequence = dict(IncidentSequence.objects.values_list("year", "last"))
        self.base = {model: defaults(model) for model in (
            Incident, ChecklistItem, Obligation, Evidence, CustodyEntry, ContainmentAction, RecoveryValidation,
            PostIncidentReview, TimelineEvent)}
        self.written = Written()

    # --- one incident, as values -----------------------------------------------------------------------------

    def _lifecycle(self, severity: str, detected: dt.datetime) -> dict:
        rng, now = self.rng, self.now
        due = sla.due_times(severity, detected, settings.INCIDENT_SLA, self.calendar) \
            if severity in settings.INCIDENT_SLA else {}
        window = {name: (value - detected) for name, value in due.items()}

        def after(start, name, mu):
            # A share of the SLA window (median e^mu, about one in ten past the window).
            return start + window[name] * min(rng.lognormvariate(mu, 0.8), 4.0)

        stamps = {"acknowledged_at": after(detected, "acknowledge_due_at", -1.0)}
        dismissed = rng.random() < 0.05
        if dismissed:
            stamps["closed_at"] = stamps["acknowledged_at"] + dt.timedelta(hours=rng.uniform(0.5, 48))
        else:
            stamps["contained_at"] = after(stamps["acknowledged_at"], "contain_due_at", -1.3)
            stamps["recovered_at"] = after(stamps["contained_at"], "resolve_due_at", -1.2)
            stamps["closed_at"] = stamps["recovered_at"] + dt.timedelta(days=rng.lognormvariate(1.0, 0.8))
        stamps = {name: value for name, value in stamps.items() if value <= now}
        if dismissed:
            status = Status.DISMISSED if "closed_at" in stamps else (
                Status.TRIAGED if stamps else Status.DETECTED)
        elif "closed_at" in stamps:
            status = Status.CLOSED
        elif "recovered_at" in stamps:
            status = Status.REVIEW
        elif "contained_at" in stamps:
            status = rng.choice((Status.CONTAINED, Status.INVESTIGATING, Status.RECOVERING))
        elif stamps:
            status = Status.TRIAGED
        else:
            status = Status.DETECTED
        if not dismissed and status != Status.DETECTED and rng.random() < 0.08:
            # Stalled: an open incident whose SLAs run late, in a state its timestamps allow.
            status = rng.choice([s for s in STALLED if KEEP[s] <= len(stamps)])
            stamps = dict(list(stamps.items())[:KEEP[status]])
        return {"status": status, "due": due, "stamps": stamps}

    def _incident(self, pk: int) -> dict:
        rng, now = self.rng, self.now
        severity = rng.choices([s for s, _ in SEVERITIES], [w for _, w in SEVERITIES])[0]
        incident_class = rng.choice(CLASSES)
        for _ in range(100):  # awareness away from the dates on which the rules change (see `obligations`)
            detected = now - SPAN * rng.random()
            detected = detected.replace(microsecond=rng.randrange(1_000_000))
            aware = detected if rng.random() < 0.8 else min(detected + dt.timedelta(hours=rng.uniform(0.5, 48)), now)
            if not self.templates.near_boundary(aware):
                break
        life = self._lifecycle(severity, detected)
        stamps, status = life["stamps"], life["status"]
        year = detected.year
        number = self.sequence[year] = self.sequence.get(year, 0) + 1
        reference = f"AIIR-{year}-{number:04d}"
        index = rng.choices(self.template_indexes, self.template_shares)[0]
        template = self.templates.get(index, aware)
        systems = self.inventory.systems.get(template.profile) or self.any_systems
        chosen_systems = rng.sample(systems, min(2, len(systems)))
        pool = sorted({c for s in chosen_systems for c in self.inventory.components_of.get(s, ())}) \
            or self.inventory.components
        chosen_components = rng.sample(pool, min(2, len(pool)))
        occurred = detected - dt.timedelta(minutes=rng.expovariate(1 / 360)) if rng.random() < 0.85 else None
        created = min(detected + dt.timedelta(minutes=rng.uniform(1, 30)), now)
        updated = max([created, *stamps.values()])
        commander = rng.choice(self.inventory.users["responder"])
        row = {
            **self.base[Incident], "id": pk, "reference": reference,
            "title": f"{CLASS_LABELS[incident_class]} on system {chosen_systems[0]}",
            "summary": f"Scale data set incident {reference}.",
            "track": "security" if incident_class in SECURITY_CLASSES else "safety",
            "incident_class": incident_class,
            "intent": Intent.ADVERSARIAL if incident_class in SECURITY_CLASSES else rng.choice(
                (Intent.UNINTENTIONAL, Intent.UNKNOWN)),
            "severity": severity, "status": status, "occurred_at": occurred, "detected_at": detected,
            "aware_at": aware, **life["due"], **stamps,
            "detection_source": rng.choice(DETECTION_SOURCES),
            "source_reference": f"ALERT-{pk}" if rng.random() < 0.5 else "", "commander_id": commander,
            "users_affected": rng.randint(1, 50_000) if rng.random() < 0.6 else None,
            "scope": rng.choice(("unknown", "isolated", "systemic")),
            "personal_data_involved": template.personal_data or None, "harms": list(template.harms),
            "version": 1, "created_at": created, "updated_at": updated,
        }
        if "financial_loss" in template.harms:
            row["financial_loss"] = Decimal(rng.randint(1_000, 5_000_000)).quantize(Decimal("0.01"))
            row["financial_loss_currency"] = "EUR"
        due, warn = sla.next_deadline(SimpleNamespace(**row), self.share)
        row["sla_next_due_at"], row["sla_next_warn_at"] = due, warn
        links = {
            "systems": chosen_systems, "components": chosen_components,
            "atlas_techniques": rng.sample(self.techniques, min(2, len(self.techniques))),
            "jurisdictions": [self.jurisdictions[c] for c in template.locations if c in self.jurisdictions],
        }
        return {"row": row, "links": links, "template": template, "commander": commander}

    # --- a chunk --------------------------------------------------------------------------------------------------

    def write_chunk(self, count: int) -> None:
        """Generate and write `count` incidents with everything that belongs to them (one transaction is the
        caller's)."""
        first = reserve_ids(Incident, count)
        plans = [self._incident(first + i) for i in range(count)]
        incidents = [p["row"] for p in plans]
        copy_rows(Incident, incidents)
        self.written.add("incidents", count)
        self._sequences()

        links = self._links(plans)
        items = self._checklist(plans)
        obligations = self._obligations(plans)
        evidence, actions = self._response(plans)
        custody = self._custody(evidence)
        validations, reviews = self._recovery(plans)
        self._history(Incident, incidents, actor=lambda row: row["commander_id"], snapshots=links)
        for model, rows, actor, before in (
                (ChecklistItem, items, lambda row: row["done_by_id"] or row["_actor"], None),
                (Obligation, obligations, lambda row: row["_actor"], _obligation_before),
                (Evidence, evidence, lambda row: row["collected_by_id"], None),
                (CustodyEntry, custody, lambda row: row["actor_id"], None),
                (ContainmentAction, actions, lambda row: row["performed_by_id"], None),
                (RecoveryValidation, validations, lambda row: row["compliance_signoff_by_id"], _validation_before),
                (PostIncidentReview, reviews, lambda row: row["reviewed_by_id"], None)):
            self._history(model, rows, actor=actor, before=before)
        self._timeline(plans, evidence, actions, validations, reviews)

    def _sequences(self) -> None:
        existing = set(IncidentSequence.objects.values_list("year", flat=True))
        IncidentSequence.objects.bulk_create([IncidentSequence(year=y, last=n) for y, n in self.sequence.items()
                                              if y not in existing])
        for year, last in self.sequence.items():
            if year in existing:
                IncidentSequence.objects.filter(year=year).update(last=last)

    def _links(self, plans) -> dict[str, list[dict]]:
        through_rows = {}
        for name, column in M2M:
            through = Incident._meta.get_field(name).remote_field.through
            rows = [{"incident_id": p["row"]["id"], column: target} for p in plans for target in p["links"][name]]
            first = reserve_ids(through, len(rows))
            for i, row in enumerate(rows):
                row["id"] = first + i
            copy_rows(through, rows)
            self.written.add(f"incident {name} links", len(rows))
            through_rows[name] = rows
        return through_rows

    def _checklist(self, plans) -> list[dict]:
        base, rows = self.base[ChecklistItem], []
        for plan in plans:
            incident = plan["row"]
            version, steps = self.runbooks.get(incident["incident_class"], ("", []))
            reached = REACHED[incident["status"]]
            done_at = incident["updated_at"]
            for step in steps:
                done = PHASES.index(step["phase"]) < reached
                rows.append({**base, **step, "incident_id": incident["id"], "runbook_version": version,
                             "done_at": done_at if done else None,
                             "done_by_id": plan["commander"] if done else None,
                             "_actor": plan["commander"], "_at": done_at if done else incident["created_at"]})
        return self._insert(ChecklistItem, rows, "checklist items")

    def _obligations(self, plans) -> list[dict]:
        base, rows, rng = self.base[Obligation], [], self.rng
        compliance = self.inventory.users["compliance"]
        for plan in plans:
            incident, template = plan["row"], plan["template"]
            shift = incident["aware_at"] - template.aware_at
            closed = incident["status"] in (Status.CLOSED, Status.DISMISSED)
            actor = rng.choice(compliance)
            for values in template.obligations:
                row = {**base, **values, "incident_id": incident["id"],
                       "clock_starts_at": values["clock_starts_at"] and values["clock_starts_at"] + shift,
                       "due_at": values["due_at"] and values["due_at"] + shift,
                       "created_at": incident["created_at"], "updated_at": incident["created_at"],
                       "version": 1, "_actor": actor, "_at": incident["created_at"]}
                if closed:
                    start = row["clock_starts_at"] or incident["aware_at"]
                    window = (row["due_at"] - start) if row["due_at"] else dt.timedelta(days=10)
                    submitted = min(start + window * rng.uniform(0.2, 0.95), self.now)
                    row.update(status=Obligation.Status.SUBMITTED, submitted_at=submitted, submitted_by_id=actor,
                               version=2,
                               authority_reference=f"CASE-{incident['id']}-{len(rows) % 97}",
                               updated_at=max(submitted, incident["created_at"]), _at=max(submitted,
                                                                                          incident["created_at"]))
                rows.append(row)
        return self._insert(Obligation, rows, "obligations")

    def _response(self, plans) -> tuple[list[dict], list[dict]]:
        rng = self.rng
        evidence, actions = [], []
        for plan in plans:
            incident = plan["row"]
            acknowledged = incident["acknowledged_at"]
            if acknowledged and rng.random() < 0.25:
                digest = hashlib.sha256(f"evidence-{incident['id']}".encode()).hexdigest()
                evidence.append({**self.base[Evidence], "incident_id": incident["id"],
                                 "title": "Inference log export",
                                 "reference": f"s3://evidence/{incident['reference']}/inference-log.jsonl",
                                 "content_type": "application/x-ndjson", "size": rng.randint(10_000, 50_000_000),
                                 "sha256": digest, "collected_by_id": plan["commander"], "collected_at": acknowledged,
                                 "_at": acknowledged})
            contained = incident["contained_at"]
            if contained and rng.random() < 0.6:
                actions.append({**self.base[ContainmentAction], "incident_id": incident["id"],
                                "kind": rng.choice(CONTAINMENT_KINDS), "target_system_id": plan["links"][
                                    "systems"][0], "description": "Scale data set containment.",
                                "performed_by_id": plan["commander"], "performed_at": contained,
                                "authority": "RACI: responsible", "outcome": "Effective.", "_at": contained})
        return (self._insert(Evidence, evidence, "evidence items"),
                self._insert(ContainmentAction, actions, "containment actions"))

    def _custody(self, evidence: list[dict]) -> list[dict]:
        """The `collected` entry that opens each evidence item's chain of custody."""
        base = self.base[CustodyEntry]
        return self._insert(CustodyEntry, [
            {**base, "evidence_id": item["id"], "action": CustodyEntry.Action.COLLECTED,
             "actor_id": item["collected_by_id"], "at": item["collected_at"], "notes": f"kept at {item['reference']}",
             "_at": item["collected_at"]} for item in evidence], "custody entries")

    def _recovery(self, plans) -> tuple[list[dict], list[dict]]:
        """A recovery validation, every test passed and signed by the commander (engineering) and a compliance
        officer before recovery, for each recovered incident; a post-incident review before closure for each
        closed one (the lifecycle's guards ask for both)."""
        rng, validations, reviews = self.rng, [], []
        compliance = self.inventory.users["compliance"]
        for plan in plans:
            incident = plan["row"]
            contained, recovered = incident["contained_at"], incident["recovered_at"]
            if not (contained and recovered):
                continue
            window = recovered - contained
            created, engineering, signed = (contained + window * share for share in sorted(
                (rng.uniform(0.3, 0.7), rng.uniform(0.7, 0.9), rng.uniform(0.9, 0.99))))
            validations.append({
                **self.base[RecoveryValidation], "incident_id": incident["id"], "functional": Outcome.PASSED,
                "stress": Outcome.PASSED, "bias": Outcome.PASSED, "security": Outcome.PASSED,
                "engineering_signoff_by_id": plan["commander"], "engineering_signoff_at": engineering,
                "compliance_signoff_by_id": rng.choice(compliance), "compliance_signoff_at": signed,
                "created_at": created, "version": 3, "_at": signed})
            if incident["status"] == Status.CLOSED:
                reviewed = recovered + (incident["closed_at"] - recovered) * rng.uniform(0.3, 0.95)
                reviews.append({
                    **self.base[PostIncidentReview], "incident_id": incident["id"],
                    "root_cause": f"Scale data set root cause of {incident['reference']}.",
                    "lessons": "Scale data set lessons.", "reviewed_by_id": plan["commander"],
                    "reviewed_at": reviewed, "_at": reviewed})
        return (self._insert(RecoveryValidation, validations, "recovery validations"),
                self._insert(PostIncidentReview, reviews, "post-incident reviews"))

    def _insert(self, model, rows: list[dict], label: str) -> list[dict]:
        """Insert rows (ids reserved here; keys starting with "_" are the generator's notes, not columns)."""
        first = reserve_ids(model, len(rows))
        for i, row in enumerate(rows):
            row["id"] = first + i
        copy_rows(model, rows, columns=[name for name in rows[0] if not name.startswith("_")] if rows else None)
        self.written.add(label, len(rows))
        return rows

    def _history(self, model, rows: list[dict], *, actor, snapshots=None, before=None) -> None:
        """History rows of `rows`: one creation row each, or, where `before` gives a row's earlier states (each as
        the columns that differ, with its moment `_at` and actor `_by`), a creation row of the first, a change row
        of each later one and of the state as loaded."""
        history = model.history.model
        tracked = [f.attname for f in history.tracked_fields]
        values = itemgetter(*tracked)
        states = []
        for row in rows:
            kind = "+"
            for earlier in before(row) if before else ():
                at, by = earlier.pop("_at"), earlier.pop("_by")
                states.append(({**row, **earlier}, kind, at, by))
                kind = "~"
            states.append((row, kind, row.get("_at") or row["updated_at"], actor(row)))
        first = reserve_ids(history, len(states))
        history_rows, history_of = [], {}
        for i, (state, kind, at, by) in enumerate(states):
            entry = dict(zip(tracked, values(state), strict=True))
            entry.update(history_id=first + i, history_date=at, history_change_reason=None, history_type=kind,
                         history_user_id=by, history_source=Source.COMMAND)
            history_rows.append(entry)
            history_of[state["id"]] = entry["history_id"]  # the last row of each record
        HistoryChain(history).append(history_rows)
        self.written.add("history rows", len(history_rows))
        if snapshots is None:
            return
        links = snapshots
        for name, _column in M2M:
            snapshot = getattr(history, name).model
            rows = [{**link, "history_id": history_of[link["incident_id"]]} for link in links[name]]
            first = reserve_ids(snapshot, len(rows))
            for i, row in enumerate(rows):
                row["m2m_history_id"] = first + i
            HistoryChain(snapshot).append(rows)
            self.written.add("history rows", len(rows))

    def _timeline(self, plans, evidence, actions, validations, reviews) -> None:
        base = {**self.base[TimelineEvent], "source": Source.COMMAND, "flagged": False}
        events = []
        stamped = (("acknowledged_at", Status.DETECTED, Status.TRIAGED), ("contained_at", Status.TRIAGED,
                                                                           Status.CONTAINED),
                   ("recovered_at", Status.RECOVERING, Status.REVIEW), ("closed_at", Status.REVIEW, Status.CLOSED))
        for plan in plans:
            row, template = plan["row"], plan["template"]
            pk, actor = row["id"], plan["commander"]
            events.append({**base, "incident_id": pk, "kind": Kind.OPENED, "actor_id": actor, "at": row["created_at"],
                           "summary": f"{row['reference']} opened: {row['severity'].upper()}, "
                                      f"{CLASS_LABELS[row['incident_class']]}",
                           "payload": {"severity": row["severity"], "class": row["incident_class"],
                                       "detection_source": row["detection_source"]}})
            if template.obligations:
                keys = [o["key"] for o in template.obligations]
                events.append({**base, "incident_id": pk, "kind": Kind.OBLIGATION, "actor_id": actor,
                               "at": row["created_at"],
                               "summary": f"Regulatory obligations recomputed: {len(keys)} new (incident opened)",
                               "payload": {"created": keys, "reason": "incident opened",
                                           "reference_data_version": self.templates.version}})
            for name, source, target in stamped:
                if row[name] is None:
                    continue
                if row["status"] == Status.DISMISSED and name == "closed_at":
                    source, target = Status.TRIAGED, Status.DISMISSED
                events.append({**base, "incident_id": pk, "kind": Kind.STATUS_CHANGE, "actor_id": actor,
                               "at": row[name], "summary": f"{STATUS_LABELS[source]} -> {STATUS_LABELS[target]}",
                               "payload": {"from": source, "to": target, "note": ""}})
        for item in evidence:
            events.append({**base, "incident_id": item["incident_id"], "kind": Kind.EVIDENCE,
                           "actor_id": item["collected_by_id"], "at": item["collected_at"],
                           "summary": f"Evidence added: {item['title']}",
                           "payload": {"evidence": item["id"], "sha256": item["sha256"]}})
        for action in actions:
            events.append({**base, "incident_id": action["incident_id"], "kind": Kind.CONTAINMENT,
                           "actor_id": action["performed_by_id"], "at": action["performed_at"],
                           "summary": f"Containment: {CONTAINMENT_LABELS[action['kind']]}",
                           "payload": {"containment": action["id"], "kind": action["kind"]}})
        for item in validations:
            events.append({**base, "incident_id": item["incident_id"], "kind": Kind.RECOVERY,
                           "actor_id": item["compliance_signoff_by_id"], "at": item["compliance_signoff_at"],
                           "summary": "Recovery validation signed off by both engineering and compliance",
                           "payload": {"validation": item["id"], "signed": True}})
        for item in reviews:
            events.append({**base, "incident_id": item["incident_id"], "kind": Kind.REVIEW,
                           "actor_id": item["reviewed_by_id"], "at": item["reviewed_at"],
                           "summary": f"Post-incident review recorded: {item['root_cause']}",
                           "payload": {"review": item["id"], "created": True}})
        copy_rows(TimelineEvent, events)
        self.written.add("timeline events", len(events))


def _obligation_before(row: dict) -> list[dict]:
    """A submitted obligation was computed open with the incident, then submitted (its version bumped)."""
    if row["submitted_at"] is None:
        return []
    return [{"status": Obligation.Status.OPEN, "submitted_at": None, "submitted_by_id": None,
             "authority_reference": "", "version": row["version"] - 1, "updated_at": row["created_at"],
             "_at": row["created_at"], "_by": row["_actor"]}]


def _validation_before(row: dict) -> list[dict]:
    """A recovery validation was recorded with its tests passed, signed by engineering, then by compliance."""
    unsigned = {"compliance_signoff_by_id": None, "compliance_signoff_at": None}
    return [{**unsigned, "engineering_signoff_by_id": None, "engineering_signoff_at": None, "version": 1,
             "_at": row["created_at"], "_by": row["engineering_signoff_by_id"]},
            {**unsigned, "version": 2, "_at": row["engineering_signoff_at"], "_by": row["engineering_signoff_by_id"]}]
