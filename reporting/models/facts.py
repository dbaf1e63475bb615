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
        profile = set(getattr(settings, "REGULATORY_PROFILE", ()))
        return {name: name in profile for name in PROFILE_FACTS}


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
