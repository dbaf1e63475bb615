"""Obligations: what the organisation owes to whom by when, computed by the regulatory clock from the facts."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from incidents.models import Incident
from portal.core.history import RegulatedHistory


class Obligation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SUBMITTED = "submitted", "Submitted"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="obligations")
    key = models.CharField(max_length=120, help_text="Regime, stage and, for per-country notices, jurisdiction.")
    regime = models.CharField(max_length=40)
    regime_name = models.CharField(max_length=120)
    provision = models.CharField(max_length=200)
    stage = models.CharField(max_length=40)
    stage_name = models.CharField(max_length=160)
    recipient = models.CharField(max_length=300)
    jurisdiction = models.CharField(max_length=40, blank=True)
    clock_start_event = models.CharField(max_length=80)
    clock_starts_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                  help_text="Empty where the law sets no number (immediately, without undue delay) "
                                            "or while a chained stage waits for the earlier submission.")
    rule = models.TextField(help_text="How the due time was computed, in words (limits, relief, delays).")
    unit = models.CharField(max_length=30, blank=True)
    verification = models.CharField(max_length=30, blank=True)
    uncertain = models.BooleanField(default=False, help_text="The rule needs a legal check before relying on it.")
    note = models.TextField(blank=True)
    source = models.URLField(max_length=500, blank=True)
    depends_on = models.CharField(max_length=120, blank=True)
    reference_data_version = models.CharField(max_length=80)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    authority_reference = models.CharField(max_length=200, blank=True,
                                           help_text="The authority's case or receipt number.")
    rationale = models.TextField(blank=True, help_text="Why the obligation does not apply.")
    closed_by_clock = models.BooleanField(
        default=False, editable=False,
        help_text="Marked not applicable by the clock after the facts changed (reopens if they change back).")
    no_longer_applies = models.TextField(
        blank=True, editable=False,
        help_text="Set on a submitted obligation the current facts no longer call for; it is kept.")
    content_items = models.JSONField(default=list, editable=False,
                                     help_text="What the notification must contain, per the regime's data.")
    content = models.JSONField(default=dict, blank=True, help_text="Notification content entered by compliance.")

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = RegulatedHistory()

    class Meta:
        ordering = [models.F("due_at").asc(nulls_last=True), "incident_id", "key"]
        constraints = [models.UniqueConstraint(fields=["incident", "key"], name="obligation_once_per_incident")]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            # The obligation list's order, and its regime filter in that order.
            models.Index(fields=["due_at", "incident", "key"], name="obligation_list_due"),
            models.Index(fields=["regime", "due_at"], name="obligation_list_regime"),
        ]

    def __str__(self):
        where = f" ({self.jurisdiction})" if self.jurisdiction else ""
        return f"{self.regime_name}: {self.stage_name}{where}"

    def clean(self):
        errors = {}
        if self.status == self.Status.SUBMITTED and not self.submitted_at:
            errors["submitted_at"] = "A submitted obligation needs the time it was submitted."
        if self.status == self.Status.NOT_APPLICABLE and not self.rationale.strip():
            errors["rationale"] = "Say why the obligation does not apply."
        if errors:
            raise ValidationError(errors)


class ObligationNotice(models.Model):
    """A deadline reminder sent once per obligation, stage and due time (claimed by inserting this row)."""

    class Stage(models.TextChoices):
        DUE_SOON = "due_soon", "Due soon"
        BREACHED = "breached", "Breached"

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="notices")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["obligation", "stage", "due_at"], name="obligation_notice_once"),
        ]

    def __str__(self):
        return f"{self.obligation} {self.get_stage_display()} notice"


class DeadlineBoardEntry(Obligation):
    """The deadline board: open obligations across incidents, soonest first (an admin page of its own)."""

    class Meta:
        proxy = True
        verbose_name = "deadline board entry"
        verbose_name_plural = "deadline board"
