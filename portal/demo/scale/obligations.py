"""Obligations of the scale data set, from the real regulatory clock.

Running the clock for every incident would cost more than the rest of the load, so the clock runs once per fact
template (where the incident happened, what harm, whether personal data was involved, the profile of its AI
systems: operator role and risk class) and era, with the service that computes an incident's obligations
(`reporting.services.obligations.incident_specs`, the organisation's profile as the regulatory facts). An era is a
stretch of time between two dates on which a regime's stage starts or stops applying (`boundaries`: applies_from,
applies_until, the later starts and the per-country dates of the regimes' data), so the same rules apply throughout
it; the template is computed at the awareness of the first incident of the era that takes it. Each incident takes
a template, gets the facts it was computed from (its jurisdictions, harms, personal data, systems of that profile)
and the template's obligations with their clock start and due time moved by the difference between its awareness
and the template's. The generator keeps awareness more than a day away from a boundary (time zones). A recompute
of one incident can therefore move a business-day deadline by a day or so; the rules, keys, texts and the number
of obligations are the clock's.
"""

from __future__ import annotations

import bisect
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


def boundaries() -> list[dt.date]:
    """The dates on which some regime's stage starts or stops applying (see the module docstring)."""
    days = set()
    for regime in clock.load_regimes():
        for stage in regime.stages:
            days.add(stage.applies_from)
            if stage.applies_until is not None:
                days.add(stage.applies_until + dt.timedelta(days=1))
            days.update(later.applies_from for later in stage.applies_from_when)
            for start, end in stage.in_force_by_location.values():
                days.update(d for d in (start, end and end + dt.timedelta(days=1)) if d is not None)
    return sorted(days)


class Templates:
    """The clock's obligations per fact template and era, computed on first use."""

    def __init__(self):
        self.version = clock.reference_data_version()
        self.regulatory = RegulatoryFacts(**RegulatoryFacts.profile_defaults())
        self.boundaries = boundaries()
        self._cache: dict = {}

    @property
    def computed(self) -> int:
        return len(self._cache)

    def near_boundary(self, moment: dt.datetime) -> bool:
        """Is `moment` within a day and a half of a date on which the rules change?"""
        i = bisect.bisect_left(self.boundaries, moment.date())
        near = self.boundaries[max(0, i - 1):i + 1]
        return any(abs(moment - dt.datetime.combine(d, dt.time(), tzinfo=dt.UTC)) < dt.timedelta(hours=36)
                   for d in near)

    def get(self, index: int, aware_at: dt.datetime) -> Template:
        key = (index, bisect.bisect_right(self.boundaries, aware_at.date()))
        if key not in self._cache:
            locations, harms, personal_data, profile, _share = FACT_TEMPLATES[index]
            incident = SimpleNamespace(
                pk=None, aware_at=aware_at, detected_at=aware_at, occurred_at=None,
                harms=list(harms), personal_data_involved=personal_data, data_subjects_affected=None,
                regulatory_facts=self.regulatory,
                jurisdictions=SimpleNamespace(all=lambda: [SimpleNamespace(code=c) for c in locations]),
                systems=SimpleNamespace(all=lambda: [SimpleNamespace(operator_role=profile[0],
                                                                     risk_class=profile[1])]),
            )
            obligations = tuple({"key": spec.key, **_computed_values(spec, self.version)}
                                for spec in incident_specs(incident))
            self._cache[key] = Template(locations=locations, harms=harms, personal_data=personal_data,
                                        profile=profile, aware_at=aware_at, obligations=obligations)
        return self._cache[key]
