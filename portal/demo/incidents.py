"""Demo incidents in every lifecycle state, written through the incident services with demo users as actors.

Each step is recorded at the moment it is said to have happened (`portal.demo.clock.recorded_at`): an incident is
opened minutes after its detection, triaged, contained, investigated and reviewed hours or days apart, so its
timeline, history rows and response times read like a real one. Times are relative to now, so SLA states are alive
whenever `seed_demo` runs. The past year's closed incidents come from past_incidents.yaml. Idempotent: an incident
whose title already exists is left as it is.
"""

from datetime import timedelta
from pathlib import Path

import yaml
from django.core.files.base import ContentFile
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from inventory import services as inventory_services
from inventory.models import AISystem, Component, RaciAssignment, Team
from portal.demo.clock import recorded_at

PAST_YEAR = Path(__file__).with_name("past_incidents.yaml")


def _component(name, version=None):
    qs = Component.objects.filter(name=name)
    return (qs.filter(version=version) if version else qs).first()


# The runbook phases whose checklist steps are done by the time an incident enters a status.
PHASES_DONE = {"triaged": ["detect"], "contained": ["triage", "contain"], "recovering": ["investigate"],
               "review": ["recover"], "closed": ["review"]}


class Story:
    """One incident's clock: `at(delta)` moves it on and records the block's writes at that moment."""

    def __init__(self, start):
        self.now = start

    def at(self, delta=timedelta()):
        self.now += delta
        return recorded_at(self.now)

    def move(self, incident, actor, to, delta, note=""):
        """Enter status `to` after `delta`; the checklist steps of the phases it ends are ticked on the way, evenly
        spread over the time since the last step."""
        target = self.now + delta
        steps = list(incident.checklist.filter(phase__in=PHASES_DONE.get(to, []), done_at=None).order_by("order"))
        for item in steps:
            with self.at(delta / (len(steps) + 1)):
                services.checklist_item_complete(actor=actor, item=item)
        with self.at(target - self.now):
            services.incident_transition(actor=actor, incident=incident, to=to, at=self.now, note=note)


def _evidence(incident, actor, title, text, when):
    services.evidence_add(actor=actor, incident=incident, title=title, collected_at=when,
                          file=ContentFile(text.encode(), name=f"{incident.reference.lower()}-{title[:20]}.txt"))


def _validate(story, incident, users, notes, *, gaps=(timedelta(hours=3), timedelta(minutes=35),
                                                     timedelta(hours=2, minutes=10))):
    """Recovery validation by the responder, then the engineering and compliance sign-offs (`gaps` apart)."""
    with story.at(gaps[0]):
        validation = services.recovery_validation_record(
            actor=users["responder"], incident=incident, functional="passed", stress="passed", bias="passed",
            security="passed", notes=notes)
    with story.at(gaps[1]):
        services.recovery_signoff(actor=users["responder"], validation=validation, as_role="engineering",
                                  expected_version=validation.version)
    with story.at(gaps[2]):
        services.recovery_signoff(actor=users["compliance"], validation=validation, as_role="compliance",
                                  expected_version=validation.version)
    return validation


