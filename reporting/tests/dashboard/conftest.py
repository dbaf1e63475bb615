"""Scenes for the dashboard tests, written through the services so every figure is computed over real records.

`incident_scene` (incidents, their timestamps, checklists, ATLAS techniques, inference logs), `inventory_scene`
(AI systems and their readiness) and `obligation_scene` (GDPR obligations overdue, due soon, submitted) each know
the figures they should produce; the tests state those figures as literals.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from incidents import services as incident_services
from incidents.lifecycle import Status
from incidents.models import ChecklistItem, Phase
from incidents.tests.factories import advance, open_incident, signed_validation
from inventory import services as inventory_services
from inventory.models import CONTAINMENT_ACTIVITIES, Lifecycle, RaciRole
from inventory.tests.factories import AISystemFactory, TeamFactory
from portal.core import roles
from portal.core.history import save_tracked
from reporting import services as reporting_services
from reporting.dashboard.selectors import month_starts
from reporting.models import Obligation
from reporting.tests.factories import breach_incident


@pytest.fixture
def no_runbook_checklists(monkeypatch):
    """Incidents open without their runbook's checklist, so a test places the CSF steps it counts."""
    monkeypatch.setattr("incidents.services.records.checklist_from_runbook", lambda incident, actor, **kwargs: 0)


def csf_step(incident, category: str, *, actor, order: int):
    return save_tracked(ChecklistItem(incident=incident, order=order, phase=Phase.CONTAIN,
                                      title=f"Step in {category}", csf_category_id=category), actor=actor)


@pytest.fixture
def responder(role_users):
    return role_users[roles.INCIDENT_RESPONDER]


@pytest.fixture
def incident_scene(no_runbook_checklists, compliance, responder):
    """Five incidents, times relative to the 11th of last month (t1) and the 4th of five months ago (t5), UTC:

    i1 P1 review: occurred t1-2h, detected t1, acknowledged +30 min, contained +4 h, recovered +24 h (all SLA
       targets met); complete logs; ATLAS AML.T0051.000 (sub-technique of Execution's T0051); CSF RS.MA, DE.AE.
    i2 P2 triaged: occurred t1-3h, detected t1+1h, acknowledged +90 min, contain target (72 h) breached;
       incomplete logs; ATLAS AML.T0051 (Execution) and AML.T0015 (Initial Access, Defense Evasion, Impact); RS.MA.
    i3 P3 dismissed: occurred t5-10h, detected t5; complete logs; ATLAS AML.T0024 (Exfiltration); RC.RP. Counted
       nowhere (not open, and a dismissal says it was not an incident).
    i4 P0 detected: occurred t5-1h, detected t5, never acknowledged (breached); logs not recorded;
       ATLAS AML.T0024.000 (Exfiltration through its parent).
    i5 P1 detected ten minutes ago: on track; logs not recorded.
    """
    now = timezone.now()
    starts = month_starts(now)
    t1 = starts[-2] + timedelta(days=10)
    t5 = starts[-6] + timedelta(days=3)
    hour = timedelta(hours=1)

    i1 = open_incident(compliance, title="Injected support bot", severity="p1", occurred_at=t1 - 2 * hour,
                       detected_at=t1, complete_inference_logs=True, atlas_techniques=["AML.T0051.000"])
    incident_services.incident_transition(actor=responder, incident=i1, to=Status.TRIAGED, at=t1 + hour / 2)
    incident_services.incident_transition(actor=responder, incident=i1, to=Status.CONTAINED, at=t1 + 4 * hour)
    advance(i1, responder, Status.RECOVERING)
    signed_validation(i1, engineering=responder, compliance=compliance)
    incident_services.incident_transition(actor=responder, incident=i1, to=Status.REVIEW, at=t1 + 24 * hour)
    csf_step(i1, "RS.MA", actor=responder, order=1)
    csf_step(i1, "DE.AE", actor=responder, order=2)
    csf_step(i1, "RS.MI", actor=responder, order=3)

    i2 = open_incident(compliance, title="Evasion of the fraud model", severity="p2", occurred_at=t1 - 3 * hour,
                       detected_at=t1 + hour, complete_inference_logs=False,
                       atlas_techniques=["AML.T0051", "AML.T0015"])
    incident_services.incident_transition(actor=responder, incident=i2, to=Status.TRIAGED, at=t1 + 2.5 * hour)
    csf_step(i2, "RS.MA", actor=responder, order=1)

    i3 = open_incident(compliance, title="Red-team exercise", severity="p3", occurred_at=t5 - 10 * hour,
                       detected_at=t5, complete_inference_logs=True, atlas_techniques=["AML.T0024"])
    incident_services.incident_transition(actor=responder, incident=i3, to=Status.DISMISSED,
                                          note="A planned red-team exercise.", at=t5 + hour)
    csf_step(i3, "RC.RP", actor=responder, order=1)

    i4 = open_incident(compliance, title="Model inversion", severity="p0", occurred_at=t5 - hour, detected_at=t5,
                       atlas_techniques=["AML.T0024.000"])
    i5 = open_incident(compliance, title="Odd answers", severity="p1", detected_at=now - timedelta(minutes=10))
    return SimpleNamespace(i1=i1, i2=i2, i3=i3, i4=i4, i5=i5, t1=t1, t5=t5, now=now)


