"""From the dashboard's figures to what the page shows: each chart as data for Chart.js (passed to the page with
`json_script`, drawn by `static/reporting/dashboard/dashboard.js`) and as a table with links to the admin lists.

No queries here: everything comes from `selectors.DashboardMetrics` (the ATLAS technique ids for the links too).
"""

from dataclasses import dataclass, field
from datetime import UTC

from django.conf import settings

from portal.core.display import counted
from reporting.dashboard import links
from reporting.dashboard.selectors import DashboardMetrics

NO_VALUE = "\N{EN DASH}"
NO_BREAK = "\N{NO-BREAK SPACE}"  # keeps "(2 incidents)" on one line when a chart wraps its label

MEASURE_LABELS = {
    "mttd": "MTTD (detect)",
    "mtta": "MTTA (acknowledge)",
    "mttc": "MTTC (contain)",
    "mttr": "MTTR (recover)",
}


@dataclass
class Series:
    label: str
    data: list


@dataclass
class Figure:
    """One chart: `labels` along one axis, one or more `series`, a link per label and one for the whole figure."""

    id: str
    title: str
    caption: str
    chart: str  # bar, line, doughnut
    labels: list[str]
    series: list[Series]
    links: list[str]
    link: str
    link_text: str
    unit: str = ""
    label_axis: str = ""
    horizontal: bool = False
    palette: str = ""
    notes: list[str] = field(default_factory=list)
    empty: str = ""  # what the page says instead of an empty chart (no canvas, no spec)

    @property
    def rows(self) -> list[dict]:
        """The table under the chart: one row per label, one value per series."""
        return [{"label": label, "url": url, "values": [s.data[i] for s in self.series]}
                for i, (label, url) in enumerate(zip(self.labels, self.links, strict=True))]

    def as_chart(self) -> dict:
        """The spec `dashboard.js` draws. Lines are straight segments between the points (`tension` 0, no curve
        inventing values between months) and stop at a month without data."""
        spec = {"type": self.chart, "title": self.title, "labels": self.labels, "unit": self.unit,
                "label_axis": self.label_axis, "horizontal": self.horizontal, "palette": self.palette,
                "links": self.links, "datasets": [{"label": s.label, "data": s.data} for s in self.series]}
        if self.chart == "line":
            spec.update(tension=0, span_gaps=False)
        return spec


def summary_note(m: DashboardMetrics, what: str = "Figures") -> str:
    return f"{what} as of {m.summary_as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC (the summaries' last rebuild)."


def _counts(rows, *, key="count"):
    return [row[key] for row in rows]


def open_by_severity(m: DashboardMetrics) -> Figure:
    rows = m.open_by_severity
    return Figure(
        id="open-by-severity", title="Open incidents by severity", chart="bar", palette="severity",
        caption=f"{counted(m.open_incidents, 'open incident')} (not closed or dismissed), by severity.",
        labels=[r["label"] for r in rows], series=[Series("Open incidents", _counts(rows))],
        links=[links.open_incidents_of_severity(r["key"]) for r in rows],
        link=links.open_incidents(), link_text="All open incidents", unit="incidents")


def open_by_status(m: DashboardMetrics) -> Figure:
    rows = m.open_by_status
    return Figure(
        id="open-by-status", title="Open incidents by status", chart="bar",
        caption="Open incidents (not closed or dismissed) by where they stand in the lifecycle, from detection "
                "to post-incident review.",
        labels=[r["label"] for r in rows], series=[Series("Open incidents", _counts(rows))],
        links=[links.incidents_in_status(r["key"]) for r in rows],
        link=links.open_incidents(), link_text="All open incidents", unit="incidents")


