"""The AI inventory: AI systems and their AIBOM (components and the dependency graph), RACI and escalation.

Invariants that need no other row live here (`clean`); invariants across rows (one Accountable, no dependency
cycle) live in `services.py`. Stored choice values are a contract other apps read (the regulatory clock reads
`risk_class` and `operator_role`).
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from portal.core.choices import Severity
from portal.core.history import RegulatedHistory


class DeploymentKind(models.TextChoices):
    API = "api", "API / service"
    AGENT = "agent", "Agent"
    RAG = "rag", "Retrieval-augmented generation (RAG)"
    BATCH = "batch", "Batch scoring"
    EMBEDDED = "embedded", "Embedded in a product"


class Lifecycle(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    PRODUCTION = "production", "Production"
    SUSPENDED = "suspended", "Suspended"
    RETIRED = "retired", "Retired"


class OperatorRole(models.TextChoices):
    """The organisation's role for this system under the EU AI Act (Art. 3(3)-(8))."""

    PROVIDER = "provider", "Provider"
    DEPLOYER = "deployer", "Deployer"
    IMPORTER = "importer", "Importer"
    DISTRIBUTOR = "distributor", "Distributor"
    AUTHORISED_REPRESENTATIVE = "authorised_representative", "Authorised representative"
    PRODUCT_MANUFACTURER = "product_manufacturer", "Product manufacturer"


class RiskClass(models.TextChoices):
    """EU AI Act risk classes (Art. 5, Art. 6(1) with Annex I, Art. 6(2) with Annex III, Art. 50, Art. 51)."""

    PROHIBITED = "prohibited", "Prohibited practice (Art. 5)"
    HIGH_RISK_ANNEX_I = "high_risk_annex_i", "High-risk: safety component of an Annex I product (Art. 6(1))"
    HIGH_RISK_ANNEX_III = "high_risk_annex_iii", "High-risk: Annex III use case (Art. 6(2))"
    TRANSPARENCY = "transparency", "Limited risk: transparency obligations (Art. 50)"
    MINIMAL = "minimal", "Minimal risk"
    GPAI = "gpai", "General-purpose AI model (Art. 53)"
    GPAI_SYSTEMIC_RISK = "gpai_systemic_risk", "GPAI model with systemic risk (Art. 51, 55)"
    OUT_OF_SCOPE = "out_of_scope", "Out of scope of the AI Act"


class AnnexIIIArea(models.TextChoices):
    """The eight areas of EU AI Act Annex III."""

    BIOMETRICS = "biometrics", "1. Biometrics"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure", "2. Critical infrastructure"
    EDUCATION = "education", "3. Education and vocational training"
    EMPLOYMENT = "employment", "4. Employment, workers' management, self-employment"
    ESSENTIAL_SERVICES = "essential_services", "5. Essential private and public services and benefits"
    LAW_ENFORCEMENT = "law_enforcement", "6. Law enforcement"
    MIGRATION = "migration", "7. Migration, asylum and border control"
    JUSTICE_DEMOCRACY = "justice_democracy", "8. Administration of justice and democratic processes"


class PersonalData(models.TextChoices):
    IDENTITY = "identity", "Identity and contact data"
    FINANCIAL = "financial", "Financial data"
    LOCATION = "location", "Location data"
    BEHAVIOURAL = "behavioural", "Behavioural and usage data"
    EMPLOYMENT = "employment", "Employment data"
    COMMUNICATIONS = "communications", "Communications content"
    CHILDREN = "children", "Children's data"
    SPECIAL_CATEGORY = "special_category", "Special category data (GDPR Art. 9)"
    HEALTH = "health", "Health data (GDPR Art. 9)"
    BIOMETRIC = "biometric", "Biometric data (GDPR Art. 9)"
    CRIMINAL = "criminal", "Criminal convictions and offences (GDPR Art. 10)"


