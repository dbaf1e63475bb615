"""The regulatory facts of an incident that the incident record itself does not hold.

The incident gives awareness, occurrence, locations (its jurisdictions), harms, personal data and, through its
AI systems, the operator role and risk class. The organisation-level facts (is it a NIS2 entity, an SEC
registrant ...) default from `REGULATORY_PROFILE` when the row is created and can be corrected per incident.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from incidents.models import Incident
from inventory.models import PersonalData
from portal.core.history import RegulatedHistory


class RiskToIndividuals(models.TextChoices):
    UNKNOWN = "", "Not yet assessed (notification shown as due, marked uncertain)"
    NONE = "none", "Unlikely to result in a risk (GDPR Art. 33(1))"
    RISK = "risk", "Risk to rights and freedoms"
    HIGH = "high", "High risk (GDPR Art. 34)"


class GdprRole(models.TextChoices):
    UNKNOWN = "", "Not given (read as controller)"
    CONTROLLER = "controller", "Controller (notifies the authority, Art. 33(1))"
    PROCESSOR = "processor", "Processor (notifies the controller, Art. 33(2))"


class HipaaRole(models.TextChoices):
    UNKNOWN = "", "Not given (read as covered entity)"
    COVERED_ENTITY = "covered_entity", "Covered entity"
    BUSINESS_ASSOCIATE = "business_associate", "Business associate (notifies the covered entity, 164.410)"


class DataSubjectCategory(models.TextChoices):
    """Categories of data subjects a personal-data breach concerns (GDPR Art. 33(3)(a))."""

    CUSTOMERS = "customers", "Customers"
    SERVICE_USERS = "service_users", "Users of the service"
    EMPLOYEES = "employees", "Employees"
    JOB_APPLICANTS = "job_applicants", "Job applicants"
    PATIENTS = "patients", "Patients"
    CHILDREN = "children", "Children"
    OTHER = "other", "Other"


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


# Organisation-level facts: their default on a new row comes from settings.REGULATORY_PROFILE, a list of the
# boolean facts that hold (e.g. "nis2_entity") and of "<choice fact>=<value>" entries (e.g. "gdpr_role=processor").
PROFILE_FACTS = (
    "nis2_entity", "dora_financial_entity", "sec_registrant", "frontier_developer", "nydfs_covered_entity",
    "critical_information_infrastructure", "cra_manufacturer",
)
PROFILE_CHOICES = {"gdpr_role": GdprRole, "hipaa_role": HipaaRole}


class RegulatoryFacts(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="regulatory_facts")

    # EU AI Act
    widespread_infringement = models.BooleanField(
        default=False, help_text="Widespread infringement (AI Act Art. 3(61)): two or more Member States affected.")
    provider_unreachable = models.BooleanField(
        default=False, help_text="Deployer only: the provider cannot be reached, so Art. 73 applies to us "
                                 "(Art. 26(5)).")
    deemed_provider = models.BooleanField(
        default=False, help_text="We are the provider under Art. 25: a product manufacturer placing the system on the "
                                 "market or into service under our own name or trademark (25(3)), or our name, a "
                                 "substantial modification or a changed intended purpose (25(1)).")
    legacy_gpai_model = models.BooleanField(
        "GPAI model placed on the market before 2 August 2025", default=False,
        help_text="Art. 111(3): its provider complies by 2 August 2027 (Art. 55 reporting from then).")
    # GDPR / UK GDPR
    risk_to_individuals = models.CharField(max_length=8, choices=RiskToIndividuals.choices, blank=True)
    gdpr_role = models.CharField("role in the processing (GDPR)", max_length=12, choices=GdprRole.choices,
                                 blank=True)

    # The breach itself (Art. 33(3)(a)): facts of the incident, confirmed by a compliance officer; proposed from the
    # affected systems' inventory categories, never copied from them. The approximate number of data subjects is
    # the incident's `data_subjects_affected`. Nullable, so that the history chain's hashes of older rows hold
    # (a NULL is left out of a row's canonical form).
    personal_data_categories = models.JSONField(
        "categories of personal data concerned", null=True, blank=True, default=None,
        help_text="Values of inventory.PersonalData; empty (null) until established.")
    data_subject_categories = models.JSONField(
        "categories of data subjects concerned", null=True, blank=True, default=None,
        help_text="Values of DataSubjectCategory; empty (null) until established.")
    records_concerned = models.PositiveIntegerField(
        "approximate number of personal-data records concerned", null=True, blank=True)
    breach_facts_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+",
        help_text="The compliance officer who last confirmed the breach facts.")
    breach_facts_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # NIS2
    nis2_entity = models.BooleanField("NIS2 essential or important entity", default=False)
    significant_incident = models.BooleanField("significant incident (NIS2 Art. 23(3))", default=False)
    service_recipients_affected = models.BooleanField(
        "service recipients affected (NIS2 Art. 23(1))", default=False,
        help_text="The significant incident is likely to adversely affect the provision of our services.")
    nis2_intermediate_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When the CSIRT or authority asked for an intermediate report "
                                         "(Art. 23(4)(c)).")
    ongoing_at_final_report = models.BooleanField(
        "still being handled at the final-report deadline (NIS2 Art. 23(4)(e))", default=False)
    handling_completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the handling of the incident ended (NIS2 Art. 23(4)(e)).")
    # Cyber Resilience Act
    cra_manufacturer = models.BooleanField("manufacturer of a product with digital elements (CRA)", default=False)
    actively_exploited_vulnerability = models.BooleanField(
        "actively exploited vulnerability in our product (CRA Art. 14(1))", default=False)
    severe_incident = models.BooleanField(
        "severe incident affecting the security of our product (CRA Art. 14(3))", default=False)
    corrective_measure_available_at = models.DateTimeField(
        null=True, blank=True, help_text="When a corrective or mitigating measure became available (CRA "
                                         "Art. 14(2)(c)).")
    # DORA
    dora_financial_entity = models.BooleanField("DORA financial entity", default=False)
    dora_entity_type = models.CharField(max_length=24, choices=DoraEntityType.choices, default=DoraEntityType.OTHER)
    classified_major_at = models.DateTimeField(
        null=True, blank=True, help_text="When the ICT incident was classified as major (DORA).")
    # SEC
    sec_registrant = models.BooleanField("SEC registrant", default=False)
    materiality_determined_at = models.DateTimeField(
        null=True, blank=True, help_text="When the incident was determined to be material (SEC Item 1.05).")
    sec_delay_until = models.DateTimeField(
        null=True, blank=True, help_text="End of the delay the US Attorney General specified (SEC Item 1.05(c)).")
    # Frontier AI (California SB 53, New York RAISE Act)
    frontier_developer = models.BooleanField(default=False)
    critical_safety_incident = models.BooleanField(default=False)
    imminent_risk_of_death_or_injury = models.BooleanField(default=False)
    # US sector rules
    covered_defense_information = models.BooleanField("covered defense information affected (DFARS)", default=False)
    phi_breach = models.BooleanField("breach of unsecured PHI (HIPAA)", default=False)
    hipaa_role = models.CharField("HIPAA role", max_length=20, choices=HipaaRole.choices, blank=True)
    state_residents_affected = models.PositiveIntegerField(
        null=True, blank=True, help_text="HIPAA 164.406: the most residents of any one State or jurisdiction "
                                         "affected (more than 500: media notice).")
    nydfs_covered_entity = models.BooleanField("NYDFS covered entity", default=False)
    determined_at = models.DateTimeField(
        null=True, blank=True, help_text="When a cybersecurity incident was determined to have occurred (NYDFS); "
                                         "awareness when empty.")
    extortion_payment_at = models.DateTimeField(
        null=True, blank=True, help_text="When an extortion payment was made (NYDFS 500.17(c)).")
    # Colorado
    algorithmic_discrimination_discovered_at = models.DateTimeField(
        null=True, blank=True, help_text="When algorithmic discrimination was discovered (SB 24-205; never in "
                                         "force).")
    adverse_decision_at = models.DateTimeField(
        null=True, blank=True, help_text="When the automated decision-making technology made a consequential "
                                         "decision with an adverse outcome (SB 26-189).")
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

    def clean(self):
        errors = {}
        for name, choices, what in (("personal_data_categories", PersonalData, "personal-data categories"),
                                    ("data_subject_categories", DataSubjectCategory, "data-subject categories")):
            if problem := _choice_list_problem(getattr(self, name), choices, what):
                errors[name] = problem
        if errors:
            raise ValidationError(errors)

    @property
    def breach_facts_confirmed(self) -> bool:
        return self.breach_facts_confirmed_at is not None

    @classmethod
    def profile_defaults(cls) -> dict:
        from reporting.profile import organisation_profile

        entries = [str(entry).strip() for entry in getattr(settings, "REGULATORY_PROFILE", ())]
        flags = {entry for entry in entries if "=" not in entry}
        chosen = dict(entry.split("=", 1) for entry in entries if "=" in entry)
        defaults = {name: name in flags for name in PROFILE_FACTS}
        for name, choices in PROFILE_CHOICES.items():
            value = chosen.get(name, "").strip()
            defaults[name] = value if value in choices.values else ""
        organisation = organisation_profile()
        defaults.update(entity_time_zone=organisation.time_zone, entity_country=organisation.country)
        return defaults

    @classmethod
    def profile_problems(cls) -> list[str]:
        """What is wrong with settings.REGULATORY_PROFILE: unknown entries and choice values."""
        problems = []
        for entry in (str(e).strip() for e in getattr(settings, "REGULATORY_PROFILE", ())):
            name, sep, value = entry.partition("=")
            if not sep and name not in PROFILE_FACTS:
                problems.append(f"{entry!r} is not one of {', '.join(PROFILE_FACTS)} (or {', '.join(PROFILE_CHOICES)}"
                                "=<value>)")
            elif sep and name not in PROFILE_CHOICES:
                problems.append(f"{entry!r}: {name!r} is not one of {', '.join(PROFILE_CHOICES)}")
            elif sep and value.strip() not in [v for v in PROFILE_CHOICES[name].values if v]:
                allowed = ", ".join(v for v in PROFILE_CHOICES[name].values if v)
                problems.append(f"{entry!r}: {value.strip()!r} is not one of {allowed}")
        return problems


def _choice_list_problem(value, choices, what: str) -> str | None:
    """Why `value` is not a list of `choices` values (None: not established), or None."""
    if value is None:
        return None
    if not isinstance(value, list):
        return f"The {what} must be a list."
    unknown = sorted({str(v) for v in value if not isinstance(v, str) or v not in choices.values})
    if unknown:
        return f"Unknown {what}: {', '.join(unknown)}; allowed: {', '.join(choices.values)}."
    if len(set(value)) != len(value):
        return f"The {what} list names a category twice."
    return None
