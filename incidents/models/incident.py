"""The incident record, its append-only timeline and its reference sequence."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from incidents.lifecycle import Status
from inventory.models import AISystem, Component, Jurisdiction
from portal.core.choices import Severity
from portal.core.history import RegulatedHistory


class Track(models.TextChoices):
    """NIST's split (AI 100-2): attacks on AI systems versus harms caused by AI systems."""

    SECURITY = "security", "Attack on an AI system (security)"
    SAFETY = "safety", "Harm caused by an AI system (safety)"


class IncidentClass(models.TextChoices):
    PROMPT_INJECTION = "prompt_injection", "Prompt injection"
    JAILBREAK = "jailbreak", "Jailbreak"
    AGENT_RUNAWAY = "agent_runaway", "Agent runaway"
    UNAUTHORISED_AGENT_ACTION = "unauthorised_agent_action", "Unauthorised agent action"
    DATA_POISONING = "data_poisoning", "Data poisoning"
    MODEL_EXTRACTION = "model_extraction", "Model extraction / theft"
    SUPPLY_CHAIN = "supply_chain", "Supply-chain compromise"
    DATA_LEAKAGE = "data_leakage", "Training-data or privacy leakage"
    HARMFUL_OUTPUT = "harmful_output", "Harmful or biased output"
    HALLUCINATION = "hallucination", "Hallucination / misinformation"
    MODEL_DRIFT = "model_drift", "Model drift / degradation"
    PHYSICAL_OR_FINANCIAL_DAMAGE = "physical_or_financial_damage", "Physical or financial damage"
    OTHER = "other", "Other"


class Intent(models.TextChoices):
    ADVERSARIAL = "adversarial", "Adversarial"
    UNINTENTIONAL = "unintentional", "Unintentional"
    UNKNOWN = "unknown", "Unknown"


class DetectionSource(models.TextChoices):
    MONITORING = "monitoring", "Monitoring / observability alert"
    GUARDRAIL = "guardrail", "Guardrail block"
    USER_REPORT = "user_report", "User or customer report"
    EMPLOYEE = "employee", "Employee report"
    RED_TEAM = "red_team", "Red team / adversarial testing"
    AUDIT = "audit", "Audit or review"
    THIRD_PARTY = "third_party", "Supplier or third party"
    REGULATOR = "regulator", "Regulator or authority"
    MEDIA = "media", "Media or public"
    OTHER = "other", "Other"


class Harm(models.TextChoices):
    """Harm types; the first five are the limbs of a serious incident (EU AI Act Art. 3(49))."""

    DEATH = "death", "Death of a person"
    SERIOUS_HEALTH_HARM = "serious_health_harm", "Serious harm to health"
    CRITICAL_INFRASTRUCTURE_DISRUPTION = "critical_infrastructure_disruption", "Critical infrastructure disruption"
    FUNDAMENTAL_RIGHTS_INFRINGEMENT = "fundamental_rights_infringement", "Fundamental-rights infringement"
    SERIOUS_PROPERTY_OR_ENVIRONMENTAL_HARM = (
        "serious_property_or_environmental_harm", "Serious property or environmental harm"
    )
    FINANCIAL_LOSS = "financial_loss", "Financial loss"
    DISCRIMINATION = "discrimination", "Discrimination"
    PRIVACY = "privacy", "Privacy harm"
    PSYCHOLOGICAL = "psychological", "Psychological harm"
    REPUTATIONAL = "reputational", "Reputational harm"


class Scope(models.TextChoices):
    UNKNOWN = "unknown", "Not yet known"
    ISOLATED = "isolated", "Isolated"
    SYSTEMIC = "systemic", "Systemic"


class Party(models.TextChoices):
    DEVELOPER = "developer", "Developer"
    DEPLOYER = "deployer", "Deployer"
    USER = "user", "User"
    SUPPLIER = "supplier", "Supplier"


# Timestamps that must be in this order when set (the lifecycle stamps them in this order too).
TIMESTAMP_ORDER = ("occurred_at", "detected_at", "acknowledged_at", "contained_at", "recovered_at", "closed_at")