def load_incidents(*, users) -> int:
    now = timezone.now()
    systems = {s.slug: s for s in AISystem.objects.all()}
    compliance, responder = users["compliance"], users["responder"]
    created = 0

    def open_once(title, *, opened_after=timedelta(minutes=4), **fields):
        """Open the incident a few minutes after its detection: (incident, its Story); (None, None) if it exists."""
        nonlocal created
        if Incident.objects.filter(title=title).exists():
            return None, None
        created += 1
        story = Story(fields["detected_at"])
        with story.at(opened_after):
            incident = services.incident_open(actor=fields.pop("actor", compliance), title=title,
                                              commander=responder, **fields)
        return incident, story

    # 1. Just detected by a guardrail: the acknowledgement clock is running.
    open_once(
        "Indirect prompt injection via knowledge-base article", actor=responder, track="security",
        incident_class="prompt_injection", severity="p1", intent="adversarial", detection_source="guardrail",
        detected_at=now - timedelta(minutes=40), opened_after=timedelta(minutes=2),
        systems=[systems["support-assistant"]], components=[_component("knowledge-base-index")],
        atlas_techniques=["AML.T0051"], owasp_risks=["LLM01:2025"], jurisdictions=["DE", "FR"],
        dedup_key="guardrail:kb-injection",
        summary="The PII output filter blocked 14 answers quoting an instruction planted in a KB article.",
    )

    # 2. Triaged P0 leak: acknowledged in time, containment overdue.
    incident, story = open_once(
        "Refund tool leaked other customers' account numbers", track="security", incident_class="data_leakage",
        severity="p0", intent="adversarial", detection_source="user_report", detected_at=now - timedelta(hours=6),
        occurred_at=now - timedelta(hours=9), opened_after=timedelta(minutes=3),
        systems=[systems["support-assistant"]], components=[_component("refund-api-tool")],
        owasp_risks=["LLM02:2025", "LLM06:2025"], jurisdictions=["DE", "NL"], personal_data_involved=True,
        data_subjects_affected=312, users_affected=312, harms=["privacy"],
        summary="A crafted chat made the refund tool return another customer's IBAN.",
    )
    if incident:
        story.move(incident, responder, "triaged", timedelta(minutes=9),
                   note="Customer's screenshot matches a refund-tool call in the logs; 312 lookups look crafted.")

    # 3. Contained by the Responsible responder (RACI authority).
    incident, story = open_once(
        "Assistant invented a refund policy", track="safety", incident_class="hallucination", severity="p2",
        intent="unintentional", detection_source="employee", detected_at=now - timedelta(hours=20),
        opened_after=timedelta(minutes=11), systems=[systems["support-assistant"]], owasp_risks=["LLM09:2025"],
        users_affected=57, summary="Answers promised 90-day refunds that the policy does not offer.",
    )
    if incident:
        story.move(incident, responder, "triaged", timedelta(minutes=26),
                   note="57 chats quote a 90-day refund window; the policy says 30 days.")
        with story.at(timedelta(minutes=48)):
            services.containment_record(
                actor=responder, incident=incident, kind="maintenance_banner",
                target_system=systems["support-assistant"], performed_at=story.now,
                description="Banner: refund questions go to a human agent.", outcome="Done")
        story.move(incident, responder, "contained", timedelta(minutes=7))

    # 4. Investigating a biased-output incident. Contained by emergency override: the vendor system had no
    # containment RACI then; compliance (its Accountable owner) assigned it the same day.
    incident, story = open_once(
        "CV ranker down-ranked applicants over 50", track="safety", incident_class="harmful_output", severity="p1",
        intent="unintentional", detection_source="audit", detected_at=now - timedelta(days=2, hours=3),
        opened_after=timedelta(minutes=22), occurred_at=now - timedelta(days=40), systems=[systems["cv-screening"]],
        components=[_component("cv-ranker")], jurisdictions=["FR", "NL"], decisions_affected=40000,
        harms=["discrimination", "fundamental_rights_infringement"], personal_data_involved=True,
        complete_inference_logs=False, responsible_parties=["supplier", "deployer"],
        summary="A fairness audit found 40,000 rankings with an age gap far above the threshold.",
    )
    if incident:
        story.move(incident, compliance, "triaged", timedelta(minutes=51),
                   note="Selection rate 0.12 for applicants over 50 against 0.31 below; vendor informed.")
        with story.at(timedelta(hours=1, minutes=40)):
            services.containment_record(
                actor=responder, incident=incident, kind="suppress_output", target_system=systems["cv-screening"],
                performed_at=story.now, override_reason="No containment RACI on this system yet; recruiters kept "
                "using the ranking. Hiding scores until the vendor answers.",
                outcome="Scores hidden in the recruiter UI")
        story.move(incident, compliance, "contained", timedelta(minutes=12))
        with story.at(timedelta(hours=3, minutes=5)):
            _cv_screening_raci(actor=compliance, system=systems["cv-screening"], users=users)
        story.move(incident, compliance, "investigating", timedelta(hours=16),
                   note="Waiting for TalentCo's root-cause analysis; re-scoring a sample by hand meanwhile.")
        with story.at(timedelta(hours=2, minutes=30)):
            _evidence(incident, compliance, "Fairness audit extract",
                      "group,selection_rate\n<50,0.31\n>=50,0.12\n", story.now - timedelta(days=1))

    # 5. Recovering from drift: rolled back, validation recorded, one sign-off missing.
    incident, story = open_once(
        "Credit model drift after bureau format change", track="safety", incident_class="model_drift",
        severity="p2", intent="unintentional", detection_source="monitoring",
        detected_at=now - timedelta(days=5, hours=7), systems=[systems["credit-scoring"]],
        components=[_component("credit-risk-gbm", "7.1")], jurisdictions=["DE", "IE"], decisions_affected=1800,
        summary="PSI above 0.3 on income features.",
    )
    if incident:
        story.move(incident, responder, "triaged", timedelta(minutes=33),
                   note="PSI 0.34 on declared income since the bureau's new file format; 1,800 decisions affected.")
        with story.at(timedelta(hours=2, minutes=5)):
            services.containment_record(
                actor=responder, incident=incident, kind="rollback", target_system=systems["credit-scoring"],
                target_component=_component("credit-risk-gbm", "7.1"),
                rollback_to=_component("credit-risk-gbm", "6.4"), performed_at=story.now,
                description="Serving alias moved back to 6.4.", outcome="Scores back in range")
        story.move(incident, responder, "contained", timedelta(minutes=18))
        story.move(incident, responder, "investigating", timedelta(minutes=40))
        story.move(incident, responder, "recovering", timedelta(days=2, hours=5),
                   note="Parser for the new bureau format fixed; 7.1 re-scored on the last month's applications.")
        with story.at(timedelta(hours=4)):
            validation = services.recovery_validation_record(
                actor=responder, incident=incident, functional="passed", stress="passed", bias="passed",
                security="not_applicable", notes="Back-test on 12,000 applications: PSI 0.04, approval rates "
                "within 0.5 points of 6.4.")
        with story.at(timedelta(minutes=20)):
            services.recovery_signoff(actor=responder, validation=validation, as_role="engineering",
                                      expected_version=validation.version)

    # 6. In review after an agent ran away: the shell tool disabled, then re-enabled with a retry limit.
    incident, story = open_once(
        "DevOps agent looped and deleted staging branches", track="safety", incident_class="agent_runaway",
        severity="p1", intent="unintentional", detection_source="monitoring",
        detected_at=now - timedelta(days=9, hours=2), opened_after=timedelta(minutes=6),
        systems=[systems["devops-agent"]], components=[_component("sandboxed-shell")], owasp_risks=["LLM06:2025"],
        summary="The agent retried a failing clean-up 600 times and deleted 41 branches.",
    )
    if incident:
        story.move(incident, responder, "triaged", timedelta(minutes=12),
                   note="41 branches deleted in 20 minutes; the agent is still retrying.")
        with story.at(timedelta(minutes=9)):
            action = services.containment_record(
                actor=responder, incident=incident, kind="disable_tool", target_system=systems["devops-agent"],
                target_component=_component("sandboxed-shell"), performed_at=story.now,
                description="Shell tool removed from the agent manifest.", outcome="Agent stopped deleting")
        story.move(incident, responder, "contained", timedelta(minutes=4))
        story.move(incident, responder, "investigating", timedelta(hours=1, minutes=15),
                   note="Restoring branches from the mirror; reading the agent's tool-call log.")
        story.move(incident, responder, "recovering", timedelta(days=1, hours=4),
                   note="All 41 branches restored; retry limit of 3 and a deny rule for branch deletion added.")
        with story.at(timedelta(hours=2)):
            services.containment_revert(actor=responder, action=action,
                                        reason="Shell tool back with a retry limit of 3 and branch deletion denied.")
        _validate(story, incident, users, "Agent replayed the failing clean-up: stops after 3 retries, deletion "
                  "refused by policy.")
        story.move(incident, responder, "review", timedelta(hours=20))
        with story.at(timedelta(days=1, hours=3)):
            services.review_record(
                actor=compliance, incident=incident,
                root_cause="No iteration limit on tool retries; the shell tool allowed branch deletion.",
                contributing_factors="The clean-up task had no dry-run and the agent ran unattended at night.",
                what_worked="The tool-call rate alert paged on-call; branches came back from the mirror.")

    # 7. Closed supply-chain incident with a full review and action items.
    incident, story = open_once(
        "Compromised agent framework release", track="security", incident_class="supply_chain", severity="p3",
        intent="adversarial", detection_source="third_party", detected_at=now - timedelta(days=31, hours=4),
        opened_after=timedelta(minutes=17), systems=[systems["devops-agent"]], components=[_component("langchain")],
        owasp_risks=["LLM03:2025"],
        summary="Supplier advisory: a malicious patch release exfiltrated environment variables.",
    )
    if incident:
        story.move(incident, responder, "triaged", timedelta(hours=1, minutes=5),
                   note="The agent image built on the 3rd pulled the affected release.")
        with story.at(timedelta(minutes=40)):
            services.containment_record(
                actor=responder, incident=incident, kind="update_guardrail", target_system=systems["devops-agent"],
                performed_at=story.now, description="Egress from the agent pod denied except to the code host.",
                outcome="No further outbound calls to the attacker's domain")
        story.move(incident, responder, "contained", timedelta(minutes=25))
        story.move(incident, responder, "investigating", timedelta(minutes=50),
                   note="Rotating every secret the agent's environment held.")
        story.move(incident, responder, "recovering", timedelta(days=1, hours=6),
                   note="Image rebuilt on the previous release with hash-pinned requirements.")
        _validate(story, incident, users, "Image rebuilt from pinned hashes; egress test and agent smoke tests "
                  "passed.")
        story.move(incident, responder, "review", timedelta(hours=9))
        with story.at(timedelta(days=2, hours=1)):
            review = services.review_record(
                actor=compliance, incident=incident, root_cause="Unpinned dependency picked up a malicious release.",
                contributing_factors="No hash pinning in the agent image.",
                what_worked="Supplier advisory arrived fast.", lessons="Pin and verify hashes for every AI library.",
                runbook_updated=True, regression_case_added=True)
            services.action_item_add(actor=compliance, review=review, description="Hash-pin all agent dependencies",
                                     owner=responder, due_on=(story.now + timedelta(days=14)).date())
        story.move(incident, compliance, "closed", timedelta(days=3, hours=2))

    # 8. Dismissed: a red-team exercise, not an incident.
    incident, story = open_once(
        "Jailbreak attempts from the red team", track="security", incident_class="jailbreak", severity="p3",
        detection_source="red_team", detected_at=now - timedelta(days=3, hours=5),
        systems=[systems["support-assistant"]],
    )
    if incident:
        story.move(incident, responder, "dismissed", timedelta(hours=1, minutes=15),
                   note="Scheduled red-team exercise; no production users affected.")

    # 9. A year of closed incidents, so the dashboard's monthly response times have a history.
    for row in yaml.safe_load(PAST_YEAR.read_text()):
        days = row["days_ago"]  # detected in working hours, at a time of day of its own
        detected_at = (now - timedelta(days=days)).replace(hour=7 + days * 5 % 12, minute=days * 7 % 60)
        incident, story = open_once(
            row["title"], track=row["track"], incident_class=row["incident_class"], severity=row["severity"],
            intent="unknown", detection_source=row["detection_source"], detected_at=detected_at,
            opened_after=timedelta(minutes=row["ack_minutes"] // 3 + 1),
            occurred_at=detected_at - timedelta(hours=row["detect_hours"]), systems=[systems[row["system"]]],
            atlas_techniques=row["atlas"], complete_inference_logs=row["complete_logs"], summary=row["summary"],
        )
        if incident:
            _past_incident(incident, story, row, users, systems[row["system"]])
    return created


def _past_incident(incident, story, row, users, system):
    """Walk a closed incident of the past year through its lifecycle at its own times (past_incidents.yaml)."""
    compliance, responder = users["compliance"], users["responder"]
    detected, notes = incident.detected_at, row["notes"]

    def since_detection(hours):
        return detected + timedelta(hours=hours) - story.now

    story.move(incident, responder, "triaged", detected + timedelta(minutes=row["ack_minutes"]) - story.now,
               note=notes["triaged"])
    contained = since_detection(row["contain_hours"])
    if row.get("containment"):
        kind, description, outcome = row["containment"]
        with story.at(contained * 0.8):
            services.containment_record(actor=responder, incident=incident, kind=kind, target_system=system,
                                        performed_at=story.now, description=description, outcome=outcome)
    story.move(incident, responder, "contained", since_detection(row["contain_hours"]), note=notes["contained"])
    story.move(incident, responder, "investigating", timedelta(minutes=20 + row["ack_minutes"]),
               note=notes["investigating"])
    # Recovering, the validation and its two sign-offs in the time left until recovery, then review at it.
    left = since_detection(row["recover_hours"])
    story.move(incident, responder, "recovering", left * 0.4, note=notes["recovering"])
    _validate(story, incident, users, f"Re-tested after the fix. {notes['recovering']}",
              gaps=(left * 0.25, left * 0.05, left * 0.15))
    story.move(incident, responder, "review", since_detection(row["recover_hours"]))
    review_text = row["review"]
    with story.at(timedelta(hours=row["review_hours"])):
        review = services.review_record(actor=compliance, incident=incident, runbook_updated=True,
                                        regression_case_added=incident.track == "security", **review_text)
        description, due_days, done = row["action"]
        item = services.action_item_add(actor=compliance, review=review, description=description, owner=responder,
                                        due_on=(story.now + timedelta(days=due_days)).date())
    story.move(incident, compliance, "closed", timedelta(days=row["close_days"]))
    if done:
        with story.at(timedelta(days=due_days * 0.7)):
            services.action_item_complete(actor=responder, item=item)


# The containment RACI that the CV ranker incident showed was missing on the vendor-run CV screening system:
# (activity, role, user or team).
CV_SCREENING_CONTAINMENT = [("suspend_endpoint", "accountable", ("team", "Compliance Office")),
                            ("suspend_endpoint", "responsible", ("user", "responder")),
                            ("update_guardrail", "responsible", ("user", "responder"))]


def _cv_screening_raci(*, actor, system, users):
    for activity, role, (kind, name) in CV_SCREENING_CONTAINMENT:
        assignee = {"user": users[name]} if kind == "user" else {"team": Team.objects.get(name=name)}
        if not RaciAssignment.objects.filter(system=system, activity=activity, role=role, **assignee).exists():
            inventory_services.raci_assign(actor=actor, system=system, activity=activity, role=role, **assignee)