class Jurisdiction(models.Model):
    """Reference data (ISO 3166 codes) loaded from `inventory/data/jurisdictions.json` by a migration."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=100)
    eu_member = models.BooleanField(default=False)
    eea_member = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} ({self.name})"


class Team(models.Model):
    """A team that answers for AI systems. A team that incidents reach through its systems is retired, not deleted:
    it keeps its records and takes no new assignment (owner, RACI, escalation) until it is reinstated."""

    name = models.CharField(max_length=120, unique=True)
    email = models.EmailField(blank=True, help_text="Shared mailbox used for escalation notices.")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    # Nullable, so existing history rows keep their hashes (a NULL is left out of the canonical form, ADR 0006).
    retired_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the team was retired; empty while it is active."
    )

    history = RegulatedHistory(m2m_fields=["members"])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


class AISystem(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    purpose = models.TextField(help_text="Purpose and intended use.")
    deployment_kind = models.CharField(max_length=16, choices=DeploymentKind.choices, default=DeploymentKind.API)
    lifecycle = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.DEVELOPMENT)
    operator_role = models.CharField(max_length=32, choices=OperatorRole.choices, default=OperatorRole.DEPLOYER)

    risk_class = models.CharField(
        max_length=32, choices=RiskClass.choices, blank=True, help_text="Leave empty until the system is assessed."
    )
    annex_iii_area = models.CharField("Annex III area", max_length=32, choices=AnnexIIIArea.choices, blank=True)
    annex_i_product = models.CharField(
        "Annex I product", max_length=200, blank=True,
        help_text="Annex I product and its Union harmonisation legislation.",
    )
    risk_rationale = models.TextField(blank=True)
    risk_assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    risk_assessed_on = models.DateField(null=True, blank=True)

    jurisdictions = models.ManyToManyField(Jurisdiction, blank=True, related_name="systems")
    personal_data_categories = models.JSONField(default=list, blank=True)
    decisions_influenced = models.TextField(blank=True)
    affected_populations = models.TextField(blank=True)
    owner_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="systems")

    # Evidence readiness: what an investigation and a regulator will ask for.
    inference_logging = models.BooleanField(default=False, help_text="Inputs and outputs are logged.")
    log_retention_days = models.PositiveIntegerField(null=True, blank=True)
    baseline_telemetry_defined = models.BooleanField(default=False)
    kill_switch_procedure = models.TextField(blank=True)
    rollback_procedure = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = RegulatedHistory(m2m_fields=["jurisdictions"])

    class Meta:
        ordering = ["name"]
        verbose_name = "AI system"

    def __str__(self):
        return self.name

    @property
    def is_high_risk(self):
        return self.risk_class in (RiskClass.HIGH_RISK_ANNEX_I, RiskClass.HIGH_RISK_ANNEX_III)

    def clean(self):
        errors = {}
        if self.risk_class == RiskClass.HIGH_RISK_ANNEX_III and not self.annex_iii_area:
            errors["annex_iii_area"] = "A high-risk Annex III system needs its Annex III area."
        if self.risk_class == RiskClass.HIGH_RISK_ANNEX_I and not self.annex_i_product.strip():
            errors["annex_i_product"] = "A high-risk Annex I system needs the Annex I product it is part of."
        if self.annex_iii_area and self.risk_class != RiskClass.HIGH_RISK_ANNEX_III:
            errors["annex_iii_area"] = "An Annex III area is only set for the high-risk Annex III class."
        if self.risk_class and not self.risk_rationale.strip():
            errors["risk_rationale"] = "A risk class needs its rationale."
        if not isinstance(self.personal_data_categories, list):
            errors["personal_data_categories"] = "Personal-data categories must be a list."
        else:
            unknown = sorted(set(self.personal_data_categories) - set(PersonalData.values))
            if unknown:
                errors["personal_data_categories"] = (
                    f"Unknown personal-data categories: {', '.join(map(str, unknown))}; "
                    f"allowed: {', '.join(PersonalData.values)}."
                )
        if self.log_retention_days is not None and not self.inference_logging:
            errors["log_retention_days"] = "A log retention period needs inference logging turned on."
        if errors:
            raise ValidationError(errors)


class ComponentKind(models.TextChoices):
    MODEL = "model", "Model"
    DATASET = "dataset", "Dataset"
    PROMPT = "prompt", "Prompt / system prompt"
    TOOL = "tool", "Tool"
    AGENT = "agent", "Agent"
    LIBRARY = "library", "Library"
    VECTOR_STORE = "vector_store", "Vector store / corpus"
    GUARDRAIL = "guardrail", "Guardrail"
    ENDPOINT = "endpoint", "Endpoint"
    CREDENTIAL = "credential", "API key / credential reference"
    SERVICE = "service", "Service"


class ComponentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Disabled"
    RETIRED = "retired", "Retired"


# CycloneDX 1.6 hash algorithms and the hex lengths we can check.
HASH_ALGORITHMS = {
    "MD5": 32,
    "SHA-1": 40,
    "SHA-256": 64,
    "SHA-384": 96,
    "SHA-512": 128,
    "SHA3-256": 64,
    "SHA3-384": 96,
    "SHA3-512": 128,
    "BLAKE2b-256": 64,
    "BLAKE2b-384": 96,
    "BLAKE2b-512": 128,
    "BLAKE3": None,  # any length CycloneDX allows (32, 40, 64, 96 or 128 hex characters)
}
_ALLOWED_LENGTHS = (32, 40, 64, 96, 128)
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def validate_hashes(value):
    if not isinstance(value, list):
        raise ValidationError("Hashes must be a list of {alg, content} objects.")
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"alg", "content"}:
            raise ValidationError(f"Hash {i + 1} must have exactly the keys 'alg' and 'content'.")
        alg, content = item["alg"], item["content"]
        if alg not in HASH_ALGORITHMS:
            raise ValidationError(f"Hash {i + 1}: unknown algorithm {alg!r}; allowed: {', '.join(HASH_ALGORITHMS)}.")
        length = HASH_ALGORITHMS[alg]
        lengths = (length,) if length else _ALLOWED_LENGTHS
        if not isinstance(content, str) or not _HEX.match(content) or len(content) not in lengths:
            raise ValidationError(
                f"Hash {i + 1}: {alg} content must be {' or '.join(map(str, lengths))} hexadecimal characters."
            )


class Component(models.Model):
    """One AIBOM node. Versions of one artefact are separate components linked by `derived_from`."""

    kind = models.CharField(max_length=16, choices=ComponentKind.choices)
    name = models.CharField(max_length=200)
    group = models.CharField(max_length=200, blank=True, help_text="Namespace or publisher, e.g. meta-llama.")
    version = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    supplier = models.CharField(max_length=200, blank=True)
    license = models.CharField(max_length=200, blank=True, help_text="SPDX identifier or expression, or a name.")
    purl = models.CharField("package URL", max_length=500, blank=True)
    external_url = models.URLField(max_length=500, blank=True)
    hashes = models.JSONField(default=list, blank=True, validators=[validate_hashes])
    bom_ref = models.CharField(max_length=300, blank=True, help_text="CycloneDX bom-ref it was imported with.")

    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derivatives",
        help_text="The artefact this one is a fine-tune or new version of.",
    )
    known_good = models.BooleanField(default=False, help_text="A verified version that can be rolled back to.")
    disableable = models.BooleanField(default=False, help_text="Can be switched off in an incident.")
    disable_procedure = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ComponentStatus.choices, default=ComponentStatus.ACTIVE)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = RegulatedHistory()

    class Meta:
        ordering = ["kind", "name", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "group", "name", "version"], name="component_unique_kind_group_name_version",
                violation_error_message="A component of this kind, group, name and version already exists.",
            ),
        ]

    def __str__(self):
        label = f"{self.group}/{self.name}" if self.group else self.name
        return f"{label} {self.version}".strip() + f" [{self.get_kind_display()}]"

    @property
    def sha256(self):
        return next((h["content"] for h in self.hashes if h.get("alg") == "SHA-256"), "")

    def clean(self):
        if self.disableable and not self.disable_procedure.strip():
            raise ValidationError(
                {"disable_procedure": "A component marked disableable needs its disable procedure."}
            )
        if self.pk and self.derived_from_id == self.pk:
            raise ValidationError({"derived_from": "A component cannot be derived from itself."})


class SystemComponent(models.Model):
    """An AI system uses a component (how: its role in the system)."""

    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="system_components")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="system_uses")
    usage = models.CharField(max_length=200, blank=True, help_text="How the system uses it, e.g. primary model.")
    is_active = models.BooleanField(
        default=True, help_text="In use now; an inactive link is a standby version (e.g. a rollback target)."
    )

    history = RegulatedHistory()

    class Meta:
        ordering = ["system", "component"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "component"], name="system_component_unique",
                violation_error_message="This component is already part of this AI system.",
            )
        ]

    def __str__(self):
        return f"{self.system} uses {self.component}"


class DependencyRelation(models.TextChoices):
    DEPENDS_ON = "depends_on", "Depends on"
    TRAINED_ON = "trained_on", "Trained on"
    FINE_TUNED_FROM = "fine_tuned_from", "Fine-tuned from"
    USES_TOOL = "uses_tool", "Uses tool"
    RETRIEVES_FROM = "retrieves_from", "Retrieves from"
    PROTECTED_BY = "protected_by", "Protected by"
    AUTHENTICATES_WITH = "authenticates_with", "Authenticates with"


class ComponentDependency(models.Model):
    """`component` depends on `depends_on` (a model trained on a dataset, an agent using a tool)."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="dependencies")
    depends_on = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="dependents")
    relation = models.CharField(
        max_length=32, choices=DependencyRelation.choices, default=DependencyRelation.DEPENDS_ON
    )

    history = RegulatedHistory()

    class Meta:
        verbose_name_plural = "component dependencies"
        ordering = ["component", "depends_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["component", "depends_on"], name="component_dependency_unique",
                violation_error_message="This dependency is already recorded.",
            ),
            models.CheckConstraint(
                condition=~Q(component=models.F("depends_on")), name="component_dependency_not_self",
                violation_error_message="A component cannot depend on itself.",
            ),
        ]

    def __str__(self):
        return f"{self.component} {self.get_relation_display().lower()} {self.depends_on}"


