"""Fuzzing the REST API from its OpenAPI schema (schemathesis, in-process through the WSGI application): no input,
whether the schema allows it or not, may make an endpoint answer with a server error (5xx).

Authenticated as the compliance officer with an API token holding every scope, on a small scene built through the
services (inventory, an incident, a disclosure decision) whose records the detail endpoints are also asked about.
Every operation gets `FUZZ_EXAMPLES` cases (default 30): valid ones, invalid ones, and valid ones on the scene's
records. One test walks all operations (the scene is built once) and reports every failing operation with the
request that reproduces it.

The fuzz test is marked `fuzz`: `make test` leaves it out (pyproject's addopts), `.ci/run` runs it as a step of its own
(`pytest -m fuzz`, on SQLite).
"""

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

from portal.core import roles
from portal.core.tokens import api_token_create

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))


def build_scene(users):
    from types import SimpleNamespace

    from django.utils import timezone

    from incidents import services as incident_services
    from incidents.tests.factories import open_incident
    from inventory.tests.factories import make_small_inventory
    from remediation import services as remediation_services
    from remediation.tasks import bulk_change_start
    from reporting import services as reporting_services

    compliance = users[roles.COMPLIANCE_OFFICER]
    inventory = make_small_inventory(actor=users["admin"])
    incident = open_incident(compliance, systems=[inventory.system], personal_data_involved=True,
                             jurisdictions=["DE"])
    evidence = incident_services.evidence_add(actor=compliance, incident=incident, title="Logs", reference="ticket 1")
    decision = reporting_services.disclosure_record(
        actor=compliance, incident=incident, audience="regulator", decision="disclose", rationale="Personal data.",
        legal_basis="GDPR Art. 33")
    _, key = api_token_create(actor=compliance, user=compliance, name="fuzz",
                              scopes=["read", "write", "alert_intake"])
    affected = remediation_services.affected_record_create(
        actor=compliance, incident=incident, kind="person", external_id="applicant-1", subject_ref="subject-1",
        jurisdiction="DE", contact_channel="email")
    bulk_job, _ = bulk_change_start(actor=compliance, action="assign", reviewer=None,
                                    filters={"incident": str(incident.pk)}, as_of=timezone.now())
    return SimpleNamespace(inventory=inventory, incident=incident, evidence=evidence, decision=decision, key=key,
                           affected=affected, bulk_job=bulk_job)


def path_values(path, scene):
    """The scene's records for the path parameters of `path` (an OpenAPI path template)."""
    by_segment = {
        "systems": scene.inventory.system.slug, "components": scene.inventory.model.pk,
        "system-components": scene.inventory.link.pk, "dependencies": scene.inventory.edge.pk,
        "teams": scene.inventory.team.pk, "raci": scene.inventory.raci.pk,
        "escalation-steps": scene.inventory.step.pk, "jurisdictions": "DE", "incidents": scene.incident.reference,
        "evidence": scene.evidence.pk, "disclosure-decisions": scene.decision.pk,
        "obligations": getattr(scene.incident.obligations.first(), "pk", 1),
        "affected-records": scene.affected.pk, "bulk": scene.bulk_job.pk,
    }
    values = {}
    for segment, name in re.findall(r"([\w-]+)/\{(\w+)\}", path):
        if segment in by_segment:
            values[name] = by_segment[segment]
    return values


@pytest.mark.fuzz
def test_no_input_makes_the_api_answer_with_a_server_error(role_users):
    from portal.wsgi import application

    scene = build_scene(role_users)
    auth = {"Authorization": f"Token {scene.key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=auth)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        strategies = [operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE)]
        known = path_values(operation.path, scene)
        if known:
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))

        @given(case=st.one_of(strategies))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=False,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            response = case.call(headers=auth)
            case.validate_response(response, checks=[not_a_server_error])

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as failure:  # every failing operation is reported, not the first only
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert operations > 40, f"only {operations} operations in the schema"
    assert not failures, f"{len(failures)} operation(s) answered with a server error:\n\n" + "\n\n".join(failures)


# --- what the fuzzing found, kept as ordinary tests (the access matrix also requests `blast-radius.json` and the
# deadline board's history pages, which answered 500 before)

def test_a_disclosure_decision_patch_may_change_the_decision_itself(role_users):
    """PATCH {"decision": ...} collided with the service's keyword naming the record: a 500."""
    from rest_framework.test import APIClient

    scene = build_scene(role_users)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {scene.key}")
    response = client.patch(f"/api/v1/disclosure-decisions/{scene.decision.pk}/",
                            {"decision": "do_not_disclose", "version": scene.decision.version}, format="json")
    assert response.status_code == 200, response.content
    scene.decision.refresh_from_db()
    assert scene.decision.decision == "do_not_disclose"