def deadlines(m: DashboardMetrics) -> Figure:
    d = m.deadlines
    return Figure(
        id="deadlines", title="Regulatory deadlines", chart="bar", palette="deadlines",
        caption=f"Open obligations: {d['overdue']} overdue, {d['due_soon']} due within {d['days']} days "
                f"(of which {d['due_24h']} within 24 hours), {d['no_deadline']} without a fixed deadline.",
        labels=["Overdue", "Due within 24 hours", f"Due in 1 to {d['days']} days", "No fixed deadline"],
        series=[Series("Open obligations",
                       [d["overdue"], d["due_24h"], d["due_soon"] - d["due_24h"], d["no_deadline"]])],
        links=[links.deadline_board("overdue"), links.deadline_board("24h"), links.deadline_board("later"),
               links.deadline_board("none")],
        link=links.deadline_board(), link_text="Deadline board", unit="obligations",
        notes=[f"Due in 1 to {d['days']} days links to the board's \"due later\" list, soonest first."])


def _months(m: DashboardMetrics, names: tuple[str, ...], per_hour: int = 1) -> dict:
    """Labels, series and month links of a response-time chart drawing the measures `names` (in hours, or in
    minutes with `per_hour` 60)."""
    rows = m.response_times

    def value(hours):
        return None if hours is None else round(hours * per_hour, 1)

    return {"labels": [r["month"].strftime("%Y-%m") for r in rows],
            "series": [Series(MEASURE_LABELS[name], [value(r[name]) for r in rows]) for name in names],
            "links": [links.counted_incidents(detected_at__year=r["month"].year, detected_at__month=r["month"].month)
                      for r in rows]}


MONTH_AXIS = "Month of detection (UTC)"
GAP_NOTE = "A gap: no incident of that month has both timestamps yet."


def detection_times(m: DashboardMetrics) -> Figure:
    return Figure(
        id="detection-times", title="Mean time to detect (MTTD) by month", chart="line",
        caption="Mean hours from the start of a failure or attack to its detection, per calendar month (UTC) of "
                "detection, last 12 months. On its own scale: detection often takes hundreds of hours, the "
                "response that follows a few, and one axis would flatten the response to zero. " + GAP_NOTE,
        **_months(m, ("mttd",)), link=links.counted_incidents(), link_text="Incidents", unit="hours",
        label_axis=MONTH_AXIS, notes=[summary_note(m)])


def acknowledge_times(m: DashboardMetrics) -> Figure:
    return Figure(
        id="acknowledge-times", title="Mean time to acknowledge (MTTA) by month", chart="line",
        caption="Mean minutes from detection to acknowledgement, per calendar month (UTC) of detection, last 12 "
                "months. In minutes, on its own scale: acknowledgement takes minutes, containment and recovery "
                "hours. " + GAP_NOTE,
        **_months(m, ("mtta",), per_hour=60), link=links.counted_incidents(), link_text="Incidents",
        unit="minutes", label_axis=MONTH_AXIS, notes=[summary_note(m)])


def response_times(m: DashboardMetrics) -> Figure:
    return Figure(
        id="response-times", title="Mean times to contain and recover by month", chart="line",
        caption="Mean hours from detection to containment (MTTC) and to recovery (MTTR), per calendar month (UTC) "
                "of detection, last 12 months. " + GAP_NOTE,
        **_months(m, ("mttc", "mttr")), link=links.counted_incidents(), link_text="Incidents",
        unit="hours", label_axis=MONTH_AXIS, notes=[summary_note(m)])


def risk_classes(m: DashboardMetrics) -> Figure:
    rows = m.risk_classes
    return Figure(
        id="risk-classes", title="AI systems by risk class", chart="bar", horizontal=True,
        caption=f"{counted(sum(_counts(rows)), 'AI system')} in development, production or suspended (retired ones "
                "left out), by EU AI Act risk class.",
        labels=[r["label"] for r in rows], series=[Series("AI systems", _counts(rows))],
        links=[links.systems_of_risk_class(r["key"]) for r in rows],
        link=links.systems(), link_text="AI systems", unit="systems")


