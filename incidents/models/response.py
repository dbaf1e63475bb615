"""What responders do on an incident: runbook checklist, containment, evidence, recovery validation and review."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from incidents.models.incident import Incident, IncidentClass
from inventory.models import Activity, AISystem, Component
from portal.core.history import RegulatedHistory


class Phase(models.TextChoices):
    """The six phases of the seeds, over CSF 2.0's functions."""

    DETECT = "detect", "Detect"
    TRIAGE = "triage", "Triage"
    CONTAIN = "contain", "Contain"
    INVESTIGATE = "investigate", "Investigate"
    RECOVER = "recover", "Recover"
    REVIEW = "review", "Post-incident review"


class Runbook(models.Model):
    """Reference data: one runbook per incident class, loaded from `incidents/data/runbooks.yaml`."""

    incident_class = models.CharField(max_length=40, choices=IncidentClass.choices, unique=True)
    title = models.CharField(max_length=200)
    version = models.CharField(max_length=20)

    class Meta:
        ordering = ["incident_class"]

    def __str__(self):
        return self.title


class RunbookStep(models.Model):
    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    phase = models.CharField(max_length=12, choices=Phase.choices)
    title = models.CharField(max_length=300)
    guidance = models.TextField(blank=True)
    csf_category = models.ForeignKey("incidents.CsfCategory", null=True, blank=True, on_delete=models.PROTECT)
    atlas_technique = models.ForeignKey("incidents.AtlasTechnique", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["runbook", "order"]
        constraints = [models.UniqueConstraint(fields=["runbook", "order"], name="runbook_step_order")]

    def __str__(self):
        return f"{self.order}. {self.title}"


class ChecklistItem(models.Model):
    """A runbook step copied onto an incident when it opens; completing it records who and when."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="checklist")
    order = models.PositiveSmallIntegerField()
    phase = models.CharField(max_length=12, choices=Phase.choices)
    title = models.CharField(max_length=300)
    guidance = models.TextField(blank=True)
    csf_category = models.ForeignKey("incidents.CsfCategory", null=True, blank=True, on_delete=models.PROTECT)
    atlas_technique = models.ForeignKey("incidents.AtlasTechnique", null=True, blank=True, on_delete=models.PROTECT)
    runbook_version = models.CharField(max_length=20, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(blank=True)

    history = RegulatedHistory()

    class Meta:
        ordering = ["incident", "order"]
        constraints = [models.UniqueConstraint(fields=["incident", "order"], name="checklist_item_order")]

    def __str__(self):
        return f"{self.order}. {self.title}"


class ContainmentKind(models.TextChoices):
    SUSPEND_ENDPOINT = "suspend_endpoint", "Suspend endpoint / kill switch"
    REVOKE_KEY = "revoke_key", "Revoke API key"
    DISABLE_TOOL = "disable_tool", "Disable tool"
    ROLLBACK = "rollback", "Roll back model, prompt or corpus"
    ISOLATE_VECTOR_STORE = "isolate_vector_store", "Isolate vector store"
    UPDATE_GUARDRAIL = "update_guardrail", "Update guardrail rule"
    SUPPRESS_OUTPUT = "suppress_output", "Suppress output"
    MAINTENANCE_BANNER = "maintenance_banner", "Maintenance banner"
    BLOCK_USER = "block_user", "Rate-limit or block a user"


# The RACI activity whose Responsible or Accountable may perform each kind of containment.
AUTHORITY_FOR = {
    ContainmentKind.SUSPEND_ENDPOINT: Activity.SUSPEND_ENDPOINT,
    ContainmentKind.REVOKE_KEY: Activity.REVOKE_KEY,
    ContainmentKind.DISABLE_TOOL: Activity.DISABLE_TOOL,
    ContainmentKind.ROLLBACK: Activity.ROLLBACK_MODEL,
    ContainmentKind.ISOLATE_VECTOR_STORE: Activity.ISOLATE_VECTOR_STORE,
    ContainmentKind.UPDATE_GUARDRAIL: Activity.UPDATE_GUARDRAIL,
    ContainmentKind.SUPPRESS_OUTPUT: Activity.SUSPEND_ENDPOINT,
    ContainmentKind.MAINTENANCE_BANNER: Activity.SUSPEND_ENDPOINT,
    ContainmentKind.BLOCK_USER: Activity.SUSPEND_ENDPOINT,
}


class ContainmentAction(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="containment_actions")
    kind = models.CharField(max_length=24, choices=ContainmentKind.choices)
    target_system = models.ForeignKey(AISystem, on_delete=models.PROTECT, related_name="containment_actions")
    target_component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.PROTECT, related_name="containment_actions"
    )
    rollback_to = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.PROTECT, related_name="rollback_actions",
        help_text="The known-good component a rollback switches to.",
    )
    description = models.TextField(blank=True)
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    performed_at = models.DateTimeField()
    authority = models.CharField(
        max_length=200, blank=True, help_text="The RACI assignment that authorised it (filled by the service)."
    )
    override_reason = models.TextField(blank=True, help_text="Emergency override: acting without RACI authority.")
    outcome = models.TextField(blank=True)
    reverted_at = models.DateTimeField(null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revert_reason = models.TextField(blank=True)

    history = RegulatedHistory()

    class Meta:
        ordering = ["incident", "performed_at", "id"]

    def __str__(self):
        target = self.target_component or self.target_system
        return f"{self.get_kind_display()} on {target}"

    @property
    def is_override(self):
        return bool(self.override_reason)


class Evidence(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    file = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    reference = models.CharField(max_length=500, blank=True, help_text="Where the artefact is kept, if not uploaded.")
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    collected_at = models.DateTimeField()

    history = RegulatedHistory()

    class Meta:
        ordering = ["incident", "collected_at", "id"]
        verbose_name_plural = "evidence"
        # The evidence register's order (newest first) and its content-type filter.
        indexes = [
            models.Index(fields=["-collected_at", "-id"], name="evidence_list_collected"),
            models.Index(fields=["content_type", "-collected_at", "-id"], name="evidence_list_content_type"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if not self.file and not self.reference.strip():
            raise ValidationError({"file": "Upload a file or give the reference where the artefact is kept."})


class CustodyEntry(models.Model):
    """Chain of custody: each hand-over, access or verification of an evidence item. Append-only."""

    class Action(models.TextChoices):
        COLLECTED = "collected", "Collected"
        TRANSFERRED = "transferred", "Transferred"
        ACCESSED = "accessed", "Accessed"
        VERIFIED = "verified", "Digest verified"
        VERIFICATION_FAILED = "verification_failed", "Digest verification FAILED"
        RELEASED = "released", "Released"

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="custody")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    to_party = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)

    history = RegulatedHistory()

    class Meta:
        ordering = ["evidence", "at", "id"]
        verbose_name_plural = "custody entries"

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"


class Outcome(models.TextChoices):
    PENDING = "pending", "Pending"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class RecoveryValidation(models.Model):
    """Tests before a system returns to production, signed off by an engineering and a compliance lead."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="recovery_validations")
    functional = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    stress = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    bias = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    security = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    notes = models.TextField(blank=True)
    engineering_signoff_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    engineering_signoff_at = models.DateTimeField(null=True, blank=True)
    compliance_signoff_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    compliance_signoff_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every change (outcomes, notes, sign-offs): a sign-off names the version the signer saw.
    version = models.PositiveIntegerField(default=1, editable=False)

    history = RegulatedHistory()

    class Meta:
        ordering = ["incident", "created_at", "id"]

    def __str__(self):
        return f"Recovery validation of {self.incident.reference}"

    OUTCOME_FIELDS = ("functional", "stress", "bias", "security")

    @property
    def all_tests_passed(self):
        return all(getattr(self, f) in (Outcome.PASSED, Outcome.NOT_APPLICABLE) for f in self.OUTCOME_FIELDS)

    @property
    def is_signed(self):
        return bool(
            self.engineering_signoff_by_id and self.compliance_signoff_by_id
            and self.engineering_signoff_by_id != self.compliance_signoff_by_id
        )


class PostIncidentReview(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="review")
    root_cause = models.TextField()
    contributing_factors = models.TextField(blank=True)
    what_worked = models.TextField(blank=True)
    lessons = models.TextField(blank=True)
    runbook_updated = models.BooleanField(default=False)
    regression_case_added = models.BooleanField(
        default=False, help_text="A regression case was added to adversarial testing."
    )
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()

    history = RegulatedHistory()

    def __str__(self):
        return f"Review of {self.incident.reference}"


class ActionItem(models.Model):
    review = models.ForeignKey(PostIncidentReview, on_delete=models.CASCADE, related_name="action_items")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    history = RegulatedHistory()

    class Meta:
        ordering = ["review", "due_on", "id"]

    def __str__(self):
        return self.description
