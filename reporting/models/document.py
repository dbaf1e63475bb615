"""Issued PDF documents. Issued means immutable: a correction is a new version that supersedes the old one."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from incidents.models import Incident
from portal.core.history import RegulatedHistory


class DocumentKind(models.TextChoices):
    REGULATORY_NOTIFICATION = "regulatory_notification", "Regulatory notification"
    DISCLOSURE_DECISION = "disclosure_decision", "Disclosure-decision record"
    POST_INCIDENT_REPORT = "post_incident_report", "Post-incident report"
    AUDIT_BUNDLE = "audit_bundle", "Audit bundle"


class Document(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    subject = models.CharField(max_length=80, help_text="The record rendered, e.g. obligation:12.")
    obligation = models.ForeignKey("reporting.Obligation", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="documents")
    disclosure = models.ForeignKey("reporting.DisclosureDecision", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="documents")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    file = models.FileField(upload_to="documents/%Y/%m/")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField()
    render_context = models.JSONField(help_text="Everything the PDF was rendered from; re-rendering it gives the "
                                                "same bytes.")
    template = models.CharField(max_length=120)
    reference_data_version = models.CharField(max_length=80, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    correction_reason = models.TextField(blank=True)

    history = RegulatedHistory()

    class Meta:
        ordering = ["incident_id", "kind", "subject", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject", "version"], name="document_version_once"),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("An issued document is immutable; issue a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("An issued document is never deleted; issue a new version instead.")

    @property
    def reference(self) -> str:
        return f"{self.incident.reference}/{self.kind}/{self.subject}/v{self.version}"
