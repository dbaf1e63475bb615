"""Demo incidents in every lifecycle state, written through the incident services with demo users as actors.

Times are relative to now, so SLA states are alive whenever `seed_demo` runs. Idempotent: an incident whose
title already exists is left as it is.
"""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from inventory.models import AISystem, Component


def _component(name, version=None):
    qs = Component.objects.filter(name=name)
    return (qs.filter(version=version) if version else qs).first()


def _walk(incident, actor, states, start, step=timedelta(minutes=20), notes=None):
    moment = start
    for state in states:
        moment += step
        services.incident_transition(actor=actor, incident=incident, to=state, at=moment,
                                     note=(notes or {}).get(state, ""))
    return moment


def _evidence(incident, actor, title, text, when):
    services.evidence_add(actor=actor, incident=incident, title=title, collected_at=when,
                          file=ContentFile(text.encode(), name=f"{incident.reference.lower()}-{title[:20]}.txt"))


def _validate(incident, users):
    validation = services.recovery_validation_record(
        actor=users["responder"], incident=incident, functional="passed", stress="passed", bias="passed",
        security="passed", notes="Regression suite and red-team prompts re-run against the restored version.")
    services.recovery_signoff(actor=users["responder"], validation=validation, as_role="engineering",
                              expected_version=validation.version)
    services.recovery_signoff(actor=users["compliance"], validation=validation, as_role="compliance",
                              expected_version=validation.version)
    return validation


