"""Obligations of the scale data set, from the real regulatory clock.

Running the clock for every incident would cost more than the rest of the load, so the clock runs once per fact
template (where the incident happened, what harm, whether personal data was involved, the profile of its AI
systems: operator role and risk class), with the service that computes an incident's obligations
(`reporting.services.obligations.incident_specs`, the organisation's profile as the regulatory facts), at one
moment of awareness. Each incident takes a template, gets the facts it was computed from (its jurisdictions, harms,
personal data) and the template's obligations with their clock start and due time moved by the difference between
its awareness and the template's. A recompute of one incident can therefore move a business-day deadline by a day
or so; the rules, keys, texts and the number of obligations are the clock's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

from reporting import clock
from reporting.models import RegulatoryFacts
from reporting.services.obligations import _computed_values, incident_specs

DM, DT, DN = ("deployer", "minimal"), ("deployer", "transparency"), ("deployer", "")
DH = ("deployer", "high_risk_annex_iii")
PH, PG = ("provider", "high_risk_annex_iii"), ("provider", "gpai")
# (jurisdictions, harms, personal data involved, systems' profile, share): about two obligations per incident on
# average (a personal-data breach in the EU or UK owes two, a serious incident of a high-risk system more, the
# others none).
FACT_TEMPLATES = (
    (("DE",), ("privacy",), True, DM, 20),
    (("DE",), ("privacy",), True, DT, 10),
    (("FR", "DE"), ("privacy",), True, DH, 8),
    (("NL",), ("financial_loss", "privacy"), True, DM, 6),
    (("GB",), ("privacy",), True, DN, 8),
    (("GB",), ("privacy",), True, PG, 3),
    (("IT",), ("privacy",), True, PH, 5),
    (("ES",), ("privacy",), True, DM, 6),
    (("NL",), ("privacy",), True, DH, 4),
    (("FR",), ("serious_health_harm",), False, DH, 4),
    (("FR",), ("serious_health_harm",), False, PH, 4),
    (("DE", "FR"), ("fundamental_rights_infringement", "privacy"), True, DH, 5),
    (("DE", "FR"), ("fundamental_rights_infringement", "privacy"), True, PH, 5),
    (("US",), ("financial_loss",), False, DM, 5),
    (("US-CA",), ("reputational",), False, DT, 4),
    (("IE",), ("discrimination",), False, DN, 3),
    (("SG",), (), False, PG, 2),
)


@dataclass(frozen=True)
class Template:
    locations: tuple[str, ...]
    harms: tuple[str, ...]
    personal_data: bool
    profile: tuple[str, str]
    aware_at: dt.datetime
    obligations: tuple[dict, ...]  # the computed values of each obligation, with its key


class Templates:
    """The clock's obligations per (fact template, system profile), computed on first use."""

    def __init__(self, *, aware_at: dt.datetime):
        self.aware_at = aware_at
        self.version = clock.reference_data_version()
        self.regulatory = RegulatoryFacts(**RegulatoryFacts.profile_defaults())
        self._cache: dict = {}

    @property
    def computed(self) -> int:
        return len(self._cache)

    def get(self, index: int) -> Template:
        key = index
        if key not in self._cache:
            locations, harms, personal_data, profile, _share = FACT_TEMPLATES[index]
            incident = SimpleNamespace(
                pk=None, aware_at=self.aware_at, detected_at=self.aware_at, occurred_at=None,
                harms=list(harms), personal_data_involved=personal_data, data_subjects_affected=None,
                regulatory_facts=self.regulatory,
                jurisdictions=SimpleNamespace(all=lambda: [SimpleNamespace(code=c) for c in locations]),
                systems=SimpleNamespace(all=lambda: [SimpleNamespace(operator_role=profile[0],
                                                                     risk_class=profile[1])]),
            )
            obligations = tuple({"key": spec.key, **_computed_values(spec, self.version)}
                                for spec in incident_specs(incident))
            self._cache[key] = Template(locations=locations, harms=harms, personal_data=personal_data,
                                        profile=profile, aware_at=self.aware_at, obligations=obligations)
        return self._cache[key]
