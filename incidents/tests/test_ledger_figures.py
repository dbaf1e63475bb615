"""The BLAST figures come from the remediation ledger where it lists records of their kind: the figure in force,
where it comes from and the hand-entered figure it overrides, the same on the incident's page and in the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import blast
from incidents.models import Incident
from incidents.tests.admin.helpers import admin_url, page_text
from incidents.tests.factories import open_incident
from incidents.tests.ledger import import_records
from portal.core import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(compliance):
    return open_incident(compliance, title="Loan decisions scored on a broken feature", decisions_affected=1800,
                         users_affected=50)


def _shown(incident):
    incident = Incident.objects.get(pk=incident.pk)  # the ledger's counts are read once per instance
    return {f.name: (f.value, f.source, f.entered) for f in blast.blast_figures(incident)}


def test_figures_are_hand_entered_until_the_ledger_lists_records_of_their_kind(compliance, incident, tmp_path):
    assert _shown(incident) == {"users_affected": (50, "entered", 50), "decisions_affected": (1800, "entered", 1800),
                                "transactions_affected": (None, None, None)}

    import_records(compliance, incident, tmp_path, decision=3, account=2)

    assert _shown(incident) == {"users_affected": (50, "entered", 50), "decisions_affected": (3, "ledger", 1800),
                                "transactions_affected": (None, None, None), "accounts_affected": (2, "ledger", None)}
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.decisions_affected == 1800  # the hand-entered figure is kept as entered
    decisions = blast.blast_figure(incident, "decisions_affected")
    assert blast.figure_text(decisions) == "3 (counted in the remediation ledger; replaces the hand-entered 1,800)"
    assert blast.figure_text(blast.blast_figure(incident, "accounts_affected")) == (
        "2 (counted in the remediation ledger)")

    import_records(compliance, incident, tmp_path, person=4)
    assert _shown(incident)["users_affected"] == (4, "ledger", 50)


def test_the_incident_page_shows_the_ledger_figure_read_only_in_place_of_the_hand_entered_field(
        client_as, compliance, incident, tmp_path):
    import_records(compliance, incident, tmp_path, decision=3)
    response = client_as(roles.COMPLIANCE_OFFICER).get(admin_url("incident", "change", incident.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="decisions_affected"' not in html  # not editable while the ledger counts decisions
    assert 'name="users_affected"' in html  # the ledger lists no person: still entered by hand
    assert "3 (counted in the remediation ledger; replaces the hand-entered 1,800)" in page_text(response)


def test_the_api_detail_gives_the_figure_in_force_with_its_source_and_the_hand_entered_one(
        client_as, compliance, incident, tmp_path):
    import_records(compliance, incident, tmp_path, decision=3, transaction=5)
    body = client_as(roles.AUDITOR).get(f"/api/v1/incidents/{incident.reference}/").json()

    assert body["decisions_affected"] == 1800  # the writable, hand-entered field
    assert body["blast_figures"] == {
        "users_affected": {"value": 50, "source": "entered", "entered": 50},
        "decisions_affected": {"value": 3, "source": "ledger", "entered": 1800},
        "transactions_affected": {"value": 5, "source": "ledger", "entered": None},
        "accounts_affected": {"value": None, "source": None, "entered": None},
    }


def test_the_api_detail_counts_the_ledger_in_its_own_query_whatever_the_ledger_holds(
        client_as, compliance, incident, tmp_path):
    client = client_as(roles.AUDITOR)
    url = f"/api/v1/incidents/{incident.reference}/"
    client.get(url)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            body = client.get(url).json()
        return len(captured), body["blast_figures"]["decisions_affected"]["value"]

    none, _ = queries()
    import_records(compliance, incident, tmp_path, decision=2)
    few, two = queries()
    import_records(compliance, incident, tmp_path, decision=60, person=30, account=5)
    many, sixty_two = queries()

    assert (two, sixty_two) == (2, 62)
    assert none == few == many
