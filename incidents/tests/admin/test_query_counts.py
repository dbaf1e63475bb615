"""The incident pages run the same number of queries however many incidents or sub-records there are."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.models import AtlasTechnique, CsfCategory, Evidence, Incident, Runbook, RunbookStep, TimelineEvent
from incidents.tests.admin.helpers import admin_url
from incidents.tests.factories import open_incident, passed_validation
from inventory.tests.factories import AISystemFactory, ComponentFactory
from portal.core import roles

SMALL, LARGE = 10, 60  # a query per row would show at either size; 60 keeps the suite quick


def _queries(client, url):
    client.get(url)  # warm caches (content types, sessions) so both sizes start alike
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


class Incidents:
    """Grows the incidents to a count, each with systems and a commander, some overdue, some closed."""

    def __init__(self, actor, commander):
        self.actor, self.commander = actor, commander
        self.systems = [AISystemFactory(actor=actor) for _ in range(3)]

    def grow(self, count):
        for i in range(Incident.objects.count(), count):
            detected = timezone.now() - timedelta(minutes=7 * i)
            incident = open_incident(self.actor, title=f"Incident {i}", severity=f"p{i % 4}", detected_at=detected,
                                     systems=self.systems[: 1 + i % 3], commander=self.commander if i % 2 else None,
                                     incident_class="other" if i % 3 else "jailbreak")
            if i % 5 == 0:
                services.incident_transition(actor=self.actor, incident=incident, to="dismissed", note="Test alert.")


LIST_URLS = ["", "?sla=breached", "?system={system}&severity__exact=p1", "?q=incident&o=5.-9", "?o=3&p=2",
             "?detected_at__gte=2020-01-01T00:00:00%2B00:00"]


def test_the_incident_list_runs_the_same_number_of_queries_at_10_and_200_incidents(client_as, compliance,
                                                                                  responder, monkeypatch):
    # The list shows no checklist: skip copying the runbooks to keep 200 incidents quick to open.
    monkeypatch.setattr("incidents.services.records.checklist_from_runbook", lambda incident, actor, **kwargs: 0)
    rows = Incidents(compliance, responder)
    client = client_as(roles.LEADERSHIP)
    urls = [admin_url("incident", "changelist") + query.format(system=rows.systems[0].pk) for query in LIST_URLS]

    rows.grow(SMALL)
    small = [_queries(client, url) for url in urls]
    rows.grow(LARGE)
    large = [_queries(client, url) for url in urls]

    assert Incident.objects.count() == LARGE
    assert large == small


class SubRecords:
    """Grows every kind of record the incident page shows, `n` of each."""

    def __init__(self, incident, compliance, responder):
        self.incident, self.compliance, self.responder = incident, compliance, responder
        self.system = incident.systems.get()
        self.review = services.review_record(actor=compliance, incident=incident, root_cause="Unsanitised corpus.")

    def grow(self, n):
        actor, incident = self.compliance, self.incident
        for i in range(n):
            component = ComponentFactory(actor=actor)
            services.incident_update(actor=actor, incident=incident, components=[*incident.components.all(),
                                                                                   component])
            services.containment_record(actor=self.responder, incident=incident, kind="update_guardrail",
                                        target_system=self.system, override_reason=f"Override {i}")
            evidence = services.evidence_add(actor=actor, incident=incident, title=f"Log {i}",
                                             file=SimpleUploadedFile(f"log-{i}.txt", f"line {i}\n".encode()))
            services.evidence_verify(actor=self.responder, evidence=evidence)
            services.evidence_add(actor=actor, incident=incident, title=f"Ticket {i}", reference=f"jira://SEC-{i}")
            validation = passed_validation(incident, self.responder)
            services.recovery_signoff(actor=self.responder, validation=validation, as_role="engineering",
                                      expected_version=validation.version)
            services.action_item_add(actor=actor, review=self.review, description=f"Fix {i}", owner=self.responder,
                                     due_on=date(2026, 7, 1 + i))
            services.incident_note(actor=self.responder, incident=incident, text=f"Note {i}")
        step = incident.checklist.filter(done_at__isnull=True).first()
        services.checklist_item_complete(actor=self.responder, item=step, notes="Done.")
        techniques = AtlasTechnique.objects.order_by("id")[: 2 * n]
        services.incident_update(actor=actor, incident=incident, atlas_techniques=techniques,
                                 jurisdictions=["DE", "FR", "IT"][: 1 + n % 3])


@pytest.mark.parametrize("role", [roles.COMPLIANCE_OFFICER, roles.AUDITOR])
def test_the_incident_page_runs_the_same_number_of_queries_with_few_and_many_sub_records(
    client_as, compliance, responder, scene, role
):
    records = SubRecords(scene.incident, compliance, responder)
    client = client_as(role)
    url = admin_url("incident", "change", scene.incident.pk)

    records.grow(1)
    few = _queries(client, url)
    records.grow(5)
    many = _queries(client, url)

    assert scene.incident.containment_actions.count() == 6 and Evidence.objects.count() == 12
    assert TimelineEvent.objects.filter(incident=scene.incident).count() >= 60
    assert many == few


READ_ONLY_LISTS = ["timelineevent", "evidence", "atlastechnique", "runbook", "runbookstep"]


def _add_row(model_name, i, compliance, incident):
    if model_name == "evidence":
        evidence = services.evidence_add(actor=compliance, incident=incident, title=f"Ticket {i}",
                                         reference=f"jira://SEC-{i}")
        services.custody_record(actor=compliance, evidence=evidence, action="accessed")
    elif model_name == "timelineevent":
        services.incident_note(actor=compliance, incident=incident, text=f"Note {i}")
    elif model_name == "atlastechnique":
        AtlasTechnique.objects.create(id=f"AML.T9{i:03d}", name=f"Test technique {i}",
                                      parent=AtlasTechnique.objects.first())  # reference data: no history
    else:  # runbooks and their steps are reference data: no history
        runbook = Runbook.objects.order_by("id")[i % 3]
        RunbookStep.objects.create(runbook=runbook, order=100 + i, phase="contain", title=f"Test step {i}",
                                   csf_category=CsfCategory.objects.first(),
                                   atlas_technique=AtlasTechnique.objects.first())


@pytest.mark.parametrize("model_name", READ_ONLY_LISTS)
def test_the_read_only_lists_run_the_same_number_of_queries_at_two_sizes(client_as, compliance, scene, model_name):
    client = client_as(roles.AUDITOR)
    url = admin_url(model_name, "changelist")

    _add_row(model_name, 0, compliance, scene.incident)
    small = _queries(client, url)
    for i in range(1, 13):
        _add_row(model_name, i, compliance, scene.incident)
    large = _queries(client, url)

    assert large == small


def test_the_incident_page_runs_the_same_queries_among_few_and_many_incidents(client_as, compliance, responder,
                                                                             scene, monkeypatch):
    monkeypatch.setattr("incidents.services.records.checklist_from_runbook", lambda incident, actor, **kwargs: 0)
    rows = Incidents(compliance, responder)
    client = client_as(roles.COMPLIANCE_OFFICER)
    url = admin_url("incident", "change", scene.incident.pk)

    rows.grow(SMALL)
    few = _queries(client, url)
    rows.grow(LARGE)
    many = _queries(client, url)

    assert Incident.objects.count() == LARGE
    assert many == few


def test_the_autocomplete_fields_are_labelled_from_what_the_page_loaded(client_as, compliance, responder, scene):
    """The systems, components, techniques and commander shown selected are read once, by the page's prefetch."""
    SubRecords(scene.incident, compliance, responder).grow(2)
    client = client_as(roles.COMPLIANCE_OFFICER)
    url = admin_url("incident", "change", scene.incident.pk)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)

    reads = [q["sql"] for q in captured.captured_queries]
    for table in ("inventory_aisystem", "inventory_component", "incidents_atlastechnique", "inventory_jurisdiction"):
        assert sum(sql.startswith("SELECT") and f'FROM "{table}"' in sql for sql in reads) == 1, table
    text = response.content.decode()
    assert f'<option value="{scene.system.pk}" selected>{scene.system.name}</option>' in text
    assert f'<option value="{responder.pk}" selected>' in text