class Activity(models.TextChoices):
    OWN_SYSTEM = "own_system", "Own the system"
    TRIAGE_INCIDENT = "triage_incident", "Triage incidents"
    SUSPEND_ENDPOINT = "suspend_endpoint", "Suspend endpoint / kill switch"
    REVOKE_KEY = "revoke_key", "Revoke an API key"
    DISABLE_TOOL = "disable_tool", "Disable a tool"
    ROLLBACK_MODEL = "rollback_model", "Roll back a model, prompt or corpus"
    ISOLATE_VECTOR_STORE = "isolate_vector_store", "Isolate a vector store"
    UPDATE_GUARDRAIL = "update_guardrail", "Update guardrail rules"
    NOTIFY_REGULATOR = "notify_regulator", "Notify a regulator"
    APPROVE_DISCLOSURE = "approve_disclosure", "Approve disclosure"
    SIGN_OFF_REINSTATEMENT = "sign_off_reinstatement", "Sign off reinstatement"


# Activities an incident commander needs an Accountable for before anything goes wrong.
CONTAINMENT_ACTIVITIES = (
    Activity.SUSPEND_ENDPOINT,
    Activity.REVOKE_KEY,
    Activity.DISABLE_TOOL,
    Activity.ROLLBACK_MODEL,
)