class Incident(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    track = models.CharField(max_length=10, choices=Track.choices)
    incident_class = models.CharField("class", max_length=40, choices=IncidentClass.choices)
    intent = models.CharField(max_length=16, choices=Intent.choices, default=Intent.UNKNOWN)
    severity = models.CharField(max_length=2, choices=Severity.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DETECTED, editable=False)

    systems = models.ManyToManyField(AISystem, blank=True, related_name="incidents")
    components = models.ManyToManyField(Component, blank=True, related_name="incidents")

    occurred_at = models.DateTimeField(null=True, blank=True, help_text="When the failure or attack began.")
    detected_at = models.DateTimeField()
    aware_at = models.DateTimeField(
        null=True, blank=True, help_text="When the organisation became aware: most regulatory clocks start here."
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    contained_at = models.DateTimeField(null=True, blank=True)
    recovered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # SLA due times, computed by the service from severity and detection time (settings.INCIDENT_SLA).
    acknowledge_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    contain_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolve_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The earliest unmet target's due time and the moment it becomes "due soon": kept by the services so that
    # lists and filters compute the SLA state in the database (incidents.selectors.with_sla_state).
    sla_next_due_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    sla_next_warn_at = models.DateTimeField(null=True, blank=True, editable=False)

    detection_source = models.CharField(max_length=16, choices=DetectionSource.choices, default=DetectionSource.OTHER)
    source_reference = models.CharField(max_length=200, blank=True, help_text="Alert or ticket id at the source.")
    dedup_key = models.CharField(max_length=200, blank=True, help_text="Alert deduplication key (alert intake).")
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="commanded_incidents"
    )

    atlas_techniques = models.ManyToManyField("incidents.AtlasTechnique", blank=True, related_name="incidents",
                                              verbose_name="MITRE ATLAS techniques")
    owasp_risks = models.ManyToManyField("incidents.OwaspRisk", blank=True, related_name="incidents",
                                         verbose_name="OWASP LLM risks")

    # BLAST scope: who and what was hit, where, how badly.
    users_affected = models.PositiveIntegerField(null=True, blank=True)
    decisions_affected = models.PositiveIntegerField(null=True, blank=True)
    transactions_affected = models.PositiveIntegerField(null=True, blank=True)
    exposure_started_at = models.DateTimeField(null=True, blank=True)
    exposure_ended_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.UNKNOWN)
    personal_data_involved = models.BooleanField(null=True, blank=True)
    data_subjects_affected = models.PositiveIntegerField(null=True, blank=True)
    jurisdictions = models.ManyToManyField(Jurisdiction, blank=True, related_name="incidents")
    harms = models.JSONField(default=list, blank=True)
    deaths = models.PositiveIntegerField(default=0)
    serious_injuries = models.PositiveIntegerField(default=0)
    financial_loss = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    financial_loss_currency = models.CharField(max_length=3, blank=True)

    # Responsibility across the AI value chain, and whether the evidence exists.
    responsible_parties = models.JSONField(default=list, blank=True)
    responsibility_notes = models.TextField(blank=True)
    complete_inference_logs = models.BooleanField(
        null=True, blank=True, help_text="Complete inference logs exist for the exposure window."
    )

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = RegulatedHistory(m2m_fields=["systems", "components", "atlas_techniques", "owasp_risks", "jurisdictions"])

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [
            models.Index(fields=["status", "severity"]),
            # The alert intake's lookup of the newest open incident with a deduplication key: the key, then the
            # list order, so the planner takes this index even where most incidents have no key (an index on the
            # key alone looked unselective to SQLite, which walked the whole list order instead).
            models.Index(fields=["dedup_key", "-detected_at", "-id"], name="incident_dedup_newest"),
            # The dashboard's SLA breaches: open statuses with the next SLA due time past (ADR 0012).
            models.Index(fields=["status", "sla_next_due_at"], name="incident_status_sla_due_idx"),
            # The list orders (incidents.api.ordering, the admin changelist): each offered ordering is its field,
            # then detection time and id as tie-breakers, so one index serves it in both directions; the same
            # indexes serve the equality filters on these fields in the default order.
            models.Index(fields=["-detected_at", "-id"], name="incident_list_detected"),
            models.Index(fields=["severity", "-detected_at", "-id"], name="incident_list_severity"),
            models.Index(fields=["status", "-detected_at", "-id"], name="incident_list_status"),
            models.Index(fields=["sla_next_due_at", "-detected_at", "-id"], name="incident_list_sla_due"),
            models.Index(fields=["updated_at", "-detected_at", "-id"], name="incident_list_updated"),
            models.Index(fields=["track", "-detected_at", "-id"], name="incident_list_track"),
            models.Index(fields=["incident_class", "-detected_at", "-id"], name="incident_list_class"),
            models.Index(fields=["detection_source", "-detected_at", "-id"], name="incident_list_source"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_open(self):
        return self.status not in (Status.CLOSED, Status.DISMISSED)

    def clean(self):
        errors = {}
        previous = None
        for name in TIMESTAMP_ORDER:
            value = getattr(self, name)
            if value is None:
                continue
            if previous and value < getattr(self, previous):
                label, earlier = self._meta.get_field(name).verbose_name, self._meta.get_field(previous).verbose_name
                errors[name] = f"{label.capitalize()} ({value:%Y-%m-%d %H:%M}) is before {earlier} " \
                               f"({getattr(self, previous):%Y-%m-%d %H:%M}); timestamps must be in order."
            previous = name
        if self.aware_at and self.occurred_at and self.aware_at < self.occurred_at:
            errors["aware_at"] = "Aware at is before occurred at; awareness cannot precede the failure."
        if self.exposure_started_at and self.exposure_ended_at and self.exposure_ended_at < self.exposure_started_at:
            errors["exposure_ended_at"] = "Exposure ended at is before exposure started at."
        for field, choices in (("harms", Harm), ("responsible_parties", Party)):
            value = getattr(self, field)
            if not isinstance(value, list):
                errors[field] = "Must be a list."
            elif unknown := sorted(set(map(str, value)) - set(choices.values)):
                errors[field] = f"Unknown values: {', '.join(unknown)}; allowed: {', '.join(choices.values)}."
        if self.financial_loss is not None and not self.financial_loss_currency:
            errors["financial_loss_currency"] = "A financial loss needs its currency (ISO 4217, e.g. EUR)."
        if errors:
            raise ValidationError(errors)


class IncidentSequence(models.Model):
    """The last reference number issued per year; the row is locked while a number is taken."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"


class TimelineEvent(models.Model):
    """Append-only, typed record of what happened on an incident and why. Every incident service writes one."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Incident opened"
        STATUS_CHANGE = "status_change", "Status change"
        SEVERITY_CHANGE = "severity_change", "Severity change"
        UPDATED = "updated", "Facts updated"
        NOTE = "note", "Note"
        ALERT = "alert", "Alert received"
        CHECKLIST = "checklist", "Checklist step"
        CONTAINMENT = "containment", "Containment action"
        EVIDENCE = "evidence", "Evidence"
        RECOVERY = "recovery", "Recovery validation"
        REVIEW = "review", "Post-incident review"
        SLA = "sla", "SLA notice"
        COMMUNICATION = "communication", "Communication"
        OBLIGATION = "obligation", "Regulatory obligation"
        DOCUMENT = "document", "Document issued"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="timeline")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=16, blank=True)
    summary = models.CharField(max_length=300)
    payload = models.JSONField(default=dict, blank=True)
    flagged = models.BooleanField(default=False, help_text="Needs attention, e.g. an emergency override.")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Timeline events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Timeline events are append-only.")


class SlaNotice(models.Model):
    """One notice per incident, SLA target and stage: the unique row is claimed before the mail is sent, so
    `check_slas` running on several hosts at once sends each notice exactly once."""

    class Target(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", "Acknowledge"
        CONTAIN = "contain", "Contain"
        RESOLVE = "resolve", "Resolve"

    class Stage(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        BREACHED = "breached", "Breached"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="sla_notices")
    target = models.CharField(max_length=12, choices=Target.choices)
    stage = models.CharField(max_length=10, choices=Stage.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list)

    class Meta:
        verbose_name = "SLA notice"
        verbose_name_plural = "SLA notices"
        constraints = [
            models.UniqueConstraint(fields=["incident", "target", "stage", "due_at"], name="sla_notice_once"),
        ]

    def __str__(self):
        return f"{self.incident_id} {self.target} {self.stage}"
