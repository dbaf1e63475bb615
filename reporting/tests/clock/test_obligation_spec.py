"""The shape of the result: sorting, keys, the JSON form, and the content of each notification."""

import json
from dataclasses import FrozenInstanceError, fields

import pytest

from reporting.clock import CONTENT_SOURCES, ObligationSpec, evaluate, parse_facts
from reporting.tests.clock.helpers import run

EVERYTHING = {
    "aware_at": "2027-03-02T10:00:00Z",
    "locations": ["DE", "FR", "GB", "US-CA", "US-NY", "CN"],
    "operator_role": "provider",
    "risk_class": "high_risk_annex_iii",
    "harms": ["death"],
    "personal_data_breach": True,
    "risk_to_individuals": "high",
    "nis2_entity": True,
    "significant_incident": True,
    "dora_financial_entity": True,
    "classified_major_at": "2027-03-02T11:00:00Z",
    "sec_registrant": True,
    "materiality_determined_at": "2027-03-03T10:00:00Z",
    "frontier_developer": True,
    "critical_safety_incident": True,
    "imminent_risk_of_death_or_injury": True,
    "covered_defense_information": True,
    "phi_breach": True,
    "individuals_affected": 800,
    "nydfs_covered_entity": True,
    "cn_relatively_major_or_above": True,
}
FIELDS = ["key", "regime", "regime_name", "provision", "stage", "stage_name", "recipient", "jurisdiction",
          "clock_start_event", "clock_starts_at", "due_at", "rule", "unit", "verification", "uncertain", "note",
          "source", "depends_on", "content"]


def test_obligation_spec_has_exactly_the_agreed_fields_and_is_frozen():
    assert [f.name for f in fields(ObligationSpec)] == FIELDS
    spec = next(iter(run(**EVERYTHING).values()))
    with pytest.raises(FrozenInstanceError):
        spec.due_at = None


def test_results_are_sorted_by_due_time_with_open_ended_ones_last_then_by_key():
    specs = evaluate(parse_facts(EVERYTHING))
    timed = [s for s in specs if s.due_at is not None]
    untimed = [s for s in specs if s.due_at is None]
    assert specs == timed + untimed
    assert [(s.due_at, s.key) for s in timed] == sorted((s.due_at, s.key) for s in timed)
    assert [s.key for s in untimed] == sorted(s.key for s in untimed)
    assert specs[0].key == "cn_cac.initial"  # 4 hours, the shortest here


def test_every_regime_fires_on_the_kitchen_sink_and_keys_are_unique():
    specs = evaluate(parse_facts(EVERYTHING))
    keys = [s.key for s in specs]
    assert len(keys) == len(set(keys))
    assert {s.regime for s in specs} == {
        "eu_ai_act_73", "gdpr", "uk_gdpr", "nis2", "dora", "sec_8k", "ca_sb53", "ny_raise", "dfars_7012", "hipaa",
        "nydfs_500_17", "cn_cac",
    }
    assert all(s.key.startswith(f"{s.regime}.{s.stage}") for s in specs)


def test_to_json_gives_utc_z_times_nulls_and_content_dicts():
    specs = run(**EVERYTHING)
    data = specs["nis2.early_warning"].to_json()
    assert list(data) == FIELDS
    assert data["clock_starts_at"] == "2027-03-02T10:00:00Z"
    assert data["due_at"] == "2027-03-03T10:00:00Z"
    assert specs["nis2.final"].to_json()["due_at"] is None
    assert all(set(item) == {"key", "label", "provision", "source"} for item in data["content"])
    json.dumps([s.to_json() for s in specs.values()])  # serialisable as is


def test_content_items_name_an_incident_path_or_entered_and_read_as_mappings():
    for spec in run(**EVERYTHING).values():
        assert spec.content, spec.key
        for item in spec.content:
            assert item.source in CONTENT_SOURCES
            assert dict(item) == item.to_json()
            assert item["label"] == item.label


def test_the_ai_act_report_content_covers_the_serious_incident_fields():
    content = {item.key: item.source for item in run(**EVERYTHING)["eu_ai_act_73.initial@DE"].content}
    assert content["member_states"] == "incident.jurisdictions"
    assert content["aware_at"] == "incident.aware_at"
    assert content["serious_incident_limb"] == "incident.harms"
    assert content["causal_link"] == "entered"
    assert content["corrective_measures"] == "incident.containment_actions"
