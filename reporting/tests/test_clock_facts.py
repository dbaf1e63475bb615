"""The facts the portal builds from an incident are the clock's documented format, and the clock's allowed values
are the inventory's and incidents' stored choices."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from incidents.models import Harm
from inventory.models import OperatorRole, RiskClass
from reporting import clock
from reporting.models import DoraEntityType, RiskToIndividuals
from reporting.services import clock_facts
from reporting.tests.factories import breach_incident, high_risk_system


def test_the_clock_accepts_exactly_the_stored_choices():
    assert set(clock.OPERATOR_ROLES) == set(OperatorRole.values)
    assert set(clock.RISK_CLASSES) == set(RiskClass.values)
    assert set(clock.HARMS) == set(Harm.values)
    assert set(clock.DORA_ENTITY_TYPES) == set(DoraEntityType.values)
    assert set(clock.RISK_LEVELS) == set(RiskToIndividuals.values) - {""}


@pytest.mark.django_db
def test_an_incidents_facts_run_through_the_command_give_its_obligations(compliance, tmp_path):
    incident = breach_incident(compliance, systems=[high_risk_system()], harms=["serious_health_harm"],
                               jurisdictions=("DE", "FR"))
    facts = clock_facts(incident, profile=("provider", "high_risk_annex_iii"))
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts))
    out = StringIO()
    call_command("regulatory_clock", "--facts", str(path), stdout=out)
    from_command = {o["key"]: o["due_at"] for o in json.loads(out.getvalue())}
    stored = {o.key: o.due_at for o in incident.obligations.all()}
    assert set(from_command) == set(stored)
    for key, due in stored.items():
        assert from_command[key] == (due.isoformat().replace("+00:00", "Z") if due else None)
