"""The dashboard's figures as CSV: one row per metric and series point.

Columns: metric (which figure), series (which line or bar group; for the remediation progress, the incident's
reference), key (the stored value or period: a severity,
a status, a month YYYY-MM, a risk class, a CSF function or ATLAS tactic id, a regime, an incident class, a detection
source, track/intent; "all" for a total), label (its readable name), value
(a number; empty where there is none, e.g. a month without the timestamps a mean needs), unit, as_of (UTC): when the
figure was read, the request for the live figures, the last rebuild of the summaries for the summarised ones
(`SUMMARISED`; ADR 0012).
"""

import csv
import io
from collections.abc import Iterator
from datetime import UTC

from portal.core.spreadsheet import cell
from reporting.dashboard.presenters import MEASURE_LABELS
from reporting.dashboard.selectors import DashboardMetrics

HEADER = ["metric", "series", "key", "label", "value", "unit", "as_of"]
# Metrics read from the summaries; CSF coverage counts its runbooks live.
SUMMARISED = frozenset({"response_times_by_month", "csf_coverage", "atlas_coverage", "inference_logs",
                        "time_to_submission", "on_time_filing", "mttd_by_incident_class", "mttd_by_detection_source",
                        "incidents_by_track_and_intent", "remediation_progress"})
LIVE_SERIES = frozenset({("csf_coverage", "runbooks")})


def is_summarised(metric: str, series: str) -> bool:
    return metric in SUMMARISED and (metric, series) not in LIVE_SERIES
def _cell(value) -> str:
    """A text cell a spreadsheet will not evaluate as a formula; numbers as they are."""
    return cell(value)


def metric_rows(m: DashboardMetrics) -> Iterator[tuple]:
    """(metric, series, key, label, value, unit) for every figure of the dashboard."""
    for row in m.open_by_severity:
        yield "open_incidents_by_severity", "open incidents", row["key"], row["label"], row["count"], "incidents"
    for row in m.open_by_status:
        yield "open_incidents_by_status", "open incidents", row["key"], row["label"], row["count"], "incidents"
    yield "sla_breaches", "breached incidents", "breached", "SLA breached now", m.sla_breaches["count"], "incidents"
    d = m.deadlines
    for key, label in (("overdue", "Overdue"), ("due_24h", "Due within 24 hours"),
                       ("due_soon", f"Due within {d['days']} days (including those within 24 hours)"),
                       ("no_deadline", "No fixed deadline")):
        yield "regulatory_deadlines", "open obligations", key, label, d[key], "obligations"
    for row in m.response_times:
        month = row["month"].strftime("%Y-%m")
        yield "response_times_by_month", "incidents detected", month, month, row["incidents"], "incidents"
        for name, label in MEASURE_LABELS.items():
            yield "response_times_by_month", name, month, f"{label} {month}", row[name], "hours"
    for row in m.risk_classes:
        yield "systems_by_risk_class", "ai systems", row["key"], row["label"], row["count"], "systems"
    yield ("high_risk_readiness_gaps", "high-risk systems", "all", "High-risk AI systems",
           m.readiness["systems"], "systems")
    for row in m.readiness["gaps"]:
        yield "high_risk_readiness_gaps", "high-risk systems", row["key"], row["label"], row["count"], "systems"
    for row in m.csf:
        yield "csf_coverage", "incidents", row["key"], row["label"], row["incidents"], "incidents"
        yield "csf_coverage", "runbooks", row["key"], row["label"], row["runbooks"], "runbooks"
    for row in m.atlas:
        yield "atlas_coverage", "incidents", row["key"], row["label"], row["incidents"], "incidents"
    logs = m.inference_logs
    for key, label in (("incidents", "Incidents"), ("complete", "Complete inference logs"),
                       ("incomplete", "Incomplete inference logs"), ("unknown", "Not recorded")):
        yield "inference_logs", "incidents", key, label, logs[key], "incidents"
    yield "inference_logs", "share", "complete_share", "Share with complete inference logs", logs["share"], "ratio"
    sub = m.submission
    yield ("time_to_submission", "submitted obligations", "submitted", "Submitted obligations", sub["submitted"],
           "obligations")
    yield ("time_to_submission", "median", "median", "Median clock start to submission", sub["median_hours"],
           "hours")
    filing = m.on_time_filing
    for key, row in (("all", {**filing, "label": "All regimes"}), *((r["key"], r) for r in filing["regimes"])):
        yield "on_time_filing", "submitted with a due time", key, row["label"], row["submitted"], "obligations"
        yield "on_time_filing", "submitted by the due time", key, row["label"], row["on_time"], "obligations"
        yield "on_time_filing", "share on time", key, row["label"], row["share"], "ratio"
    for metric, rows in (("mttd_by_incident_class", m.mttd_by_class), ("mttd_by_detection_source", m.mttd_by_source)):
        for row in rows:
            yield metric, "incidents measured", row["key"], row["label"], row["incidents"], "incidents"
            yield metric, "mttd", row["key"], row["label"], row["mttd"], "hours"
    for row in m.track_intent:
        yield "incidents_by_track_and_intent", "incidents", row["key"], row["label"], row["incidents"], "incidents"
        yield "incidents_by_track_and_intent", "open incidents", row["key"], row["label"], row["open"], "incidents"
    for row in m.remediation:  # series: the open incident's reference
        yield "remediation_progress", row["reference"], "all", "All records", row["total"], "records"
        for state in row["states"]:
            yield "remediation_progress", row["reference"], state["key"], state["label"], state["count"], "records"
        yield ("remediation_progress", row["reference"], "done_share", "Share notified or closed", row["done_share"],
               "ratio")


def metrics_csv(m: DashboardMetrics) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    live, summarised = (moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for moment in (m.as_of,
                                                                                           m.summary_as_of))
    for row in metric_rows(m):
        writer.writerow([*(_cell(v) for v in row), summarised if is_summarised(row[0], row[1]) else live])
    return out.getvalue()
