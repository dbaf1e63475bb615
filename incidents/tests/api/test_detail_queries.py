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

# The auth queries of a session request (the session, the user with its permissions) and of a token
# request (the token with its user and the names of its own and its groups' permissions, in one query); then the
# incident with its commander, its review and every kind of response record (timeline, checklist, containment,
# evidence, custody, recovery validations, action items, each as a JSON array), and its named sets in one more.
SESSION_QUERIES = 2
TOKEN_QUERIES = 1
DETAIL_QUERIES = 2


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
    assert many == few == SESSION_QUERIES + DETAIL_QUERIES <= 8


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


def test_a_token_request_runs_the_same_queries_with_few_and_many_records(client_for, role_users, inventory,
                                                                        taxonomies):
    admin = role_users["admin"]
    incident = open_incident(role_users[roles.COMPLIANCE_OFFICER], systems=[inventory.system])
    client = client_for("auditor", auth="token")
    grow(incident, admin, 1)
    client.get(incident_url(incident))
    few, small = detail_queries(client, incident)
    grow(incident, admin, 3)
    many, large = detail_queries(client, incident)

    assert len(large["evidence"]) == 4 > len(small["evidence"])
    assert many == few == TOKEN_QUERIES + DETAIL_QUERIES <= 8


def test_a_token_reads_a_freshly_opened_incident_in_at_most_eight_queries(client_for, role_users, inventory):
    incident = open_incident(role_users[roles.COMPLIANCE_OFFICER], systems=[inventory.system])
    client = client_for("auditor", auth="token")
    client.get(incident_url(incident))
    count, body = detail_queries(client, incident)

    assert body["timeline"] and body["checklist"]
    assert body["evidence"] == body["containment_actions"] == body["recovery_validations"] == []
    assert count == TOKEN_QUERIES + DETAIL_QUERIES <= 8


def test_kinds_an_incident_has_none_of_read_as_empty_without_a_query(client_for, role_users, inventory):
    """A review without action items, no containment or recovery validation: the empty sets are shown as empty
    lists, as a plain read shows them, and cost no query."""
    admin = role_users["admin"]
    incident = open_incident(admin, systems=[inventory.system])
    services.evidence_add(actor=admin, incident=incident, title="Log", reference="s3://log")
    services.review_record(actor=admin, incident=incident, root_cause="A poisoned corpus.")
    client = client_for("auditor", auth="token")
    client.get(incident_url(incident))
    count, body = detail_queries(client, incident)

    plain = selectors.with_sla_state(Incident.objects).get(pk=incident.pk)
    request = APIRequestFactory().get(incident_url(incident))
    expected = json.loads(json.dumps(
        serializers.IncidentDetailSerializer(plain, context={"request": request}).data, cls=JSONEncoder))
    assert body["evidence"][0]["custody"] == expected["evidence"][0]["custody"] != []
    assert body["review"]["action_items"] == expected["review"]["action_items"] == []
    del body["sla"], expected["sla"]
    assert body == expected
    assert count == TOKEN_QUERIES + DETAIL_QUERIES


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



def test_each_incident_is_read_with_its_own_named_sets_from_the_query_compiled_once(client_for, role_users,
                                                                                     inventory):
    """The named sets' query is compiled once and run with each incident's id: reading one incident after another
    gives each its own systems and components, never the first one's."""
    admin = role_users["admin"]
    other_system = AISystemFactory(actor=admin, name="Other system")
    other_component = ComponentFactory(actor=admin, name="other-component")
    first = open_incident(admin, systems=[inventory.system])
    second = open_incident(admin, title="Second", systems=[other_system], components=[other_component])
    client = client_for("auditor", auth="token")

    bodies = [client.get(incident_url(incident)).json() for incident in (first, second, first)]

    assert bodies[0]["systems"] == bodies[2]["systems"] == [inventory.system.slug]
    assert bodies[1]["systems"] == [other_system.slug]
    assert bodies[1]["components"] == [other_component.pk] and bodies[0]["components"] == []
