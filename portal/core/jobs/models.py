"""The Job: one piece of long or scheduled work, as the user sees it (portal.core.jobs)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.core.audit import Source
from portal.core.history import RegulatedHistory


class JobState(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class Job(models.Model):
    """Who started what, when, how far it got, and what came of it: the error in words, or a link to the result.

    Written only by `portal.core.jobs.services`. History records the job's states (queued, running, finished), not
    its progress: progress is written without a history row (ADR 0009)."""

    kind = models.CharField(max_length=64, help_text="What the job does (a registered job kind).")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", help_text="Empty: the schedule started it.")
    source = models.CharField(max_length=16, choices=Source.CHOICES, default=Source.SERVICE,
                              help_text="Where it was started from (admin, API, command, schedule).")
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    params = models.JSONField(default=dict, blank=True, help_text="What the job was asked to do.")
    idempotency_key = models.CharField(
        max_length=200, blank=True, default="",
        help_text="Starting the same work again while a job with this key is queued or running gives that job.")
    progress_done = models.BigIntegerField(default=0)
    progress_total = models.BigIntegerField(null=True, blank=True)
    progress_unit = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True, default="", help_text="What the job did, in words.")
    error = models.TextField(blank=True, default="", help_text="Why it failed, in words (the log has the details).")
    result_url = models.CharField(max_length=500, blank=True, default="")
    result_label = models.CharField(max_length=200, blank=True, default="")
    result_file = models.CharField(max_length=300, blank=True, default="",
                                   help_text="A file the job wrote, under JOB_RESULT_DIR.")

    history = RegulatedHistory(excluded_fields=["progress_done", "progress_total"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="core_job_kind_newest")]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="core_job_one_active_per_key",
                condition=Q(state__in=["queued", "running"]) & ~Q(idempotency_key=""),
            ),
        ]

    def __str__(self):
        return f"{self.label} #{self.pk}"

    @property
    def label(self) -> str:
        from portal.core.jobs.registry import kind_label

        return kind_label(self.kind)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.state == JobState.SUCCEEDED else None
        return min(100, int(self.progress_done * 100 / self.progress_total))

    @property
    def progress_text(self) -> str:
        """'1,200 of 25,000 components (4 %)'."""
        unit = f" {self.progress_unit}" if self.progress_unit else ""
        if not self.progress_total:
            return f"{self.progress_done:,}{unit}" if self.progress_done else ""
        return f"{self.progress_done:,} of {self.progress_total:,}{unit} ({self.percent} %)"
