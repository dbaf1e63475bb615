"""Public disclosure export: an incident in the AI Incident Database's submission shape.

The shape follows the AIID incident record (responsible-ai-collaborative/aiid, `server/types/incidents.ts`):
`date`, `title`, `description`, the alleged deployer, developer and harmed-or-nearly-harmed parties as entity
lists, the implicated systems and `classifications` by taxonomy namespace (here MIT, CSETv1-style counts, MITRE
ATLAS and OWASP LLM). It is sanitized: no privileged analysis, responsibility notes, people, evidence, timeline or
internal identifiers beyond the incident reference.

An incident is exported only once a legal reviewer approved a decision to disclose it to the AI Incident Database
or the public; the description is that decision's shareable summary, never the incident's internal summary.
Without such a decision (or with one whose shareable summary is empty) the export is refused, naming what is
missing.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from inventory.models import ComponentKind, OperatorRole
from portal.core import confidential
from reporting.models import Audience, Decision, DisclosureDecision

# Our incident classes in the MIT AI Risk Repository's domains and subdomains (the AIID `MIT` namespace).
MIT_RISK = {
    "prompt_injection": ("2. Privacy & Security", "2.2. AI system security vulnerabilities and attacks"),
    "jailbreak": ("2. Privacy & Security", "2.2. AI system security vulnerabilities and attacks"),
    "agent_runaway": ("7. AI system safety, failures, and limitations",
                      "7.1. AI pursuing its own goals in conflict with human goals or values"),
    "unauthorised_agent_action": ("7. AI system safety, failures, and limitations",
                                  "7.3. Lack of capability or robustness"),
    "data_poisoning": ("2. Privacy & Security", "2.2. AI system security vulnerabilities and attacks"),
    "model_extraction": ("2. Privacy & Security", "2.2. AI system security vulnerabilities and attacks"),
    "supply_chain": ("2. Privacy & Security", "2.2. AI system security vulnerabilities and attacks"),
    "data_leakage": ("2. Privacy & Security", "2.1. Compromise of privacy by obtaining, leaking or correctly "
                                              "inferring sensitive information"),
    "harmful_output": ("1. Discrimination and Toxicity", "1.1. Unfair discrimination and misrepresentation"),
    "hallucination": ("3. Misinformation", "3.1. False or misleading information"),
    "model_drift": ("7. AI system safety, failures, and limitations", "7.3. Lack of capability or robustness"),
    "physical_or_financial_damage": ("7. AI system safety, failures, and limitations",
                                     "7.3. Lack of capability or robustness"),
}
MIT_INTENT = {"adversarial": "Intentional", "unintentional": "Unintentional", "unknown": "Other"}
DEVELOPER_ROLES = {OperatorRole.PROVIDER, OperatorRole.PRODUCT_MANUFACTURER}


def _entities(names) -> list[str]:
    """AIID entity ids are slugs of the entity names."""
    return sorted({slugify(n) for n in names if n and slugify(n)})


def _populations(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,;\n]", text or "") if p.strip()]


class NotDisclosed(ValidationError):
    """The incident may not be exported: no approved decision to disclose it to the AIID or the public."""


def _approved_public_decision(incident) -> DisclosureDecision | None:
    decisions = [d for d in incident.disclosure_decisions.all()
                 if d.audience in (Audience.AIID, Audience.PUBLIC) and d.decision == Decision.DISCLOSE
                 and d.status == DisclosureDecision.Status.APPROVED]
    return max(decisions, key=lambda d: d.approved_at, default=None)


def disclosure_for_aiid(incident) -> DisclosureDecision:
    """The approved decision that allows the export (the latest approved to the AIID or the public), or
    `NotDisclosed` naming what is missing."""
    decision = _approved_public_decision(incident)
    if decision is None:
        raise NotDisclosed(
            f"{incident.reference} is not exported: it has no approved decision to disclose to the AI Incident "
            "Database or the public. Record one (audience AI Incident Database or public, decision disclose, with "
            "the shareable summary to publish) and have a legal reviewer approve it.", code="not_disclosed")
    if not decision.shareable_summary.strip():
        raise NotDisclosed(
            f"{incident.reference} is not exported: its approved decision to disclose to "
            f"{decision.get_audience_display()} has no shareable summary, and the internal summary is never "
            "exported. Record a new decision with the shareable summary to publish.", code="not_disclosed")
    return decision


def aiid_submission(incident) -> dict:
    """The incident as an AIID submission; `NotDisclosed` without an approved decision to disclose it."""
    decision = disclosure_for_aiid(incident)
    organisation = settings.ORGANISATION_NAME
    systems = list(incident.systems.all())
    models = [c for c in incident.components.all() if c.kind == ComponentKind.MODEL]
    developers = [c.supplier for c in models]
    if any(s.operator_role in DEVELOPER_ROLES for s in systems):
        developers.append(organisation)
    harmed = [p for s in systems for p in _populations(s.affected_populations)]
    when = incident.occurred_at or incident.detected_at
    domain, subdomain = MIT_RISK.get(incident.incident_class, ("", ""))
    classifications = {
        "MIT": {
            "Risk Domain": domain, "Risk Subdomain": subdomain,
            "Entity": "Human" if incident.intent == "adversarial" else "AI",
            "Intent": MIT_INTENT.get(incident.intent, "Other"), "Timing": "Post-deployment",
        },
        "CSETv1": {"Lives Lost": incident.deaths, "Injuries": incident.serious_injuries},
        "MITRE-ATLAS": sorted(t.pk for t in incident.atlas_techniques.all()),
        "OWASP-LLM-2025": sorted(r.pk for r in incident.owasp_risks.all()),
    }
    return {
        "date": when.date().isoformat(),
        "title": incident.title,
        "description": confidential.shareable(decision, ["shareable_summary"])["shareable_summary"],
        "AllegedDeployerOfAISystem": _entities([organisation]),
        "AllegedDeveloperOfAISystem": _entities(developers),
        "AllegedHarmedOrNearlyHarmedParties": _entities(harmed) or ["users"],
        "implicated_systems": _entities(s.name for s in systems),
        "classifications": classifications,
        "submission": {
            "source": "AI Incident Governance Portal", "incident_reference": incident.reference,
            "disclosure_approved": True, "disclosure_audience": decision.audience,
            "approved_at": decision.approved_at.isoformat(),
        },
    }