def readiness(m: DashboardMetrics) -> Figure:
    rows = m.readiness["gaps"]
    return Figure(
        id="readiness-gaps", title="High-risk systems: evidence-readiness gaps", chart="bar", horizontal=True,
        palette="gaps",
        caption=f"Of {counted(m.readiness['systems'], 'high-risk AI system')} (Annex I or Annex III, not "
                "retired), how many lack each piece of evidence readiness.",
        labels=[r["label"] for r in rows], series=[Series("High-risk systems", _counts(rows))],
        links=[links.high_risk_systems_with_gap(r["key"]) for r in rows],
        link=links.high_risk_systems(), link_text="High-risk AI systems", unit="systems")


def csf(m: DashboardMetrics) -> Figure:
    rows = m.csf
    return Figure(
        id="csf-coverage", title="Coverage by NIST CSF 2.0 function", chart="bar",
        caption="Incidents (not dismissed) with checklist steps, and runbooks with steps, in each CSF 2.0 function "
                "(through the steps' CSF categories).",
        labels=[f"{r['key']} {r['label']}" for r in rows],
        series=[Series("Incidents", _counts(rows, key="incidents")), Series("Runbooks", _counts(rows, key="runbooks"))],
        links=[links.runbook_steps_of_csf_function(r["key"]) for r in rows],
        link=links.changelist("incidents_runbook"), link_text="Runbooks", unit="",
        notes=["Each function links to the runbook steps of its categories.",
               summary_note(m, "Incidents") + " Runbooks: counted now."])


def atlas(m: DashboardMetrics) -> Figure:
    rows = m.atlas
    return Figure(
        id="atlas-coverage", title="Incidents by MITRE ATLAS tactic", chart="bar", horizontal=True,
        caption="Incidents (not dismissed) classified with a technique of each ATLAS tactic (a sub-technique counts "
                "for its parent's tactics). A tactic without incidents links to its techniques.",
        labels=[r["label"] for r in rows], series=[Series("Incidents", _counts(rows, key="incidents"))],
        links=[links.incidents_of_tactic(r["key"], r["techniques"]) for r in rows],
        link=links.counted_incidents(), link_text="Incidents", unit="incidents", notes=[summary_note(m)])


def inference_logs(m: DashboardMetrics) -> Figure:
    logs = m.inference_logs
    return Figure(
        id="inference-logs", title="Incidents with complete inference logs", chart="doughnut",
        palette="logs",
        caption=f"{logs['complete']} of {counted(logs['incidents'], 'incident')} (not dismissed) "
                f"{'has' if logs['complete'] == 1 else 'have'} complete inference logs for their exposure window.",
        labels=["Complete", "Incomplete", "Not recorded"],
        series=[Series("Incidents", [logs["complete"], logs["incomplete"], logs["unknown"]])],
        links=[links.incidents_with_inference_logs("1"), links.incidents_with_inference_logs("0"),
               links.counted_incidents(complete_inference_logs__isnull="True")],
        link=links.counted_incidents(), link_text="Incidents", unit="incidents", notes=[summary_note(m)])


def on_time_filing(m: DashboardMetrics) -> Figure:
    f = m.on_time_filing
    rows = f["regimes"]
    if f["submitted"]:
        caption = (f"Of {counted(f['submitted'], 'obligation')} submitted that had a due time, {f['on_time']} "
                   f"{'was' if f['on_time'] == 1 else 'were'} submitted by it ({percent(f['share'])} on time), "
                   "by regime.")
    else:
        caption = "Obligations submitted by their due time, of those submitted that had one, by regime."
    return Figure(
        id="on-time-filing", title="Regulatory filings on time", chart="bar", horizontal=True,
        caption=caption, labels=[r["label"] for r in rows],
        series=[Series("Submitted with a due time", _counts(rows, key="submitted")),
                Series("Submitted by the due time", _counts(rows, key="on_time"))],
        links=[links.filed_obligations(r["key"]) for r in rows],
        link=links.filed_obligations(), link_text="Submitted obligations with a due time", unit="obligations",
        empty="" if rows else "No obligations submitted yet.",
        notes=[*(f"{r['label']}: {percent(r['share'])} on time ({r['on_time']} of {r['submitted']})." for r in rows),
               "Obligations without a fixed deadline are left out.", summary_note(m)])


