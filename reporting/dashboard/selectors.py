"""The governance dashboard's figures, each computed by database aggregates.

Live figures (read per request, each served by an index or a small table): open incidents by severity and status,
SLA breaches, regulatory deadlines, inventory posture, runbook coverage. Summarised figures (read from the summary
tables of `reporting.dashboard.summaries`, rebuilt by the schedule): response times, incident coverage by CSF
function and ATLAS tactic, inference logs, time to submission; their direct queries stay here as `*_direct`, the
reference the summary tests compare with (ADR 0012). The breakdowns (on-time filing per regime, MTTD by incident
class and by detection source, incidents by track and intent) are summarised too, from `breakdowns`.

The remediation progress of the open incidents is summarised too (the ledger's records by state); the incidents'
references are read live, so an incident closed since the rebuild drops out at once.

Every function runs a fixed number of queries (one, at most two) whatever the number of incidents, systems or
obligations; Python only reshapes the grouped rows (at most one per severity, status, month, risk class, CSF function
or ATLAS tactic), never the records themselves.

Populations:
- "open" incidents are those not closed or dismissed (`incidents.lifecycle.OPEN_STATUSES`);
- the other incident figures (response times, coverage, inference logs) count every incident except dismissed ones
  (a dismissal says it was not an incident);
- inventory posture counts AI systems that are not retired;
- regulatory deadlines are open obligations, as on the admin deadline board.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connections
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Window,
)
from django.db.models.functions import Coalesce, Now, RowNumber, TruncMonth
from django.utils import timezone

from incidents.lifecycle import OPEN_STATUSES, Status
from incidents.metrics import MEASURES
from incidents.models import AtlasTactic, ChecklistItem, CsfFunction, Incident, RunbookStep
from incidents.selectors import with_sla_state
from incidents.sla import SlaState
from inventory.models import AISystem, Lifecycle, RiskClass
from inventory.selectors import system_list
from portal.core.choices import Severity
from remediation import figures as ledger
from reporting.models import Obligation

COUNTED_STATUSES = tuple(s for s in Status.values if s != Status.DISMISSED)
ACTIVE_LIFECYCLES = tuple(v for v in Lifecycle.values if v != Lifecycle.RETIRED)
HIGH_RISK_CLASSES = (RiskClass.HIGH_RISK_ANNEX_I, RiskClass.HIGH_RISK_ANNEX_III)
NOT_ASSESSED = ""
LIST_LIMIT = 10
DEADLINE_DAYS = 7
MONTHS = 12


def duration(end: str, start: str) -> ExpressionWrapper:
    """`end - start` as a duration: an interval on PostgreSQL, microseconds on SQLite (Django converts both)."""
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)


def _grouped_counts(queryset, field: str) -> dict[str, int]:
    """COUNT(*) per `field`: counting rows, not ids, lets an index holding the filter and `field` answer alone (an
    index-only scan on PostgreSQL, a covering index on SQLite)."""
    return dict(queryset.order_by().values_list(field).annotate(n=Count("*")))


def _count_subquery(queryset, group: str, counted: str) -> Coalesce:
    """COUNT(DISTINCT counted) of `queryset` (already filtered on an OuterRef), as a scalar subquery."""
    counts = queryset.order_by().values(group).annotate(n=Count(counted, distinct=True)).values("n")
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


# --- 1. open incidents ----------------------------------------------------------------------------------------


def open_incidents_by_severity() -> list[dict]:
    """[{key, label, count}] per severity, P0 first, zeros included. One query."""
    counts = _grouped_counts(Incident.objects.filter(status__in=OPEN_STATUSES), "severity")
    return [{"key": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in Severity]


def open_incidents_by_status() -> list[dict]:
    """[{key, label, count}] per open status, in lifecycle order, zeros included. One query."""
    counts = _grouped_counts(Incident.objects.filter(status__in=OPEN_STATUSES), "status")
    return [{"key": s, "label": Status(s).label, "count": counts.get(s, 0)} for s in OPEN_STATUSES]


# --- 2. SLA breaches --------------------------------------------------------------------------------------------


def breached_incidents():
    """Open incidents whose earliest unmet SLA target is past due now: the `breached` state of `with_sla_state`
    (`incidents.selectors`) written as plain conditions, so the index on (status, severity) picks the open incidents
    instead of a CASE evaluated on every incident."""
    return Incident.objects.filter(status__in=OPEN_STATUSES, sla_next_due_at__isnull=False,
                                   sla_next_due_at__lt=Now())


def breached_incidents_direct():
    """The reference: every incident whose `with_sla_state` is breached."""
    return with_sla_state(Incident.objects.all()).filter(sla_state=SlaState.BREACHED)


def sla_breaches(limit: int = LIST_LIMIT) -> dict:
    """{count, incidents}: incidents whose earliest unmet SLA target is past due now (`breached_incidents`), and
    the `limit` longest overdue of them. Two queries, on the open incidents only."""
    breached = breached_incidents()
    rows = breached.order_by("sla_next_due_at", "id").values(
        "pk", "reference", "title", "severity", "status", "sla_next_due_at")[:limit]
    return {"count": breached.count(), "incidents": list(rows)}


# --- 3. regulatory deadlines ------------------------------------------------------------------------------------


def regulatory_deadlines(*, now: datetime, days: int = DEADLINE_DAYS, limit: int = LIST_LIMIT) -> dict:
    """Open obligations: {overdue, due_24h, due_soon (within `days`, not overdue), no_deadline, soonest}, where
    `soonest` lists the `limit` earliest of the overdue and due-soon ones. Two queries."""
    horizon = now + timedelta(days=days)
    open_obligations = Obligation.objects.filter(status=Obligation.Status.OPEN)
    counts = open_obligations.aggregate(  # counting `status`, not ids: the (status, due_at) index answers alone
        overdue=Count("status", filter=Q(due_at__lt=now)),
        due_24h=Count("status", filter=Q(due_at__gte=now, due_at__lte=now + timedelta(hours=24))),
        due_soon=Count("status", filter=Q(due_at__gte=now, due_at__lte=horizon)),
        no_deadline=Count("status", filter=Q(due_at__isnull=True)),
    )
    soonest = (
        open_obligations.filter(due_at__lte=horizon)
        .order_by("due_at", "incident__reference", "key")
        .values("pk", "due_at", "regime_name", "stage_name", "jurisdiction", "incident_id", "incident__reference")
    )[:limit]
    return {**counts, "days": days, "soonest": list(soonest)}


# --- 4. response times ------------------------------------------------------------------------------------------


def month_starts(now: datetime, months: int = MONTHS) -> list[datetime]:
    """The first instants (UTC) of the `months` calendar months ending with the month of `now`, oldest first."""
    now = now.astimezone(UTC)
    index = now.year * 12 + now.month - 1
    return [datetime(i // 12, i % 12 + 1, 1, tzinfo=UTC) for i in range(index - months + 1, index + 1)]


def response_times_by_month_direct(*, now: datetime, months: int = MONTHS) -> list[dict]:
    """The reference for the summarised figure (`summaries.Summaries.response_times`).

    [{month, incidents, mttd, mtta, mttc, mttr}] for the last `months` calendar months (UTC) by the month of
    detection, oldest first; the measures are mean hours (None where no incident of the month has both timestamps).

    One query: TruncMonth and Avg of `end - start` durations (`incidents.metrics.MEASURES`) in the database. Avg over
    a duration is an interval average on PostgreSQL and an average of microseconds on SQLite; Django returns a
    timedelta either way."""
    starts = month_starts(now, months)
    rows = (
        Incident.objects.filter(status__in=COUNTED_STATUSES, detected_at__gte=starts[0])
        .annotate(month=TruncMonth("detected_at", tzinfo=UTC))
        .order_by()
        .values("month")
        .annotate(incidents=Count("pk"),
                  **{name: Avg(duration(end, start)) for name, (end, start) in MEASURES.items()})
    )
    by_month = {row["month"].astimezone(UTC).date(): row for row in rows}
    result = []
    for start in starts:
        row = by_month.get(start.date(), {})
        result.append({"month": start.date(), "incidents": row.get("incidents", 0),
                       **{name: hours(row.get(name)) for name in MEASURES}})
    return result


# --- 5. inventory posture ---------------------------------------------------------------------------------------


def systems_by_risk_class() -> list[dict]:
    """[{key, label, count}] of AI systems not retired, per risk class in the Act's order, then "not yet assessed";
    zeros included. One query."""
    counts = _grouped_counts(AISystem.objects.filter(lifecycle__in=ACTIVE_LIFECYCLES), "risk_class")
    rows = [{"key": c.value, "label": c.label, "count": counts.get(c.value, 0)} for c in RiskClass]
    return [*rows, {"key": NOT_ASSESSED, "label": "Not yet assessed", "count": counts.get(NOT_ASSESSED, 0)}]


READINESS_GAPS = {
    "no_inference_logging": ("No inference logging", Q(inference_logging=False)),
    "no_kill_switch_procedure": ("No kill-switch procedure", Q(kill_switch_procedure="")),
    "no_rollback_procedure": ("No rollback procedure", Q(rollback_procedure="")),
    "no_containment_accountable": ("No Accountable for every containment activity", Q(containment_gaps__gt=0)),
}


def high_risk_readiness_gaps() -> dict:
    """{systems, gaps: [{key, label, count}]}: high-risk AI systems not retired, and how many lack each piece of
    evidence readiness (the conditions of `inventory.selectors.systems_with_readiness_gaps`; the containment gap is
    the `containment_gaps` annotation of `system_list`: an Accountable missing for one of CONTAINMENT_ACTIVITIES).
    One query."""
    systems = system_list().filter(risk_class__in=HIGH_RISK_CLASSES, lifecycle__in=ACTIVE_LIFECYCLES)
    counts = systems.aggregate(
        systems=Count("pk"), **{key: Count("pk", filter=condition) for key, (_, condition) in READINESS_GAPS.items()}
    )
    return {"systems": counts["systems"],
            "gaps": [{"key": key, "label": label, "count": counts[key]} for key, (label, _) in READINESS_GAPS.items()]}


# --- 6. coverage ------------------------------------------------------------------------------------------------


def csf_coverage_direct() -> list[dict]:
    """The reference for the summarised figure (`csf_coverage`).

    [{key, label, incidents, runbooks}] per CSF 2.0 function, in CSF order: incidents (not dismissed) with at
    least one checklist item, and runbooks with at least one step, whose CSF category belongs to the function.
    One query (two correlated COUNT DISTINCT subqueries: a scan of the checklist per function)."""
    items = ChecklistItem.objects.filter(csf_category__function=OuterRef("pk"), incident__status__in=COUNTED_STATUSES)
    steps = RunbookStep.objects.filter(csf_category__function=OuterRef("pk"))
    functions = CsfFunction.objects.order_by("order", "id").annotate(
        incidents=_count_subquery(items, "csf_category__function", "incident"),
        runbooks=_count_subquery(steps, "csf_category__function", "runbook"),
    )
    return [{"key": f.id, "label": f.name, "incidents": f.incidents, "runbooks": f.runbooks} for f in functions]


def csf_coverage(summaries) -> list[dict]:
    """As `csf_coverage_direct`: the incidents from the summaries, the runbooks (reference data, a few hundred
    steps) counted live. One query."""
    steps = RunbookStep.objects.filter(csf_category__function=OuterRef("pk"))
    functions = CsfFunction.objects.order_by("order", "id").annotate(
        runbooks=_count_subquery(steps, "csf_category__function", "runbook"))
    incidents = summaries.csf_incidents()
    return [{"key": f.id, "label": f.name, "incidents": incidents.get(f.id, 0), "runbooks": f.runbooks}
            for f in functions]


def _technique_tactic():
    """A technique's tactic: its own, or for a sub-technique (which ATLAS links to no tactic) its parent's."""
    return Coalesce(F("atlastechnique__tactics"), F("atlastechnique__parent__tactics"))


def atlas_links(using: str = "default"):
    """Incident-technique links of incidents not dismissed, annotated with `tactic` (one row per tactic)."""
    links = Incident.atlas_techniques.through.objects.using(using)
    return links.filter(incident__status__in=COUNTED_STATUSES).annotate(tactic=_technique_tactic())


def atlas_coverage_direct() -> list[dict]:
    """The reference for the summarised figure (`atlas_coverage`).

    [{key, label, incidents, techniques}] per ATLAS tactic, in matrix order: incidents (not dismissed) classified
    with a technique of the tactic (a sub-technique counts for its parent's tactics), and the ids of the techniques
    used (for the link to the incident list). Two queries: the counts, then the distinct (tactic, technique) pairs
    in use (bounded by the taxonomy, not by the number of incidents)."""
    tagged = atlas_links()
    tactics = AtlasTactic.objects.order_by("order", "id").annotate(
        incidents=_count_subquery(tagged.filter(tactic=OuterRef("pk")), "tactic", "incident"))
    pairs = tagged.filter(tactic__isnull=False).order_by().values_list("tactic", "atlastechnique_id").distinct()
    used: dict[str, list[str]] = {}
    for tactic, technique in pairs:
        used.setdefault(tactic, []).append(technique)
    return [{"key": t.id, "label": t.name, "incidents": t.incidents, "techniques": sorted(used.get(t.id, []))}
            for t in tactics]


def atlas_coverage(summaries) -> list[dict]:
    """As `atlas_coverage_direct`, from the summaries; the tactics (taxonomy) read live. One query."""
    incidents, used = summaries.atlas_incidents(), summaries.atlas_techniques()
    return [{"key": t.id, "label": t.name, "incidents": incidents.get(t.id, 0), "techniques": used.get(t.id, [])}
            for t in AtlasTactic.objects.order_by("order", "id")]


# --- 7. evidence and reporting ----------------------------------------------------------------------------------


def inference_log_counts(using: str = "default") -> dict:
    """{incidents, complete, incomplete, unknown}: incidents (not dismissed) by `complete_inference_logs`. One
    query."""
    return Incident.objects.using(using).filter(status__in=COUNTED_STATUSES).aggregate(
        incidents=Count("pk"),
        complete=Count("pk", filter=Q(complete_inference_logs=True)),
        incomplete=Count("pk", filter=Q(complete_inference_logs=False)),
        unknown=Count("pk", filter=Q(complete_inference_logs__isnull=True)),
    )


def inference_log_figure(counts: dict) -> dict:
    """The counts with `share`: complete / incidents (None when there are none)."""
    share = round(counts["complete"] / counts["incidents"], 4) if counts["incidents"] else None
    return {**counts, "share": share}


def inference_log_completeness_direct() -> dict:
    """The reference for the summarised figure (`summaries.Summaries.inference_logs`)."""
    return inference_log_figure(inference_log_counts())


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression, fraction: float = 0.5, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _submissions(using: str = "default"):
    return Obligation.objects.using(using).filter(
        status=Obligation.Status.SUBMITTED, submitted_at__isnull=False, clock_starts_at__isnull=False
    ).annotate(elapsed=duration("submitted_at", "clock_starts_at")).order_by()


def submission_median(using: str = "default") -> tuple[int, timedelta | None]:
    """(submitted, median): submitted obligations with a clock start, and the median of
    `submitted_at - clock_starts_at` (None when there are none). One query on either backend.

    PostgreSQL computes it with `percentile_cont(0.5)` (the interpolated median). Other backends (SQLite) have no
    ordered-set aggregate, so the same median comes from window functions: number the durations in order, keep
    the middle one (odd count) or the middle two (even count) and average them, all in one statement."""
    submissions = _submissions(using)
    if connections[using].vendor == "postgresql":
        result = submissions.aggregate(submitted=Count("pk"), median=PercentileCont("elapsed"))
    else:
        ranked = submissions.annotate(
            position=Window(RowNumber(), order_by=[F("elapsed").asc(), F("pk").asc()]),
            total=Window(Count("pk")),
        )
        middle = ranked.filter(position__gte=(F("total") + 1) / 2, position__lte=(F("total") + 2) / 2)
        result = middle.aggregate(submitted=Coalesce(Avg("total"), 0.0), median=Avg("elapsed"))
        result["submitted"] = int(result["submitted"])
    return result["submitted"], result["median"]


def median_time_to_submission_direct() -> dict:
    """The reference for the summarised figure (`summaries.Summaries.submission`): {submitted, median_hours}."""
    submitted, median = submission_median()
    return {"submitted": submitted, "median_hours": hours(median)}


# --- 8. remediation --------------------------------------------------------------------------------------------


def remediation_figure(progress: dict[int, dict[str, int]]) -> list[dict]:
    """[{pk, reference, title, total, states: [{key, label, count}], done, done_share}] for the incidents of
    `progress` ({incident id: {state: count}}) that are open now, the most records first. One query (the
    incidents' references and titles); none when no incident has records."""
    if not progress:
        return []
    incidents = Incident.objects.filter(pk__in=list(progress), status__in=OPEN_STATUSES).order_by().values_list(
        "pk", "reference", "title")
    rows = []
    for pk, reference, title in incidents:
        counts = ledger.state_counts(progress[pk])
        rows.append({"pk": pk, "reference": reference, "title": title, "total": counts.total, "done": counts.done,
                     "done_share": counts.done_share,
                     "states": [{"key": key, "label": label, "count": n} for key, label, n in counts.states]})
    return sorted(rows, key=lambda row: (-row["total"], row["reference"]))


def remediation_progress_direct() -> list[dict]:
    """The reference for the summarised figure (`summaries.Summaries.remediation`)."""
    progress: dict[int, dict[str, int]] = {}
    for incident_id, state, n in ledger.open_incident_progress():
        progress.setdefault(incident_id, {})[state] = n
    return remediation_figure(progress)


# --- all of them ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardMetrics:
    """`as_of`: when the live figures were read; `summary_as_of`: when the summarised ones (response times,
    coverage, inference logs, time to submission and the breakdowns of `breakdowns`) were rebuilt."""

    as_of: datetime
    summary_as_of: datetime
    open_by_severity: list
    open_by_status: list
    sla_breaches: dict
    deadlines: dict
    response_times: list
    risk_classes: list
    readiness: dict
    csf: list
    atlas: list
    inference_logs: dict
    submission: dict
    on_time_filing: dict
    mttd_by_class: list
    mttd_by_source: list
    track_intent: list
    remediation: list

    @property
    def open_incidents(self) -> int:
        return sum(row["count"] for row in self.open_by_severity)


def dashboard_metrics(now: datetime | None = None) -> DashboardMetrics:
    """Every figure of the dashboard: the live ones as of `now`, the summarised ones as of their last rebuild.
    A constant number of queries (see the functions above), none of them a scan of the checklist, the ATLAS links
    or the history."""
    from reporting.dashboard import summaries as summary_store

    now = now or timezone.now()
    summaries = summary_store.current()
    return DashboardMetrics(
        as_of=now,
        summary_as_of=summaries.as_of,
        open_by_severity=open_incidents_by_severity(),
        open_by_status=open_incidents_by_status(),
        sla_breaches=sla_breaches(),
        deadlines=regulatory_deadlines(now=now),
        response_times=summaries.response_times(now),
        risk_classes=systems_by_risk_class(),
        readiness=high_risk_readiness_gaps(),
        csf=csf_coverage(summaries),
        atlas=atlas_coverage(summaries),
        inference_logs=summaries.inference_logs(),
        submission=summaries.submission(),
        on_time_filing=summaries.on_time_filing(),
        mttd_by_class=summaries.mttd_by("incident_class"),
        mttd_by_source=summaries.mttd_by("detection_source"),
        track_intent=summaries.track_intent(),
        remediation=remediation_figure(summaries.remediation()),
    )
