"""Facts validation: every bad key is named at once, datetimes need a time zone, choices come from one place."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from reporting.clock import (
    DORA_ENTITY_TYPES,
    HARMS,
    OPERATOR_ROLES,
    RISK_CLASSES,
    RISK_LEVELS,
    SERIOUS_HARMS,
    FactsError,
    parse_facts,
)

AWARE = "2027-03-02T10:00:00Z"


def errors_of(mapping) -> dict:
    with pytest.raises(FactsError) as caught:
        parse_facts(mapping)
    return caught.value.errors


def test_minimal_facts_need_only_aware_at_and_default_the_rest():
    facts = parse_facts({"aware_at": AWARE})
    assert facts.aware_at == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    assert facts.locations == ()
    assert facts.harms == ()
    assert facts.dora_entity_type == "other"
    assert facts.personal_data_breach is False
    assert dict(facts.submitted) == {}


def test_datetimes_with_an_offset_are_converted_to_utc():
    facts = parse_facts({"aware_at": "2027-03-02T11:30:00+01:30", "classified_major_at": "2027-03-02T05:00:00-05:00"})
    assert facts.aware_at == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    assert facts.classified_major_at == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    assert facts.aware_at.utcoffset() == timedelta(0)
    assert facts.aware_at.tzinfo in (UTC, timezone.utc)  # noqa: UP017


@pytest.mark.parametrize(
    ("mapping", "key", "message"),
    [
        ({"aware_at": AWARE, "nis2": True}, "nis2", "unknown fact"),
        ({}, "aware_at", "required"),
        ({"aware_at": None}, "aware_at", "required"),
        ({"aware_at": "2027-03-02T10:00:00"}, "aware_at", "naive"),
        ({"aware_at": "2027-03-02"}, "aware_at", "not an ISO 8601 date-time with a time zone"),
        ({"aware_at": "yesterday"}, "aware_at", "not an ISO 8601 date-time with a time zone"),
        ({"aware_at": 1767225600}, "aware_at", "not an ISO 8601 date-time with a time zone"),
        ({"aware_at": AWARE, "determined_at": "2027-03-02 10:00"}, "determined_at", "naive"),
        ({"aware_at": AWARE, "risk_class": "high_risk"}, "risk_class", "is not one of"),
        ({"aware_at": AWARE, "operator_role": "Provider"}, "operator_role", "is not one of"),
        ({"aware_at": AWARE, "risk_to_individuals": "low"}, "risk_to_individuals", "none, risk, high"),
        ({"aware_at": AWARE, "dora_entity_type": "bank"}, "dora_entity_type", "credit_institution"),
        ({"aware_at": AWARE, "nis2_entity": "true"}, "nis2_entity", "JSON boolean"),
        ({"aware_at": AWARE, "phi_breach": 1}, "phi_breach", "JSON boolean"),
        ({"aware_at": AWARE, "locations": ["DE", "Germany"]}, "locations", "'Germany'"),
        ({"aware_at": AWARE, "locations": ["D"]}, "locations", "ISO 3166"),
        ({"aware_at": AWARE, "locations": [49]}, "locations", "49"),
        ({"aware_at": AWARE, "locations": "DE"}, "locations", "must be a list"),
        ({"aware_at": AWARE, "harms": ["death", "boredom"]}, "harms", "boredom"),
        ({"aware_at": AWARE, "harms": "death"}, "harms", "must be a list"),
        ({"aware_at": AWARE, "individuals_affected": -1}, "individuals_affected", "non-negative integer"),
        ({"aware_at": AWARE, "individuals_affected": True}, "individuals_affected", "non-negative integer"),
        ({"aware_at": AWARE, "individuals_affected": "500"}, "individuals_affected", "non-negative integer"),
        ({"aware_at": AWARE, "submitted": ["nis2.notification"]}, "submitted", "must be an object"),
        ({"aware_at": AWARE, "submitted": {"nis2": AWARE}}, "submitted.nis2", "obligation key"),
        ({"aware_at": AWARE, "submitted": {"nis2.notification": "2027-03-03T10:00"}}, "submitted.nis2.notification",
         "naive"),
        ({"aware_at": AWARE, "occurred_at": "2027-03-03T10:00:00Z"}, "occurred_at", "after aware_at"),
    ],
)
def test_a_malformed_fact_is_named_with_what_is_wrong(mapping, key, message):
    errors = errors_of(mapping)
    assert key in errors
    assert message in errors[key]


def test_every_bad_key_is_reported_at_once():
    errors = errors_of({
        "aware_at": "2027-03-02T10:00:00",
        "nis2": True,
        "risk_class": "high_risk",
        "personal_data_breach": "yes",
        "locations": ["DE", "Germany"],
        "submitted": {"dora.initial": "soon"},
    })
    assert set(errors) == {"aware_at", "nis2", "risk_class", "personal_data_breach", "locations",
                           "submitted.dora.initial"}
    assert errors["nis2"] == "unknown fact"


def test_the_error_message_lists_every_key():
    with pytest.raises(FactsError) as caught:
        parse_facts({"aware_at": "no", "nis2": True})
    assert "aware_at: not an ISO 8601" in str(caught.value)
    assert "nis2: unknown fact" in str(caught.value)


@pytest.mark.parametrize("value", [None, "x", 3, ["aware_at"]])
def test_facts_must_be_an_object(value):
    assert errors_of(value) == {"facts": "must be a JSON object"}


def test_locations_are_upper_cased_and_deduplicated_in_order():
    facts = parse_facts({"aware_at": AWARE, "locations": ["de", "US-ca", "DE", " fr ", "DE-BY"]})
    assert facts.locations == ("DE", "US-CA", "FR", "DE-BY")


def test_harms_other_than_the_serious_incident_limbs_are_accepted():
    facts = parse_facts({"aware_at": AWARE, "harms": ["financial_loss", "privacy", "reputational"]})
    assert facts.harms == ("financial_loss", "privacy", "reputational")


def test_nulls_and_blank_choices_count_as_not_given():
    facts = parse_facts({"aware_at": AWARE, "risk_class": "", "operator_role": None, "nis2_entity": None,
                         "dora_entity_type": "", "classified_major_at": None})
    assert (facts.risk_class, facts.operator_role, facts.nis2_entity) == (None, None, False)
    assert facts.dora_entity_type == "other"
    assert facts.classified_major_at is None


def test_submitted_times_are_kept_per_obligation_key_in_utc():
    facts = parse_facts({"aware_at": AWARE, "submitted": {"eu_ai_act_73.initial@DE": "2027-03-03T10:00:00+01:00"}})
    assert facts.submitted == {"eu_ai_act_73.initial@DE": datetime(2027, 3, 3, 9, 0, tzinfo=UTC)}
    with pytest.raises(TypeError):
        facts.submitted["nis2.final"] = facts.aware_at  # read-only


def test_facts_are_frozen_and_hashable():
    facts = parse_facts({"aware_at": AWARE, "submitted": {"nis2.notification": AWARE}})
    with pytest.raises(AttributeError):
        facts.phi_breach = True
    assert hash(facts) == hash(parse_facts({"aware_at": AWARE, "submitted": {"nis2.notification": AWARE}}))
    assert facts != parse_facts({"aware_at": AWARE})


def test_the_allowed_values_match_the_incident_and_inventory_vocabulary():
    assert OPERATOR_ROLES == ("provider", "deployer", "importer", "distributor", "authorised_representative",
                              "product_manufacturer")
    assert RISK_CLASSES == ("prohibited", "high_risk_annex_i", "high_risk_annex_iii", "transparency", "minimal",
                            "gpai", "gpai_systemic_risk", "out_of_scope")
    assert HARMS[:5] == SERIOUS_HARMS
    assert set(HARMS) >= {"death", "financial_loss", "discrimination", "privacy", "psychological", "reputational"}
    assert RISK_LEVELS == ("none", "risk", "high")
    assert DORA_ENTITY_TYPES[-1] == "other"
