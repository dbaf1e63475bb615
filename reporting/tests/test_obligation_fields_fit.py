"""Whatever the clock computes fits the obligation's columns: a rule text grown by a limit, a weekend/holiday relief
in a long time-zone name and an Attorney General's delay must not make recomputing an incident's obligations fail."""

from itertools import product

from reporting.clock import evaluate, parse_facts
from reporting.models import Obligation
from reporting.services.obligations import _computed_values

WORST = {
    "aware_at": "2027-05-06T08:00:00Z",  # Ascension Day in Germany: relief text with the holiday's name
    "locations": ["DE", "FR", "GB", "IS", "US-CA", "US-NY", "US-CO", "CN"],
    "operator_role": "provider", "risk_class": "high_risk_annex_iii", "deemed_provider": True,
    "harms": ["death", "critical_infrastructure_disruption"], "widespread_infringement": True,
    "personal_data_breach": True, "nis2_entity": False, "significant_incident": True,
    "dora_financial_entity": True, "classified_major_at": "2027-05-06T08:00:00Z",
    "sec_registrant": True, "materiality_determined_at": "2027-05-06T09:00:00Z",
    "sec_delay_until": "2027-12-31T09:00:00Z", "frontier_developer": True, "critical_safety_incident": True,
    "imminent_risk_of_death_or_injury": True, "covered_defense_information": True, "phi_breach": True,
    "nydfs_covered_entity": True, "extortion_payment_at": "2027-05-06T09:00:00Z", "cra_manufacturer": True,
    "actively_exploited_vulnerability": True, "severe_incident": True, "cn_relatively_major_or_above": True,
    "entity_time_zone": "America/Argentina/ComodRivadavia", "entity_country": "DE",
    "submitted": {"dora.initial": "2027-05-06T10:00:00Z", "dora.intermediate": "2027-05-07T10:00:00Z",
                  "nis2.notification": "2027-05-07T10:00:00Z"},
}


def test_every_computed_value_fits_its_column_in_the_worst_cases():
    limits = {f.name: f.max_length for f in Obligation._meta.get_fields() if getattr(f, "max_length", None)}
    for role, zone in product(("provider", "deployer"), ("UTC", "America/Argentina/ComodRivadavia", "Europe/Berlin")):
        for spec in evaluate(parse_facts({**WORST, "operator_role": role, "entity_time_zone": zone})):
            values = {"key": spec.key, **_computed_values(spec, "2026.12 (sha256:0123456789ab)")}
            too_long = {name: len(str(value)) for name, value in values.items()
                        if name in limits and value is not None and len(str(value)) > limits[name]}
            assert not too_long, f"{spec.key}: {too_long} (limits {limits})"
