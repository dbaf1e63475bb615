"""The dashboard's summary tables: derived data, rebuilt from the source tables (`reporting.dashboard.summaries`).

Not history-tracked and not chained: a summary row records no decision and can be recomputed at any time from the
incidents, checklists, ATLAS links and obligations it counts (ADR 0012).
"""

from django.db import models


class DashboardSummaryState(models.Model):
    """One row (id 1): when the summaries were last rebuilt and how long that took. A rebuild locks it, so two
    workers rebuilding at once write one after the other and the older result never replaces the newer."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    as_of = models.DateTimeField(help_text="When the figures were read from the source tables.")
    took_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "dashboard summary state"

    def __str__(self):
        return f"Dashboard summaries as of {self.as_of:%Y-%m-%d %H:%M:%S} UTC"


class DashboardSummaryRow(models.Model):
    """One point of a summarised figure: `figure` (csf_incidents, atlas_incidents, atlas_technique,
    response_incidents, response_mttd ... response_mttr, inference_logs, submission, filing_submitted,
    filing_on_time, mttd_class, mttd_source, track_intent, track_intent_open, remediation), `key` (a CSF function,
    an ATLAS tactic, "tactic technique", a month YYYY-MM, a regime, an incident class, a detection source,
    "track/intent", "incident id/ledger state", ...), a `count` and, for a mean or a median, its `duration`.
    `as_of` repeats the state's, so the page reads every row and its time in one query."""

    figure = models.CharField(max_length=40)
    key = models.CharField(max_length=120)
    count = models.BigIntegerField(default=0)
    duration = models.DurationField(null=True, blank=True)
    as_of = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["figure", "key"], name="dashboard_summary_row_once")]
        verbose_name = "dashboard summary row"

    def __str__(self):
        return f"{self.figure} {self.key}: {self.count}"