@pytest.fixture
def inventory_scene(compliance):
    """Seven AI systems. High-risk and not retired: `exposed` (no logging, no procedures, no Accountable),
    `partial` (ready but one containment activity without an Accountable), `ready` (nothing missing).
    `retired` is high-risk and retired (left out); `minimal`, `gpai` and `unassessed` fill the risk classes."""
    team = TeamFactory(actor=compliance, name="ML platform")

    def high_risk(name, *, ready=True, accountable_for=CONTAINMENT_ACTIVITIES, **fields):
        readiness = {"inference_logging": True, "log_retention_days": 90, "kill_switch_procedure": "Flip the flag.",
                     "rollback_procedure": "Redeploy the previous model."} if ready else {}
        values = {"lifecycle": Lifecycle.PRODUCTION, "risk_class": "high_risk_annex_iii",
                  "annex_iii_area": "employment", "risk_rationale": "Screens job applicants.", **readiness, **fields}
        system = AISystemFactory(actor=compliance, name=name, slug=name, **values)
        for activity in accountable_for:
            inventory_services.raci_assign(actor=compliance, system=system, activity=activity,
                                           role=RaciRole.ACCOUNTABLE, team=team)
        return system

    return SimpleNamespace(
        exposed=high_risk("exposed", ready=False, accountable_for=()),
        partial=high_risk("partial", accountable_for=CONTAINMENT_ACTIVITIES[:3], risk_class="high_risk_annex_i",
                          annex_iii_area="", annex_i_product="Lift safety component (Machinery Regulation)"),
        ready=high_risk("ready"),
        retired=high_risk("retired", ready=False, accountable_for=(), lifecycle=Lifecycle.RETIRED),
        minimal=AISystemFactory(actor=compliance, name="minimal", slug="minimal"),
        gpai=AISystemFactory(actor=compliance, name="gpai", slug="gpai", risk_class="gpai",
                             risk_rationale="A general-purpose model we provide."),
        unassessed=AISystemFactory(actor=compliance, name="unassessed", slug="unassessed", risk_class="",
                                   risk_rationale=""),
    )


def _notification(incident) -> Obligation:
    return incident.obligations.get(key="gdpr.notification")


def _record(incident) -> Obligation:
    return incident.obligations.get(key="gdpr.record")


@pytest.fixture
def obligation_scene(compliance):
    """GDPR breaches (each: a 72-hour notification and a register record without a deadline).

    overdue: aware 100 h ago (notification overdue by 28 h); due_12h: aware 60 h ago (due in 12 h);
    due_48h: aware 24 h ago (due in 48 h; its record marked not applicable); and three breaches whose notification
    was submitted 10 h, 30 h and 50 h after the clock started. Open without a deadline: 5 records."""
    now = timezone.now().replace(microsecond=0)
    hours = lambda n: timedelta(hours=n)  # noqa: E731
    overdue = breach_incident(compliance, aware_at=now - hours(100), title="Overdue breach")
    due_12h = breach_incident(compliance, aware_at=now - hours(60), title="Breach due today")
    due_48h = breach_incident(compliance, aware_at=now - hours(24), title="Breach due later")
    record = _record(due_48h)
    reporting_services.obligation_mark_not_applicable(actor=compliance, obligation=record,
                                                      rationale="Recorded in the group register.",
                                                      expected_version=record.version)
    submitted = []
    for aware_ago, took in ((200, 30), (300, 10), (400, 50)):
        incident = breach_incident(compliance, aware_at=now - hours(aware_ago), title=f"Reported breach {took}")
        notification = _notification(incident)
        reporting_services.obligation_submit(actor=compliance, obligation=notification,
                                             submitted_at=now - hours(aware_ago) + hours(took),
                                             authority_reference=f"SA-{took}", expected_version=notification.version)
        submitted.append(incident)
    return SimpleNamespace(overdue=overdue, due_12h=due_12h, due_48h=due_48h, submitted=submitted, now=now,
                           notification=_notification)
