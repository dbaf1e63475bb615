"""Who may do what on the incident endpoints, per role: one table over every read and write.

Compliance officers and incident responders read and write (as do superusers); legal reviewers, leadership and
auditors read only; anonymous requests are refused everywhere.
"""

from types import SimpleNamespace

import pytest

from incidents import services
from incidents.models import Incident
from incidents.tests.api.conftest import API, incident_url
from incidents.tests.factories import checklist_item

pytestmark = pytest.mark.django_db

ROLES = [None, "compliance", "responder", "legal", "leadership", "auditor", "admin"]
WRITERS = {"compliance", "responder", "admin"}


@pytest.fixture
def scene(role_users, inventory, incident):
    admin = role_users["admin"]
    evidence = services.evidence_add(actor=admin, incident=incident, title="Gateway logs",
                                     reference="s3://forensics/gw.log")
    review = services.review_record(actor=admin, incident=incident, root_cause="No input filter.")
    return SimpleNamespace(
        incident=incident, system=inventory.system, admin=admin, evidence=evidence, review=review,
        step=checklist_item(incident, actor=admin, order=100),
        validation=services.recovery_validation_record(actor=admin, incident=incident),
        action=services.action_item_add(actor=admin, review=review, description="Add a filter", owner=admin,
                                         due_on=review.reviewed_at.date()),
    )


def version(s):
    return Incident.objects.get(pk=s.incident.pk).version


# (name, method, url, payload): reads have no payload.
READS = [
    ("list incidents", "get", lambda s: f"{API}incidents/", None),
    ("retrieve incident", "get", lambda s: incident_url(s.incident), None),
    ("filter incidents", "get", lambda s: f"{API}incidents/?open=true&system=support-bot", None),
    ("checklist", "get", lambda s: incident_url(s.incident, "checklist/"), None),
    ("containment", "get", lambda s: incident_url(s.incident, "containment/"), None),
    ("evidence", "get", lambda s: incident_url(s.incident, "evidence/"), None),
    ("custody", "get", lambda s: incident_url(s.incident, f"evidence/{s.evidence.pk}/custody/"), None),
    ("validations", "get", lambda s: incident_url(s.incident, "validations/"), None),
    ("review", "get", lambda s: incident_url(s.incident, "review/"), None),
    ("action items", "get", lambda s: incident_url(s.incident, "review/action-items/"), None),
]
WRITES = [
    ("open incident", "post", lambda s: f"{API}incidents/",
     lambda s: {"title": "Jailbreak", "track": "security", "incident_class": "jailbreak", "severity": "p2"}),
    ("change incident", "patch", lambda s: incident_url(s.incident),
     lambda s: {"summary": "Analysis", "version": version(s)}),
    ("transition", "post", lambda s: incident_url(s.incident, "transition/"),
     lambda s: {"to": "triaged", "version": version(s)}),
    ("note", "post", lambda s: incident_url(s.incident, "notes/"), lambda s: {"text": "Looking into it."}),
    ("complete step", "post", lambda s: incident_url(s.incident, f"checklist/{s.step.pk}/complete/"),
     lambda s: {"notes": "Done"}),
    ("contain", "post", lambda s: incident_url(s.incident, "containment/"),
     lambda s: {"kind": "maintenance_banner", "target_system": s.system.slug, "override_reason": "Drill."}),
    ("add evidence", "post", lambda s: incident_url(s.incident, "evidence/"),
     lambda s: {"title": "Screenshot", "reference": "ticket 42"}),
    ("custody", "post", lambda s: incident_url(s.incident, f"evidence/{s.evidence.pk}/custody/"),
     lambda s: {"action": "accessed", "notes": "Read for the timeline."}),
    ("validate", "post", lambda s: incident_url(s.incident, "validations/"), lambda s: {"functional": "passed"}),
    ("update validation", "patch", lambda s: incident_url(s.incident, f"validations/{s.validation.pk}/"),
     lambda s: {"stress": "failed"}),
    ("review", "put", lambda s: incident_url(s.incident, "review/"), lambda s: {"root_cause": "No filter."}),
    ("add action item", "post", lambda s: incident_url(s.incident, "review/action-items/"),
     lambda s: {"description": "Retest", "owner": s.admin.pk, "due_on": "2026-12-01"}),
    ("complete action item", "post",
     lambda s: incident_url(s.incident, f"review/action-items/{s.action.pk}/complete/"), lambda s: {}),
]


def outcome(response):
    if response.status_code in (401, 403):
        return "denied"
    return "ok" if 200 <= response.status_code < 300 else f"unexpected {response.status_code}"


def attempt(client, scene, operations):
    results, bodies = {}, {}
    for name, method, url, payload in operations:
        response = getattr(client, method)(url(scene), payload(scene) if payload else None, format="json")
        results[name], bodies[name] = outcome(response), response.content[:300]
    return results, bodies


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_each_role_reads_exactly_what_its_permissions_allow(client_for, scene, role):
    got, bodies = attempt(client_for(role), scene, READS)
    expected = dict.fromkeys(got, "denied" if role is None else "ok")
    assert got == expected, {name: bodies[name] for name in got if got[name] != expected[name]}


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_each_role_writes_exactly_what_its_permissions_allow(client_for, scene, role):
    before = Incident.objects.get(pk=scene.incident.pk).timeline.count()
    got, bodies = attempt(client_for(role), scene, WRITES)
    expected = dict.fromkeys(got, "ok" if role in WRITERS else "denied")
    assert got == expected, {name: bodies[name] for name in got if got[name] != expected[name]}
    written = scene.incident.timeline.count() - before
    assert written > 0 if role in WRITERS else written == 0


def test_a_read_only_role_cannot_write_with_a_token_either(client_for, incident):
    client = client_for("auditor", auth="token")
    assert client.get(incident_url(incident)).status_code == 200
    response = client.patch(incident_url(incident), {"title": "x", "version": 1}, format="json")
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.title != "x"


def test_an_unknown_reference_is_404_for_the_incident_and_its_sub_resources(client_for):
    client = client_for("auditor")
    for suffix in ("", "checklist/", "evidence/", "review/"):
        assert client.get(incident_url("AIIR-1999-0001", suffix)).status_code == 404
