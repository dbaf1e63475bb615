"""Our regime numbers against the shared reference clocks, when a checkout has them next to the project.

The reference file lives outside the project (a user's clone has no ../shared), so these tests skip without it.
"""

import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from reporting.clock import load_regimes

REFERENCE = Path(settings.BASE_DIR).parent / "shared" / "reference" / "data" / "regulatory" / "regulatory-clocks.json"
# reference clock id -> (regime, stage, variant provision fragment or None for the stage's own limit)
MAPPING = {
    "eu_aia_73_2_general": ("eu_ai_act_73", "initial", None),
    "eu_aia_73_3_widespread_or_critical_infra": ("eu_ai_act_73", "initial", "Art. 73(3)"),
    "eu_aia_73_4_death": ("eu_ai_act_73", "initial", "Art. 73(4)"),
    "eu_aia_26_5_deployer_to_provider": ("eu_ai_act_26_5", "inform_provider", None),
    "eu_aia_55_1c_gpai_sr": ("eu_ai_act_55", "report", None),
    "gdpr_33_sa": ("gdpr", "notification", None),
    "gdpr_34_data_subjects": ("gdpr", "data_subjects", None),
    "nis2_23_early_warning": ("nis2", "early_warning", None),
    "nis2_23_notification": ("nis2", "notification", None),
    "nis2_23_final": ("nis2", "final", None),
    "dora_initial": ("dora", "initial", None),
    "dora_intermediate": ("dora", "intermediate", None),
    "dora_final": ("dora", "final", None),
    "sec_8k_1_05": ("sec_8k", "item_1_05", None),
    "ca_sb53_csi": ("ca_sb53", "report", None),
    "ca_sb53_imminent": ("ca_sb53", "imminent_risk", None),
    "ny_raise_1422": ("ny_raise", "report", None),
    "dfars_252_204_7012": ("dfars_7012", "report", None),
    "hipaa_164_404_individuals": ("hipaa", "individuals", None),
    "nydfs_500_17_a": ("nydfs_500_17", "notice", None),
    "uk_gdpr_33": ("uk_gdpr", "notification", None),
    "cn_cac_incident_measures": ("cn_cac", "initial", None),
}


def reference_clocks() -> dict:
    if not REFERENCE.is_file():
        pytest.skip("the shared reference data is not next to this checkout")
    return {clock["id"]: clock for clock in json.loads(REFERENCE.read_text(encoding="utf-8"))["clocks"]}


def our_limit(regime_code: str, stage_code: str, variant: str | None):
    stage = next(r for r in load_regimes() if r.code == regime_code).stage(stage_code)
    if variant is None:
        return stage, stage.unit, stage.value
    found = next(v for v in stage.variants if variant in v.provision)
    return stage, found.unit, found.value


@pytest.mark.parametrize("clock_id", sorted(MAPPING))
def test_our_deadline_matches_the_reference(clock_id):
    clock = reference_clocks()[clock_id]
    stage, unit, value = our_limit(*MAPPING[clock_id])
    assert value == clock["deadline"]["value"]
    assert unit == clock["deadline"]["unit"]
    if "applies_from" in clock:
        assert stage.applies_from == date.fromisoformat(clock["applies_from"])


def test_the_dora_cap_matches_the_reference():
    cap = reference_clocks()["dora_initial"]["deadline"]["cap"]
    stage, _, _ = our_limit("dora", "initial", None)
    assert (stage.no_later_than.value, stage.no_later_than.unit) == (cap["value"], cap["unit"])
