"""Disclosure decisions: whether, to whom and why an incident is disclosed, decided by a compliance officer and
approved by a legal reviewer, two different people. A record of a breach that was not notified also serves as
the GDPR Art. 33(5) documentation."""

from django.conf import settings
from django.db import models

from incidents.models import Incident
from portal.core.history import RegulatedHistory


class Audience(models.TextChoices):
    REGULATOR = "regulator", "Regulator"
    AFFECTED_INDIVIDUALS = "affected_individuals", "Affected individuals"
    CUSTOMERS = "customers", "Customers"
    PUBLIC = "public", "Public"
    AIID = "aiid", "AI Incident Database"


class Decision(models.TextChoices):
    DISCLOSE = "disclose", "Disclose"
    DO_NOT_DISCLOSE = "do_not_disclose", "Do not disclose"
    DEFER = "defer", "Defer"


class DisclosureDecision(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Awaiting legal approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Returned by legal"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="disclosure_decisions")
    obligation = models.ForeignKey("reporting.Obligation", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="disclosure_decisions",
                                   help_text="The obligation this decision is about, if any.")
    audience = models.CharField(max_length=24, choices=Audience.choices)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    rationale = models.TextField()
    legal_basis = models.CharField(max_length=300, help_text="e.g. GDPR Art. 33(1): unlikely to result in a risk.")
    shareable_summary = models.TextField(blank=True, help_text="What may be shared outside legal.")
    privileged_analysis = models.TextField(
        blank=True, help_text="Privileged and confidential: never exported, rendered or shown outside legal review.")
    revisit_by = models.DateField(null=True, blank=True, help_text="For a deferred decision: when to decide again.")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, help_text="Legal's note on approval or return.")

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = RegulatedHistory()

    class Meta:
        ordering = ["incident_id", "-decided_at"]
        permissions = [("approve_disclosuredecision", "Can approve or return a disclosure decision")]

    def __str__(self):
        audience = self.get_audience_display()
        if not audience[:2].isupper():  # "regulator", but "AI Incident Database" as it is named
            audience = audience[:1].lower() + audience[1:]
        return f"{self.get_decision_display()} to {audience} ({self.incident.reference})"

    @property
    def is_gdpr_33_5_record(self) -> bool:
        """A decision not to notify a regulator of a personal-data breach documents it under GDPR Art. 33(5)."""
        return (self.audience == Audience.REGULATOR and self.decision == Decision.DO_NOT_DISCLOSE
                and bool(self.incident.personal_data_involved))
