"""The organisation profile: who notifies, from where, and in which time zone.

Read from the settings (README, "Regulatory reporting": ORGANISATION_NAME, ORGANISATION_CONTACT, ORGANISATION_COUNTRY,
ORGANISATION_TIME_ZONE). The incident's regulatory facts default from it and may correct it per incident.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import checks

DEFAULT_NAME = "Example Organisation"


@dataclass(frozen=True)
class OrganisationProfile:
    name: str
    contact: str
    country: str  # ISO 3166-1 alpha-2 of the main establishment, or ""
    time_zone: str  # IANA zone name

    @property
    def is_placeholder(self) -> bool:
        """The shipped example name: nothing a regulator should receive."""
        return self.name.strip() in ("", DEFAULT_NAME)


def organisation_profile() -> OrganisationProfile:
    return OrganisationProfile(
        name=settings.ORGANISATION_NAME, contact=settings.ORGANISATION_CONTACT,
        country=(settings.ORGANISATION_COUNTRY or "").strip().upper(),
        time_zone=(settings.ORGANISATION_TIME_ZONE or "UTC").strip(),
    )


@checks.register(checks.Tags.compatibility)
def check_profile(app_configs=None, **kwargs):
    """`reporting.E201`: ORGANISATION_TIME_ZONE is not an IANA zone; `reporting.E202`: ORGANISATION_COUNTRY is not
    an ISO 3166-1 alpha-2 code; `reporting.E203`: an entry of REGULATORY_PROFILE is not a profile fact."""
    from reporting.clock.facts import time_zone_problem
    from reporting.clock.places import country_problem
    from reporting.models import RegulatoryFacts

    profile = organisation_profile()
    errors = []
    if problem := time_zone_problem(profile.time_zone):
        errors.append(checks.Error(f"ORGANISATION_TIME_ZONE: {problem}.", id="reporting.E201"))
    if profile.country and (problem := country_problem(profile.country)):
        errors.append(checks.Error(f"ORGANISATION_COUNTRY: {problem}.", id="reporting.E202"))
    errors += [checks.Error(f"REGULATORY_PROFILE: {problem}.", id="reporting.E203")
               for problem in RegulatoryFacts.profile_problems()]
    return errors


@checks.register(checks.Tags.compatibility, deploy=True)
def check_profile_deploy(app_configs=None, **kwargs):
    """`reporting.W203` (`check --deploy`): the notifying organisation is the shipped placeholder, or the country
    of its main establishment is not set. Regulatory notifications are refused until the name is set, and the GDPR
    lead authority (Art. 56(1)) cannot be named without the country."""
    profile = organisation_profile()
    problems = []
    if profile.is_placeholder:
        problems.append(checks.Warning(
            f"ORGANISATION_NAME is the placeholder {DEFAULT_NAME!r}: regulatory notifications are refused in "
            "production until it names the organisation that notifies.",
            hint="Set ORGANISATION_NAME and ORGANISATION_CONTACT (README, 'Regulatory reporting').",
            id="reporting.W203"))
    if not profile.country:
        problems.append(checks.Warning(
            "ORGANISATION_COUNTRY is not set: the GDPR lead supervisory authority (Art. 56(1)) of the main "
            "establishment cannot be named, and the Member-State calendar of the DORA relief is unknown.",
            hint="The ISO 3166-1 alpha-2 code of the main establishment, e.g. IE (README, 'Regulatory reporting').",
            id="reporting.W203"))
    return problems
