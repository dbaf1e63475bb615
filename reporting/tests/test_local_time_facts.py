"""An incident's local-time facts (issue 12, item 2): a new incident's entity time zone and Member State come from the
organisation profile (ORGANISATION_TIME_ZONE, ORGANISATION_COUNTRY), are recorded with its regulatory facts, and the
obligations are computed with them (Del. Reg. (EU) 2025/301 Art. 5(4): 12:00 local time on the next working day)."""

from datetime import UTC, datetime

import pytest
from django.test import override_settings

from reporting import services
from reporting.models import RegulatoryFacts
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db

# Thursday 6 May 2027 is Ascension Day in Germany; 4 hours after 08:00 UTC classification falls on it.
AWARE = datetime(2027, 5, 6, 8, 0, tzinfo=UTC)


@override_settings(ORGANISATION_TIME_ZONE="Europe/Berlin", ORGANISATION_COUNTRY="DE")
def test_a_dora_deadline_on_a_german_holiday_moves_to_noon_berlin_time_with_the_profiles_defaults(compliance):
    incident = breach_incident(compliance, aware_at=AWARE)
    services.regulatory_facts_update(actor=compliance, incident=incident, dora_financial_entity=True,
                                     classified_major_at=AWARE)
    facts = RegulatoryFacts.objects.get(incident=incident)
    assert (facts.entity_time_zone, facts.entity_country) == ("Europe/Berlin", "DE")
    initial = incident.obligations.get(key="dora.initial")
    assert initial.due_at == datetime(2027, 5, 7, 10, 0, tzinfo=UTC)
    assert "Ascension Day" in initial.rule


@override_settings(ORGANISATION_TIME_ZONE="Europe/Berlin", ORGANISATION_COUNTRY="DE")
def test_an_incident_of_an_entity_elsewhere_is_corrected_per_incident(compliance):
    incident = breach_incident(compliance, aware_at=AWARE)
    services.regulatory_facts_update(actor=compliance, incident=incident, dora_financial_entity=True,
                                     classified_major_at=AWARE, entity_time_zone="Europe/Dublin",
                                     entity_country="IE")
    assert incident.obligations.get(key="dora.initial").due_at == datetime(2027, 5, 6, 12, 0, tzinfo=UTC)
