"""What the remediation ledger feeds in reporting: a notification's counts read the ledger like the incident's page,
the post-incident report gets the ledger's totals, and the regulatory clock reads no ledger count (ADR 0015)."""

import pytest

from incidents.models import Incident
from incidents.tests.ledger import import_records, move_to
from remediation.states import State
from reporting.services import documents
from reporting.services.facts import clock_facts
from reporting.tests.factories import breach_incident, keys

pytestmark = pytest.mark.django_db


def _fresh(incident):
    return Incident.objects.get(pk=incident.pk)


def test_a_notification_states_the_ledger_count_and_the_hand_entered_figure_it_replaces(compliance, tmp_path):
    incident = breach_incident(compliance, users_affected=900, decisions_affected=1800)
    organisation = {"name": "Northwind", "contact": "dpo@example.org"}
    assert documents._source_value(incident, "incident.decisions_affected", organisation) == "1,800"

    import_records(compliance, incident, tmp_path, decision=1250, person=3)

    incident = _fresh(incident)
    assert documents._source_value(incident, "incident.decisions_affected", organisation) == (
        "1,250 (counted in the remediation ledger; replaces the hand-entered 1,800)")
    assert documents._source_value(incident, "incident.users_affected", organisation) == (
        "3 (counted in the remediation ledger; replaces the hand-entered 900)")


def test_the_post_incident_report_context_has_the_ledger_totals_only_when_it_lists_records(compliance, tmp_path):
    incident = breach_incident(compliance)
    assert documents.post_incident_context(_fresh(incident))["remediation"] is None

    records = import_records(compliance, incident, tmp_path, transaction=7)
    move_to(compliance, records[:1], State.NOTIFIED)
    move_to(compliance, records[1:3], State.REDRESS_DECLINED)
    context = documents.post_incident_context(_fresh(incident))

    assert context["remediation"]["total"] == "7" and context["remediation"]["done_share"] == "14%"
    assert dict(context["remediation"]["states"]) == {
        "identified": "4", "under re-review": "0", "upheld": "0", "reversed": "0", "redress offered": "0",
        "redress accepted": "0", "redress declined": "2", "notified": "1", "closed": "0"}
    assert ["Transactions affected", "7 (counted in the remediation ledger)"] in context["blast"]
    # The 3 + 2 * 4 moves are counted, not listed: the timeline keeps the import and the incident's own events.
    assert context["remediation"]["record_events"] == "11"
    assert not [e for e in context["timeline"] if e["summary"].startswith("Affected transaction")]
    assert [e for e in context["timeline"] if e["summary"].startswith("Affected records imported")]
    assert documents.TEMPLATES["post_incident_report"] == "reporting/pdf/v3/post_incident_report.html"


def test_an_import_changes_neither_the_clock_facts_nor_the_obligations(compliance, tmp_path):
    incident = breach_incident(compliance, users_affected=40)
    facts, obligations = clock_facts(_fresh(incident)), keys(incident)

    import_records(compliance, incident, tmp_path, person=600, decision=10)

    assert clock_facts(_fresh(incident)) == facts  # individuals_affected stays the data subjects entered (1,200)
    assert facts["individuals_affected"] == 1200
    assert keys(incident) == obligations