def load_incidents(*, users) -> int:
    now = timezone.now()
    systems = {s.slug: s for s in AISystem.objects.all()}
    compliance, responder = users["compliance"], users["responder"]
    created = 0

    def open_once(title, **fields):
        nonlocal created
        if Incident.objects.filter(title=title).exists():
            return None
        created += 1
        return services.incident_open(actor=fields.pop("actor", compliance), title=title, commander=responder,
                                      **fields)

    # 1. Just detected by a guardrail: the acknowledgement clock is running.
    open_once(
        "Indirect prompt injection via knowledge-base article", actor=responder, track="security",
        incident_class="prompt_injection", severity="p1", intent="adversarial", detection_source="guardrail",
        detected_at=now - timedelta(minutes=40), systems=[systems["support-assistant"]],
        components=[_component("knowledge-base-index")], atlas_techniques=["AML.T0051"],
        owasp_risks=["LLM01:2025"], jurisdictions=["DE", "FR"], dedup_key="guardrail:kb-injection",
        summary="The PII output filter blocked 14 answers quoting an instruction planted in a KB article.",
    )

    # 2. Triaged P0 leak: acknowledged in time, containment overdue.
    incident = open_once(
        "Refund tool leaked other customers' account numbers", track="security", incident_class="data_leakage",
        severity="p0", intent="adversarial", detection_source="user_report", detected_at=now - timedelta(hours=6),
        occurred_at=now - timedelta(hours=9), systems=[systems["support-assistant"]],
        components=[_component("refund-api-tool")], owasp_risks=["LLM02:2025", "LLM06:2025"],
        jurisdictions=["DE", "NL"], personal_data_involved=True, data_subjects_affected=312, users_affected=312,
        harms=["privacy"], summary="A crafted chat made the refund tool return another customer's IBAN.",
    )
    if incident:
        _walk(incident, responder, ["triaged"], incident.detected_at, step=timedelta(minutes=9))

    # 3. Contained by the Responsible responder (RACI authority).
    incident = open_once(
        "Assistant invented a refund policy", track="safety", incident_class="hallucination", severity="p2",
        intent="unintentional", detection_source="employee", detected_at=now - timedelta(hours=20),
        systems=[systems["support-assistant"]], owasp_risks=["LLM09:2025"], users_affected=57,
        summary="Answers promised 90-day refunds that the policy does not offer.",
    )
    if incident:
        moment = _walk(incident, responder, ["triaged"], incident.detected_at)
        services.containment_record(
            actor=responder, incident=incident, kind="maintenance_banner", target_system=systems["support-assistant"],
            performed_at=moment, description="Banner: refund questions go to a human agent.", outcome="Done")
        _walk(incident, responder, ["contained"], moment)

    # 4. Investigating a biased-output incident; containment by emergency override (no RACI authority).
    incident = open_once(
        "CV ranker down-ranked applicants over 50", track="safety", incident_class="harmful_output", severity="p1",
        intent="unintentional", detection_source="audit", detected_at=now - timedelta(days=2),
        occurred_at=now - timedelta(days=40), systems=[systems["cv-screening"]],
        components=[_component("cv-ranker")], jurisdictions=["FR", "NL"], decisions_affected=40000,
        harms=["discrimination", "fundamental_rights_infringement"], personal_data_involved=True,
        complete_inference_logs=False, responsible_parties=["supplier", "deployer"],
        summary="A fairness audit found 40,000 rankings with an age gap far above the threshold.",
    )
    if incident:
        moment = _walk(incident, compliance, ["triaged"], incident.detected_at)
        services.containment_record(
            actor=responder, incident=incident, kind="suppress_output", target_system=systems["cv-screening"],
            performed_at=moment, override_reason="No containment RACI on this system yet; recruiters kept using "
            "the ranking. Hiding scores until the vendor answers.", outcome="Scores hidden in the recruiter UI")
        moment = _walk(incident, compliance, ["contained", "investigating"], moment)
        _evidence(incident, compliance, "Fairness audit extract", "group,selection_rate\n<50,0.31\n>=50,0.12\n",
                  moment)

    # 5. Recovering from drift: validation recorded, one sign-off missing.
    incident = open_once(
        "Credit model drift after bureau format change", track="safety", incident_class="model_drift",
        severity="p2", intent="unintentional", detection_source="monitoring", detected_at=now - timedelta(days=5),
        systems=[systems["credit-scoring"]], components=[_component("credit-risk-gbm", "7.1")],
        jurisdictions=["DE", "IE"], decisions_affected=1800, summary="PSI above 0.3 on income features.",
    )
    if incident:
        moment = _walk(incident, responder, ["triaged", "contained", "investigating", "recovering"],
                       incident.detected_at, step=timedelta(hours=3))
        services.containment_record(
            actor=responder, incident=incident, kind="rollback", target_system=systems["credit-scoring"],
            target_component=_component("credit-risk-gbm", "7.1"), rollback_to=_component("credit-risk-gbm", "6.4"),
            performed_at=moment, description="Serving alias moved back to 6.4.", outcome="Scores back in range")
        validation = services.recovery_validation_record(
            actor=responder, incident=incident, functional="passed", stress="passed", bias="passed",
            security="not_applicable")
        services.recovery_signoff(actor=responder, validation=validation, as_role="engineering",
                                  expected_version=validation.version)

    # 6. In review after an agent ran away; validation signed by two people.
    incident = open_once(
        "DevOps agent looped and deleted staging branches", track="safety", incident_class="agent_runaway",
        severity="p1", intent="unintentional", detection_source="monitoring", detected_at=now - timedelta(days=9),
        systems=[systems["devops-agent"]], components=[_component("sandboxed-shell")], owasp_risks=["LLM06:2025"],
        summary="The agent retried a failing clean-up 600 times and deleted 41 branches.",
    )
    if incident:
        moment = _walk(incident, responder, ["triaged", "contained", "investigating", "recovering"],
                       incident.detected_at, step=timedelta(hours=2))
        _validate(incident, users)
        _walk(incident, responder, ["review"], moment)
        services.review_record(actor=compliance, incident=incident,
                               root_cause="No iteration limit on tool retries; shell tool allowed branch deletion.")

    # 7. Closed supply-chain incident with a full review and action items.
    incident = open_once(
        "Compromised agent framework release", track="security", incident_class="supply_chain", severity="p3",
        intent="adversarial", detection_source="third_party", detected_at=now - timedelta(days=30),
        systems=[systems["devops-agent"]], components=[_component("langchain")], owasp_risks=["LLM03:2025"],
        summary="Supplier advisory: a malicious patch release exfiltrated environment variables.",
    )
    if incident:
        moment = _walk(incident, responder, ["triaged", "contained", "investigating", "recovering"],
                       incident.detected_at, step=timedelta(hours=5))
        _validate(incident, users)
        moment = _walk(incident, responder, ["review"], moment)
        review = services.review_record(
            actor=compliance, incident=incident, root_cause="Unpinned dependency picked up a malicious release.",
            contributing_factors="No hash pinning in the agent image.", what_worked="Supplier advisory arrived fast.",
            lessons="Pin and verify hashes for every AI library.", runbook_updated=True, regression_case_added=True)
        services.action_item_add(actor=compliance, review=review, description="Hash-pin all agent dependencies",
                                 owner=responder, due_on=(now + timedelta(days=14)).date())
        _walk(incident, compliance, ["closed"], moment, step=timedelta(days=2))

    # 8. Dismissed: a red-team exercise, not an incident.
    incident = open_once(
        "Jailbreak attempts from the red team", track="security", incident_class="jailbreak", severity="p3",
        detection_source="red_team", detected_at=now - timedelta(days=3), systems=[systems["support-assistant"]],
    )
    if incident:
        _walk(incident, responder, ["dismissed"], incident.detected_at,
              notes={"dismissed": "Scheduled red-team exercise; no production users affected."})

    # 9. A year of closed incidents, so the dashboard's monthly response times have a history: detection got
    # faster and containment shorter over the year, as the runbooks and monitoring matured.
    for months_ago, title, track, incident_class, severity, system, atlas, detect_h, step_h, logs in PAST_YEAR:
        detected_at = now - timedelta(days=30 * months_ago)
        incident = open_once(
            title, track=track, incident_class=incident_class, severity=severity, intent="unknown",
            detection_source="monitoring", detected_at=detected_at,
            occurred_at=detected_at - timedelta(hours=detect_h), systems=[systems[system]],
            atlas_techniques=atlas, complete_inference_logs=logs,
            summary="Closed incident of the past year (demo history for the governance dashboard).",
        )
        if incident:
            moment = _walk(incident, responder, ["triaged", "contained", "investigating", "recovering"],
                           detected_at, step=timedelta(hours=step_h))
            _validate(incident, users)
            moment = _walk(incident, responder, ["review"], moment)
            services.review_record(actor=compliance, incident=incident, root_cause="Recorded in the review.",
                                   runbook_updated=True)
            _walk(incident, compliance, ["closed"], moment, step=timedelta(days=3))
    return created


