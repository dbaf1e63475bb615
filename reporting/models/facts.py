"""The regulatory facts of an incident that the incident record itself does not hold.

The incident gives awareness, occurrence, locations (its jurisdictions), harms, personal data and, through its
AI systems, the operator role and risk class. The organisation-level facts (is it a NIS2 entity, an SEC
registrant ...) default from `REGULATORY_PROFILE` when the row is created and can be corrected per incident.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from incidents.models import Incident
from portal.core.history import RegulatedHistory


class RiskToIndividuals(models.TextChoices):
    UNKNOWN = "", "Not yet assessed (notification shown as due, marked uncertain)"
    NONE = "none", "Unlikely to result in a risk (GDPR Art. 33(1))"
    RISK = "risk", "Risk to rights and freedoms"
    HIGH = "high", "High risk (GDPR Art. 34)"


class DoraEntityType(models.TextChoices):
    CREDIT_INSTITUTION = "credit_institution", "Credit institution"
    CENTRAL_COUNTERPARTY = "central_counterparty", "Central counterparty (CCP)"
    TRADING_VENUE = "trading_venue", "Trading venue"
    OTHER = "other", "Other financial entity"


def validate_time_zone(value):
    from reporting.clock.facts import time_zone_problem

    if value and (problem := time_zone_problem(value)):
        raise ValidationError(problem[0].upper() + problem[1:] + ".", code="time_zone")


def validate_country(value):
    from reporting.clock.places import country_problem

    if value and (problem := country_problem(value)):
        raise ValidationError(problem[0].upper() + problem[1:] + ".", code="country")


# Organisation-level facts: their default on a new row comes from settings.REGULATORY_PROFILE.
PROFILE_FACTS = (
    "nis2_entity", "dora_financial_entity", "sec_registrant", "frontier_developer", "nydfs_covered_entity",
    "critical_information_infrastructure",
)


class RegulatoryFacts(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="regulatory_facts")

    # EU AI Act
    widespread_infringement = models.BooleanField(
        default=False, help_text="Widespread infringement (AI Act Art. 3(61)): two or more Member States affected.")
    provider_unreachable = models.BooleanField(
        default=False, help_text="Deployer only: the provider cannot be reached, so Art. 73 applies to us "
                                 "(Art. 26(5)).")
    # GDPR / UK GDPR
    risk_to_individuals = models.CharField(max_length=8, choices=RiskToIndividuals.choices, blank=True)
    # NIS2
    nis2_entity = models.BooleanField("NIS2 essential or important entity", default=False)
    significant_incident = models.BooleanField("significant incident (NIS2 Art. 23(3))", default=False)
    # DORA
    dora_financial_entity = models.BooleanField("DORA financial entity", default=False)
    dora_entity_type = models.CharField(max_length=24, choices=DoraEntityType.choices, default=DoraEntityType.OTHER)
    classified_major_at = models.DateTimeField(
        null=True, blank=True, help_text="When the ICT incident was classified as major (DORA).")
    # SEC
    sec_registrant = models.BooleanField("SEC registrant", default=False)
    materiality_determined_at = models.DateTimeField(
        null=True, blank=True, help_text="When the incident was determined to be material (SEC Item 1.05).")
    # Frontier AI (California SB 53, New York RAISE Act)
    frontier_developer = models.BooleanField(default=False)
    critical_safety_incident = models.BooleanField(default=False)
    imminent_risk_of_death_or_injury = models.BooleanField(default=False)
    # US sector rules
    covered_defense_information = models.BooleanField("covered defense information affected (DFARS)", default=False)
    phi_breach = models.BooleanField("breach of unsecured PHI (HIPAA)", default=False)
    nydfs_covered_entity = models.BooleanField("NYDFS covered entity", default=False)
    determined_at = models.DateTimeField(
        null=True, blank=True, help_text="When a cybersecurity incident was determined to have occurred (NYDFS); "
                                         "awareness when empty.")
    # China
    critical_information_infrastructure = models.BooleanField("critical information infrastructure operator",
                                                              default=False)
    cn_relatively_major_or_above = models.BooleanField(
        "'relatively major' incident or above (CAC measures)", default=False)

    # Local time (README, "Regulatory clock: local time"); a new row takes the organisation profile's. Nullable, so
    # the history rows written before these fields keep their hashes (ADR 0006).
    entity_time_zone = models.CharField(  # noqa: DJ001  (nullable: ADR 0006)
        max_length=64, null=True, blank=True, validators=[validate_time_zone],
        help_text="The entity's time zone, an IANA name such as Europe/Berlin (an offset cannot follow clock "
                  "changes): its calendar months and years, and the DORA relief's 12:00. Empty: UTC.")
    entity_country = models.CharField(  # noqa: DJ001  (nullable: ADR 0006)
        max_length=2, null=True, blank=True, validators=[validate_country],
        help_text="The entity's Member State (ISO 3166-1, e.g. DE): the bank holidays of the DORA relief.")
    incident_time_zone = models.CharField(  # noqa: DJ001  (nullable: ADR 0006)
        max_length=64, null=True, blank=True, validators=[validate_time_zone],
        help_text="Where the incident was discovered (IANA name): the local date a regime's applies-from date is "
                  "read against. Empty: the entity's time zone.")

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = RegulatedHistory()

    class Meta:
        verbose_name = "regulatory facts"
        verbose_name_plural = "regulatory facts"

    def __str__(self):
        return f"Regulatory facts of {self.incident.reference}"

    @classmethod
    def profile_defaults(cls) -> dict:
        from reporting.profile import organisation_profile

        profile = set(getattr(settings, "REGULATORY_PROFILE", ()))
        organisation = organisation_profile()
        return {**{name: name in profile for name in PROFILE_FACTS},
                "entity_time_zone": organisation.time_zone, "entity_country": organisation.country}
