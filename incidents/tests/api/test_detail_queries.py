"""One incident by API: a fixed, small number of queries whatever the incident holds or how many incidents there
are, and the same representation as a plain read of the incident."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory
from rest_framework.utils.encoders import JSONEncoder

from incidents import selectors, services
from incidents.api import serializers
from incidents.models import AtlasTechnique, Incident, OwaspRisk, PostIncidentReview
from incidents.tests.api.conftest import incident_url
from incidents.tests.factories import checklist_item, open_incident
from inventory.tests.factories import AISystemFactory, ComponentFactory
from portal.core import roles

# The auth queries of a session request (session, user, the user's and the groups' permissions), then the incident
# with its commander and review, its named sets in one query, and one query per kind of response record (timeline,
# checklist, containment, evidence and its custody, recovery validations, action items).
SESSION_QUERIES = 4
DETAIL_QUERIES = 9


@pytest.fixture
def taxonomies(db):
    for i in range(4):
        AtlasTechnique.objects.get_or_create(id=f"AML.T90{i}", defaults={"name": f"Technique {i}"})
        OwaspRisk.objects.get_or_create(id=f"LLM9{i}:2025", defaults={"name": f"Risk {i}", "edition": "2025"})


def grow(incident, actor, n):
    """`n` more of every kind of record the detail shows, and `n` more systems, components and taxonomy rows."""
    systems = [*incident.systems.all(), *(AISystemFactory(actor=actor, name=f"{'Zeta' if i % 2 else 'alpha'} {i}")
                                           for i in range(n))]
    components = [*incident.components.all(), *(ComponentFactory(actor=actor, name=f"c-{n}-{i}") for i in range(n))]
    services.incident_update(
        actor=actor, incident=incident, systems=systems, components=components,
        atlas_techniques=AtlasTechnique.objects.order_by("-id")[: n + 1],
        owasp_risks=OwaspRisk.objects.order_by("-id")[: n + 1], jurisdictions=["FR", "DE", "IT"][: n])
    review = (PostIncidentReview.objects.filter(incident=incident).first()
              or services.review_record(actor=actor, incident=incident, root_cause="A poisoned corpus."))
    for i in range(n):
        checklist_item(incident, actor=actor)
        evidence = services.evidence_add(actor=actor, incident=incident, title=f"Log {n}-{i}", reference=f"s3://{i}")
        services.custody_record(actor=actor, evidence=evidence, action="accessed")
        services.recovery_validation_record(actor=actor, incident=incident)
        services.incident_note(actor=actor, incident=incident, text=f"Note {n}-{i}")
        services.action_item_add(actor=actor, review=review, description=f"Fix {n}-{i}", owner=actor,
                                 due_on=date(2026, 7, 1 + i))
        services.containment_record(actor=actor, incident=incident, kind="update_guardrail",
                                    target_system=systems[0], override_reason=f"Override {n}-{i}")


def detail_queries(client, incident):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(incident_url(incident))
    assert response.status_code == 200, response.content
    return len(queries), response.json()


def test_one_incident_runs_the_same_queries_with_few_and_many_records(client_for, role_users, inventory, taxonomies):
    admin = role_users["admin"]
    incident = open_incident(role_users[roles.COMPLIANCE_OFFICER], systems=[inventory.system])
    client = client_for("auditor")
    grow(incident, admin, 1)
    client.get(incident_url(incident))  # warm caches that are not per row (content types)
    few, small = detail_queries(client, incident)
    grow(incident, admin, 3)
    many, large = detail_queries(client, incident)

    assert len(large["evidence"]) == 4 > len(small["evidence"]) and len(large["review"]["action_items"]) == 4
    assert len(large["systems"]) == 5 and len(large["atlas_techniques"]) == 4
    assert all(row["custody"] for row in large["evidence"])
    assert many == few == SESSION_QUERIES + DETAIL_QUERIES


def test_one_incident_runs_the_same_queries_among_few_and_many_incidents(client_for, role_users, inventory):
    admin = role_users["admin"]
    incident = open_incident(admin, systems=[inventory.system])
    client = client_for("auditor")
    client.get(incident_url(incident))
    few, _ = detail_queries(client, incident)
    for i in range(30):
        open_incident(admin, title=f"Other {i}", systems=[inventory.system])
    many, body = detail_queries(client, incident)

    assert body["reference"] == incident.reference
    assert many == few <= SESSION_QUERIES + DETAIL_QUERIES


def test_the_detail_reads_the_same_as_a_plain_read_of_the_incident(client_for, role_users, inventory, taxonomies):
    """Systems in their name order, components in kind/name/version order, taxonomies and jurisdictions in their
    id and code order: as each model's own ordering lists them, with the same values."""
    admin = role_users["admin"]
    incident = open_incident(role_users[roles.COMPLIANCE_OFFICER], systems=[inventory.system])
    grow(incident, admin, 3)
    _, body = detail_queries(client_for("auditor"), incident)

    plain = selectors.with_sla_state(Incident.objects).get(pk=incident.pk)
    request = APIRequestFactory().get(incident_url(incident))
    expected = serializers.IncidentDetailSerializer(plain, context={"request": request}).data
    assert body["systems"] == [system.slug for system in plain.systems.all()]
    assert body["components"] == [component.pk for component in plain.components.all()]
    assert body["jurisdictions"] == [j.code for j in plain.jurisdictions.all()] == ["DE", "FR", "IT"]
    expected = json.loads(json.dumps(expected, cls=JSONEncoder))
    del body["sla"], expected["sla"]  # states computed against the time of each read
    assert body == expected


def test_an_unknown_reference_is_a_404(client_for, role_users):
    response = client_for("auditor").get(incident_url("AIIR-1999-9999"))
    assert response.status_code == 404

