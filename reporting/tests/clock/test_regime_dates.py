"""The stage keys added for issue 12 are checked when the regime files load: applies_until and superseded,
in_force_by_location and territory, applies_from_when, wait_for_clock_start and postponed_by."""

import shutil

import pytest

from reporting.clock import RegimeFileError, load_regimes
from reporting.clock.regimes import REGIMES_DIR


@pytest.fixture
def regime_dir(tmp_path):
    target = tmp_path / "regimes"
    shutil.copytree(REGIMES_DIR, target)
    return target


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("gdpr.yaml", "    GB: {until: 2020-12-31}", "    GB: {until: 2017-12-31}",
         "in_force_by_location.GB.until: outside the stage's applies_from/applies_until"),
        ("gdpr.yaml", "    IS: {from: 2018-07-20}", "    US: {from: 2018-07-20}",
         "in_force_by_location.US: not a country of the location group"),
        ("gdpr.yaml", "    IS: {from: 2018-07-20}", "    IS: {from: 2018-01-01}",
         "in_force_by_location.IS.from: before the stage's applies_from"),
        ("gdpr.yaml", "    IS: {from: 2018-07-20}", "    IS: {since: 2018-07-20}", "a mapping with from and/or until"),
        ("gdpr.yaml", "  territory: gdpr_territory\n", "  territory: atlantis\n", "territory: a location group"),
        ("gdpr.yaml", "  territory: gdpr_territory\n", "", "in_force_by_location: needs per_location or territory"),
        ("co_sb24_205.yaml", "  applies_until: 2026-06-29\n", "", "superseded: needs applies_until"),
        ("nis2.yaml", "  applies_from: 2024-10-18\n", "  applies_from: 2024-10-18\n  applies_until: 2024-01-01\n",
         "never applies; say why in `superseded`"),
        ("eu_ai_act_55.yaml", "        applies_from: 2027-08-02", "        applies_from: 2024-08-02",
         "applies_from_when[0].applies_from: before the stage's applies_from"),
        ("nis2.yaml", "    clock_start: submitted:notification\n",
         "    clock_start: submitted:notification\n    wait_for_clock_start: true\n",
         "wait_for_clock_start: only for a clock started by a date-time fact"),
        ("sec_8k.yaml", "      fact: sec_delay_until", "      fact: sec_registrant", "postponed_by: has fact"),
        ("sec_8k.yaml", "      max_days: 120", "      max_days: -1", "postponed_by.max_days: a positive integer"),
    ],
)
def test_a_malformed_date_or_waiting_key_is_refused_naming_the_place(regime_dir, file, old, new, message):
    path = regime_dir / file
    text = path.read_text()
    assert old in text, "the test edits a line that exists"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(RegimeFileError) as caught:
        load_regimes(regime_dir)
    assert str(caught.value).startswith(f"{file}: ")
    assert message in str(caught.value)


def test_the_superseded_colorado_rule_loads_and_says_why():
    stages = next(r for r in load_regimes() if r.code == "co_sb24_205").stages
    assert all(s.applies_until < s.applies_from and s.superseded for s in stages)


def test_per_country_dates_of_a_per_location_stage_drop_only_the_countries_not_yet_in_force(regime_dir):
    from reporting.clock import evaluate, parse_facts

    path = regime_dir / "eu_ai_act_73.yaml"
    text = path.read_text()
    old = "  applies_from: 2026-08-02\n"
    assert old in text
    path.write_text(text.replace(old, old + "  in_force_by_location:\n    DE: {from: 2027-06-01}\n", 1))
    facts = parse_facts({"aware_at": "2027-03-02T10:00:00Z", "locations": ["DE", "FR"], "operator_role": "provider",
                         "risk_class": "high_risk_annex_iii", "harms": ["death"]})
    keys = {s.key for s in evaluate(facts, regimes=load_regimes(regime_dir)) if s.regime == "eu_ai_act_73"}
    assert keys == {"eu_ai_act_73.initial@FR", "eu_ai_act_73.complete@FR"}