# The past year's closed incidents: months ago, title, track, class, severity, system, ATLAS techniques, hours from
# occurrence to detection, hours per lifecycle step, complete inference logs.
PAST_YEAR = [
    (11, "Prompt injection through a shared support macro", "security", "prompt_injection", "p2",
     "support-assistant", ["AML.T0051"], 96, 10, False),
    (10, "Credit model drift after a data-feed change", "safety", "model_drift", "p2", "credit-scoring", [], 240, 12,
     False),
    (9, "Jailbreak prompts circulated on a forum", "security", "jailbreak", "p3", "support-assistant",
     ["AML.T0054"], 72, 8, True),
    (8, "Fraud model evaded by crafted transactions", "security", "model_extraction", "p1", "fraud-triage",
     ["AML.T0043", "AML.T0015"], 60, 6, False),
    (7, "Poisoned labels in a CV-screening retraining set", "security", "data_poisoning", "p1", "cv-screening",
     ["AML.T0020"], 120, 6, True),
    (6, "Agent invoked a deployment tool outside its scope", "safety", "unauthorised_agent_action", "p2",
     "devops-agent", ["AML.T0053"], 30, 5, True),
    (5, "Hallucinated refund policy quoted to customers", "safety", "hallucination", "p3", "support-assistant", [],
     48, 5, True),
    (4, "Bulk scraping of the scoring API", "security", "model_extraction", "p2", "credit-scoring",
     ["AML.T0024"], 20, 4, True),
    (3, "Denial of service on the assistant's inference endpoint", "security", "other", "p1", "support-assistant",
     ["AML.T0029"], 4, 3, True),
    (2, "Biased shortlist rates for one age group", "safety", "harmful_output", "p2", "cv-screening",
     ["AML.T0048"], 36, 3, True),
    (1, "Leaked system prompt through a debug mode", "security", "data_leakage", "p3", "support-assistant",
     ["AML.T0057"], 8, 2, True),
]