class RaciRole(models.TextChoices):
    RESPONSIBLE = "responsible", "Responsible"
    ACCOUNTABLE = "accountable", "Accountable"
    CONSULTED = "consulted", "Consulted"
    INFORMED = "informed", "Informed"


class AssigneeMixin(models.Model):
    """A user or a team, exactly one of them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    @property
    def assignee(self):
        return self.user or self.team

    @property
    def assignee_label(self):
        if self.user_id:
            return self.user.get_full_name() or self.user.get_username()
        return self.team.name if self.team_id else ""

    def clean(self):
        if bool(self.user_id) == bool(self.team_id):
            raise ValidationError({"user": "Name exactly one assignee: a user or a team."})


class RaciAssignment(AssigneeMixin):
    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="raci")
    activity = models.CharField(max_length=32, choices=Activity.choices)
    role = models.CharField(max_length=16, choices=RaciRole.choices)

    history = RegulatedHistory()

    class Meta:
        verbose_name = "RACI assignment"
        ordering = ["system", "activity", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "activity"], condition=Q(role="accountable"), name="raci_one_accountable",
                violation_error_message="This activity already has an Accountable on this system.",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False),
                name="raci_exactly_one_assignee",
                violation_error_message="Name exactly one assignee: a user or a team.",
            ),
        ]

    def __str__(self):
        return f"{self.system}: {self.get_activity_display()} - {self.get_role_display()}"


class EscalationStep(AssigneeMixin):
    """Who is called, in order, when an incident of a severity hits a system, and how long they have."""

    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="escalation_steps")
    severity = models.CharField(max_length=2, choices=Severity.choices)
    order = models.PositiveSmallIntegerField()
    acknowledge_within_minutes = models.PositiveIntegerField()

    history = RegulatedHistory()

    class Meta:
        ordering = ["system", "severity", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "severity", "order"], name="escalation_unique_order",
                violation_error_message="This system already has a step at this order for this severity.",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False),
                name="escalation_exactly_one_assignee",
                violation_error_message="Name exactly one assignee: a user or a team.",
            ),
        ]

    def __str__(self):
        return f"{self.system} {self.get_severity_display()} step {self.order}"

    def clean(self):
        super().clean()
        if self.order == 0:
            raise ValidationError({"order": "Steps are numbered from 1."})
        if self.acknowledge_within_minutes == 0:
            raise ValidationError({"acknowledge_within_minutes": "Allow at least one minute to acknowledge."})


class InventoryEvent(models.Model):
    """Append-only timeline of the inventory: what happened and why (history rows say which fields changed)."""

    class Kind(models.TextChoices):
        SYSTEM_REGISTERED = "system_registered", "System registered"
        SYSTEM_UPDATED = "system_updated", "System updated"
        SYSTEM_DELETED = "system_deleted", "System deleted"
        RISK_CLASSIFIED = "risk_classified", "Risk class changed"
        COMPONENT_REGISTERED = "component_registered", "Component registered"
        COMPONENT_UPDATED = "component_updated", "Component updated"
        COMPONENT_DELETED = "component_deleted", "Component deleted"
        COMPONENT_ATTACHED = "component_attached", "Component attached to system"
        COMPONENT_DETACHED = "component_detached", "Component detached from system"
        DEPENDENCY_ADDED = "dependency_added", "Dependency added"
        DEPENDENCY_REMOVED = "dependency_removed", "Dependency removed"
        RACI_CHANGED = "raci_changed", "RACI changed"
        ESCALATION_CHANGED = "escalation_changed", "Escalation path changed"
        TEAM_CHANGED = "team_changed", "Team changed"
        AIBOM_IMPORTED = "aibom_imported", "AIBOM imported"
        AIBOM_EXPORTED = "aibom_exported", "AIBOM exported"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    system = models.ForeignKey(AISystem, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    component = models.ForeignKey(Component, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    summary = models.CharField(max_length=300)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Inventory events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Inventory events are append-only.")
