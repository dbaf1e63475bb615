"""Affected records of an incident and the imports that brought them in (ADR 0013)."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from incidents.models import Incident
from inventory.models import AISystem, Component
from portal.core import inputs
from portal.core.history import RegulatedHistory
from portal.core.inputs import validate_moment_range
from remediation.states import State

JURISDICTION = re.compile(r"^[A-Z]{2}$")


def validate_jurisdiction(value: str) -> None:
    """A two-letter country code, and not one ISO 3166-1 lacks that people commonly use (UK: GB): the rule of the
    admin, the API and `affected_record_create` alike (an import checks its rows with the same pattern and hint)."""
    if not JURISDICTION.match(value):
        raise ValidationError("A two-letter country code (ISO 3166-1 alpha-2), e.g. DE.", code="invalid")
    if hint := inputs.iso_3166_hint(value):
        raise ValidationError(f"{value!r}{hint}.", code="invalid")


class Kind(models.TextChoices):
    DECISION = "decision", "Decision"
    ACCOUNT = "account", "Account"
    TRANSACTION = "transaction", "Transaction"
    PERSON = "person", "Person"


class ContactChannel(models.TextChoices):
    EMAIL = "email", "Email"
    POST = "post", "Post"
    PHONE = "phone", "Phone"
    IN_APP = "in_app", "In the app"
    NONE = "none", "None"


class AffectedRecord(models.Model):
    """One decision, account, transaction or person an incident affected, identified as in its source system."""

    # No index of its own for the incident, the reviewer or who moved it last: the composite indexes below begin
    # with the first two, and users are retired, never deleted (ADR 0007); every index slows a million-row import.
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="affected_records",
                                 db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    external_id = models.CharField(max_length=200, help_text="The identifier in the source system.")
    subject_ref = models.CharField(max_length=200, blank=True,
                                   help_text="A pseudonymous reference to the person concerned.")
    jurisdiction = models.CharField(max_length=2, blank=True, validators=[validate_jurisdiction])
    contact_channel = models.CharField(max_length=8, choices=ContactChannel.choices, blank=True,
                                       help_text="Where a notice must be sent.")
    occurred_at = models.DateTimeField(null=True, blank=True, validators=[validate_moment_range])
    system = models.ForeignKey(AISystem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    component = models.ForeignKey(Component, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  help_text="The component version that produced it.")

    state = models.CharField(max_length=20, choices=State.choices, default=State.IDENTIFIED)
    state_changed_at = models.DateTimeField()
    state_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                         db_index=False)
    note = models.TextField(blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", db_index=False,
                                 help_text="Who re-reviews it: the record is in their queue.")
    updated_at = models.DateTimeField(null=True, blank=True, editable=False,
                                      help_text="When a service last changed the record; empty while it is as "
                                                "imported or created (then its state's time stands for it).")
    import_batch = models.ForeignKey("remediation.AffectedRecordImport", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="records",
                                     help_text="The import that brought the record in, if any.")

    version = models.PositiveIntegerField(default=1, editable=False)

    history = RegulatedHistory()

    class Meta:
        ordering = ["incident_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "external_id"], name="affected_record_unique_external_id",
                                    violation_error_message="This incident already lists that external id."),
        ]
        # The ledger's list reads pages in id order (keyset) under its filters: each index ends on the id, so a
        # filtered page is one range read (remediation.admin.ledger_list); the last one serves the search by an
        # external id's beginning (LIKE 'x%') on PostgreSQL.
        indexes = [
            models.Index(fields=["incident", "state", "id"], name="affected_record_state"),
            models.Index(fields=["incident", "kind"], name="affected_record_kind"),
            models.Index(fields=["reviewer", "state", "id"], name="affected_record_queue"),
            models.Index(fields=["incident", "id"], name="affected_record_incident_id"),
            models.Index(fields=["reviewer", "id"], name="affected_record_reviewer_id"),
            models.Index(fields=["state", "id"], name="affected_record_state_id"),
            models.Index(fields=["external_id"], name="affected_record_ext_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.external_id} ({self.incident.reference})"


class AffectedRecordImport(models.Model):
    """One import of affected records from a file: what was read and what was written. The file's SHA-256 is
    what proves which rows came in (ADR 0013)."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSONL = "jsonl", "JSON Lines"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="affected_record_imports")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=8, choices=Format.choices)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    duplicates_skipped = models.PositiveIntegerField(default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    history = RegulatedHistory()

    class Meta:
        ordering = ["incident_id", "-created_at"]

    def __str__(self):
        return f"Import of {self.file_name} ({self.incident.reference})"
