"""The audit pages run the same number of queries whatever the number of versions, records and sub-records."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory import services as inventory_services
from inventory.models import Activity, RaciRole
from inventory.tests.factories import ComponentFactory
from reporting.audit import views
from reporting.tests.audit.conftest import LEGAL, grow

pytestmark = pytest.mark.django_db


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_incident_page_runs_the_same_queries_at_two_sizes(client_as, scene, compliance, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 10)
    client = client_as(LEGAL)
    url = reverse("audit:incident", args=[scene.incident.reference])
    urls = [url, f"{url}?part=obligation", f"{url}?page=2"]
    small = [_queries(client, u) for u in urls]
    grow(scene.incident, compliance, rounds=6, start=2)
    assert client.get(url).context["page"].paginator.num_pages > 4
    large = [_queries(client, u) for u in urls]
    assert small == large


def test_the_system_page_runs_the_same_queries_at_two_sizes(client_as, scene, compliance):
    client = client_as(LEGAL)
    url = reverse("audit:system", args=[scene.system.slug])

    def more(count, start):
        for i in range(start, start + count):
            component = ComponentFactory(actor=compliance, name=f"tool-{i}")
            inventory_services.system_component_attach(actor=compliance, system=scene.system, component=component)
            inventory_services.ai_system_update(actor=compliance, system=scene.system, purpose=f"Purpose {i}")
            inventory_services.raci_assign(actor=compliance, system=scene.system, activity=Activity.REVOKE_KEY,
                                           role=RaciRole.CONSULTED, user=compliance)
            inventory_services.escalation_step_create(actor=compliance, system=scene.system, severity="p0",
                                                      order=i + 1, acknowledge_within_minutes=15, user=compliance)

    more(1, 0)
    small = _queries(client, url)
    more(5, 1)
    assert _queries(client, url) == small


def test_the_index_and_document_pages_run_the_same_queries_at_two_sizes(client_as, scene, compliance):
    client = client_as(LEGAL)
    urls = [reverse("audit:index"), reverse("audit:index") + "?q=Transcripts",
            reverse("audit:document", args=[scene.document.pk])]
    small = [_queries(client, u) for u in urls]
    grow(scene.incident, compliance, rounds=3, start=2)
    assert [_queries(client, u) for u in urls] == small