def _mttd(m: DashboardMetrics, rows: list[dict], *, figure_id: str, what: str, param: str) -> Figure:
    return Figure(
        id=figure_id, title=f"Mean time to detect by {what}", chart="bar", horizontal=True,
        caption=f"Mean hours from the start of a failure or attack to its detection, by {what}, over the incidents "
                f"(not dismissed) whose start is recorded; each {what} with how many such incidents it has. "
                "A mean over few incidents says little.",
        labels=[f"{r['label']} ({counted(r['incidents'], 'incident').replace(' ', NO_BREAK)})" for r in rows],
        series=[Series(MEASURE_LABELS["mttd"], _counts(rows, key="mttd"))],
        links=[links.counted_incidents(**{f"{param}__exact": r["key"]}, occurred_at__isnull="False") for r in rows],
        link=links.counted_incidents(occurred_at__isnull="False"), link_text="Incidents with a recorded start",
        unit="hours", empty="" if rows else "No incident (not dismissed) has its start time recorded yet.",
        notes=[summary_note(m)])


def mttd_by_class(m: DashboardMetrics) -> Figure:
    return _mttd(m, m.mttd_by_class, figure_id="mttd-by-class", what="incident class", param="incident_class")


def mttd_by_source(m: DashboardMetrics) -> Figure:
    return _mttd(m, m.mttd_by_source, figure_id="mttd-by-source", what="detection source", param="detection_source")


def track_intent(m: DashboardMetrics) -> Figure:
    rows = m.track_intent
    return Figure(
        id="track-intent", title="Incidents by track and intent", chart="bar", horizontal=True,
        caption=f"{counted(sum(_counts(rows, key='incidents')), 'incident')} (not dismissed), of which "
                f"{sum(_counts(rows, key='open'))} open, by track (an attack on an AI system, or harm caused by one) "
                "and by intent (adversarial, unintentional, not known).",
        labels=[r["label"] for r in rows],
        series=[Series("All incidents", _counts(rows, key="incidents")), Series("Open incidents",
                                                                               _counts(rows, key="open"))],
        links=[links.counted_incidents(track__exact=r["track"], intent__exact=r["intent"]) for r in rows],
        link=links.counted_incidents(), link_text="Incidents", unit="incidents",
        notes=["Each bar links to all the incidents (not dismissed) of its track and intent.", summary_note(m)])


FIGURES = {
    "incidents": (open_by_severity, open_by_status),
    "deadlines": (deadlines,),
    "response": (detection_times, acknowledge_times, response_times),
    "detection": (mttd_by_class, mttd_by_source),
    "kinds": (track_intent,),
    "inventory": (risk_classes, readiness),
    "coverage": (csf, atlas),
    "evidence": (inference_logs, on_time_filing),
}


def dashboard_figures(m: DashboardMetrics) -> dict[str, list[Figure]]:
    return {section: [build(m) for build in builders] for section, builders in FIGURES.items()}


def chart_data(figures: dict[str, list[Figure]]) -> dict:
    """What `json_script` hands to the page's script: {figure id: chart spec}, for every figure with data (an
    empty one has no canvas either)."""
    return {f.id: f.as_chart() for section in figures.values() for f in section if not f.empty}


def summary_minutes() -> str:
    """How often the schedule rebuilds the summaries, in minutes, as the settings say."""
    seconds = settings.CELERY_BEAT_SCHEDULE["dashboard-summaries"]["schedule"]
    return f"{float(seconds) / 60:g}"


def percent(share: float | None) -> str:
    return NO_VALUE if share is None else f"{share * 100:.0f}%"


def hours_text(hours: float | None) -> str:
    if hours is None:
        return NO_VALUE
    return f"{hours:.1f} h" if hours < 72 else f"{hours / 24:.1f} days"
