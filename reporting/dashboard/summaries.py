"""The dashboard's summarised figures: read from `DashboardSummaryRow` (one query), rebuilt from the source tables
by `rebuild()` (the schedule, `manage.py rebuild_dashboard_summaries`, a bulk loader).

Summarised here, because each is a scan of a large table (a million checklist rows, every ATLAS link, every
incident or submitted obligation) and none changes what anybody must do in the next minutes:
- incidents per CSF 2.0 function (through their checklist items) and per ATLAS tactic, with the techniques in use;
- mean response times per month of detection;
- incidents by completeness of their inference logs;
- the median time from clock start to regulatory submission;
- the on-time filing rate, the mean time to detect by incident class and by detection source, and the incidents by
  track and intent (`reporting.dashboard.breakdowns`);
- the remediation ledger's records of each open incident by state (a GROUP BY over the ledger, which holds
  thousands to millions of records per incident).
The live figures (open incidents, SLA breaches, deadlines, inventory, runbook coverage) stay in `selectors`, each a
query an index or a small table serves. ADR 0012 says why, how fresh each is and how it is kept right.

`rebuild()` reads the sources with grouped queries (one pass each, no correlated subquery), then replaces every row in
one short transaction; `tests/dashboard/test_summaries.py` checks each figure against the reference queries in
`selectors` (`*_direct`) after random writes through the services.
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from incidents.metrics import MEASURES
from incidents.models import ChecklistItem, Incident
from remediation import figures as ledger
from reporting.dashboard import breakdowns, selectors
from reporting.models import DashboardSummaryRow, DashboardSummaryState

CSF = "csf_incidents"
ATLAS = "atlas_incidents"
ATLAS_TECHNIQUE = "atlas_technique"
RESPONSE_INCIDENTS = "response_incidents"
RESPONSE = {name: f"response_{name}" for name in MEASURES}
LOGS = "inference_logs"
SUBMISSION = "submission"
LOG_KEYS = ("incidents", "complete", "incomplete", "unknown")
FILING, FILING_ON_TIME = "filing_submitted", "filing_on_time"
MTTD_BY = {"incident_class": "mttd_class", "detection_source": "mttd_source"}
TRACK_INTENT, TRACK_INTENT_OPEN = "track_intent", "track_intent_open"
REMEDIATION = "remediation"  # key: "<incident id>/<state>"


def _month_key(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m")


# --- reading the sources (the rebuild) -------------------------------------------------------------------------


def _csf_rows(using):
    """Incidents (not dismissed) with a checklist item in each CSF function: one GROUP BY over the checklist."""
    rows = (ChecklistItem.objects.using(using).filter(incident__status__in=selectors.COUNTED_STATUSES,
                                         csf_category__isnull=False)
            .order_by().values_list("csf_category__function").annotate(n=Count("incident", distinct=True)))
    return [(CSF, function, n, None) for function, n in rows]


def _atlas_rows(using):
    """Incidents (not dismissed) per ATLAS tactic, and per (tactic, technique) in use: two GROUP BYs over the
    incident-technique links (a sub-technique counts for its parent's tactics, as in `atlas_coverage_direct`)."""
    tagged = selectors.atlas_links(using).filter(tactic__isnull=False).order_by()
    per_tactic = tagged.values_list("tactic").annotate(n=Count("incident", distinct=True))
    pairs = tagged.values_list("tactic", "atlastechnique_id").annotate(n=Count("incident", distinct=True))
    return [*((ATLAS, tactic, n, None) for tactic, n in per_tactic),
            *((ATLAS_TECHNIQUE, f"{tactic} {technique}", n, None) for tactic, technique, n in pairs)]


def _response_rows(now: datetime, using):
    """Per month of detection (the last `MONTHS` months as of `now`): incidents, and per measure how many have
    both timestamps and their mean. One GROUP BY over the incidents detected since."""
    start = selectors.month_starts(now)[0]
    rows = (Incident.objects.using(using).filter(status__in=selectors.COUNTED_STATUSES, detected_at__gte=start)
            .annotate(month=TruncMonth("detected_at", tzinfo=UTC)).order_by().values("month")
            .annotate(incidents=Count("pk"),
                      **{f"{name}_n": Count("pk", filter=Q(**{f"{end}__isnull": False, f"{begin}__isnull": False}))
                         for name, (end, begin) in MEASURES.items()},
                      **{name: Avg(selectors.duration(end, begin)) for name, (end, begin) in MEASURES.items()}))
    result = []
    for row in rows:
        month = _month_key(row["month"])
        result.append((RESPONSE_INCIDENTS, month, row["incidents"], None))
        result.extend((RESPONSE[name], month, row[f"{name}_n"], row[name]) for name in MEASURES)
    return result


def _log_rows(using):
    counts = selectors.inference_log_counts(using)
    return [(LOGS, key, counts[key], None) for key in LOG_KEYS]


def _submission_rows(using):
    submitted, median = selectors.submission_median(using)
    return [(SUBMISSION, "median", submitted, median)]


def _breakdown_rows(using):
    """The breakdowns of `reporting.dashboard.breakdowns`: four GROUP BYs (filings per regime, MTTD per class and per
    source, incidents per track and intent)."""
    rows = []
    for regime, submitted, on_time in breakdowns.filing_counts(using):
        rows += [(FILING, regime, submitted, None), (FILING_ON_TIME, regime, on_time, None)]
    for field_name, figure in MTTD_BY.items():
        rows += [(figure, code, n, mean) for code, n, mean in breakdowns.mttd_counts(field_name, using)]
    for track, intent, incidents, open_ in breakdowns.track_intent_counts(using):
        key = breakdowns.track_intent_key(track, intent)
        rows += [(TRACK_INTENT, key, incidents, None), (TRACK_INTENT_OPEN, key, open_, None)]
    return rows


def _remediation_rows(using):
    """The ledger's records of each open incident by state: one GROUP BY (`remediation.figures`)."""
    return [(REMEDIATION, f"{incident_id}/{state}", n, None)
            for incident_id, state, n in ledger.open_incident_progress(using)]


def compute(now: datetime, using: str = "default") -> list[tuple[str, str, int, timedelta | None]]:
    """(figure, key, count, duration) of every summarised figure, read from the source tables now."""
    return [*_csf_rows(using), *_atlas_rows(using), *_response_rows(now, using), *_log_rows(using),
            *_submission_rows(using), *_breakdown_rows(using), *_remediation_rows(using)]


def rebuild(now: datetime | None = None, *, using: str = "default") -> DashboardSummaryState:
    """Recompute every summary from the source tables and replace the stored rows; the state row is locked while
    they are replaced, and a result older than the stored one is dropped (two workers rebuilding at once).
    The one entry point: the schedule, the command and bulk loaders (`portal.core.scale.after_bulk_load`) call it."""
    now = now or timezone.now()
    started = time.monotonic()
    rows = compute(now, using)
    took_ms = int((time.monotonic() - started) * 1000)
    with transaction.atomic(using=using):
        state, created = DashboardSummaryState.objects.using(using).select_for_update().get_or_create(
            id=1, defaults={"as_of": now, "took_ms": took_ms})
        if not created and state.as_of > now:
            return state
        if not created:
            state.as_of, state.took_ms = now, took_ms
            state.save(update_fields=["as_of", "took_ms"], using=using)
        DashboardSummaryRow.objects.using(using).all().delete()
        DashboardSummaryRow.objects.using(using).bulk_create(
            DashboardSummaryRow(figure=figure, key=key, count=count, duration=duration, as_of=now)
            for figure, key, count, duration in rows)
    return state


def rebuild_after_bulk_load(*, using: str = "default") -> None:
    """Registered with `portal.core.scale.register_after_bulk_load`: a bulk load ends by rebuilding the summaries."""
    rebuild(using=using)


# --- reading the summaries (the page) --------------------------------------------------------------------------


@dataclass
class Summaries:
    """The stored summaries as of `as_of`: {figure: {key: (count, duration)}}."""

    as_of: datetime
    took_ms: int = 0
    figures: dict = field(default_factory=dict)

    def _get(self, figure: str) -> dict:
        return self.figures.get(figure, {})

    def count(self, figure: str, key: str) -> int:
        return self._get(figure).get(key, (0, None))[0]

    def csf_incidents(self) -> dict[str, int]:
        return {key: count for key, (count, _) in self._get(CSF).items()}

    def atlas_incidents(self) -> dict[str, int]:
        return {key: count for key, (count, _) in self._get(ATLAS).items()}

    def atlas_techniques(self) -> dict[str, list[str]]:
        used: dict[str, list[str]] = {}
        for key in sorted(self._get(ATLAS_TECHNIQUE)):
            tactic, technique = key.split(" ", 1)
            used.setdefault(tactic, []).append(technique)
        return used

    def response_times(self, now: datetime) -> list[dict]:
        """As `selectors.response_times_by_month_direct(now=now)`, from the stored months."""
        result = []
        for start in selectors.month_starts(now):
            month = _month_key(start)
            row = {"month": start.date(), "incidents": self.count(RESPONSE_INCIDENTS, month)}
            for name in MEASURES:
                count, mean = self._get(RESPONSE[name]).get(month, (0, None))
                row[name] = selectors.hours(mean) if count else None
            result.append(row)
        return result

    def inference_logs(self) -> dict:
        return selectors.inference_log_figure({key: self.count(LOGS, key) for key in LOG_KEYS})

    def submission(self) -> dict:
        submitted, median = self._get(SUBMISSION).get("median", (0, None))
        return {"submitted": submitted, "median_hours": selectors.hours(median)}

    def on_time_filing(self) -> dict:
        """As `breakdowns.on_time_filing_direct()`."""
        return breakdowns.on_time_filing_figure(
            (regime, submitted, self.count(FILING_ON_TIME, regime))
            for regime, (submitted, _) in self._get(FILING).items())

    def mttd_by(self, field_name: str) -> list[dict]:
        """As `breakdowns.mttd_direct(field_name)`: by incident class or by detection source."""
        return breakdowns.mttd_figure(field_name, ((code, n, mean)
                                                   for code, (n, mean) in self._get(MTTD_BY[field_name]).items()))

    def remediation(self) -> dict[int, dict[str, int]]:
        """{incident id: {state: count}}, as `remediation.figures.open_incident_progress()` grouped."""
        progress: dict[int, dict[str, int]] = {}
        for key, (count, _) in self._get(REMEDIATION).items():
            incident_id, state = key.split("/", 1)
            progress.setdefault(int(incident_id), {})[state] = count
        return progress

    def track_intent(self) -> list[dict]:
        """As `breakdowns.track_intent_direct()`."""
        return breakdowns.track_intent_figure(
            (*key.split("/", 1), incidents, self.count(TRACK_INTENT_OPEN, key))
            for key, (incidents, _) in self._get(TRACK_INTENT).items())


def read() -> Summaries | None:
    """The stored summaries (one query), or None when they were never built."""
    rows = list(DashboardSummaryRow.objects.order_by().values_list("figure", "key", "count", "duration", "as_of"))
    if not rows:
        state = DashboardSummaryState.objects.filter(id=1).first()
        return None if state is None else Summaries(as_of=state.as_of, took_ms=state.took_ms)
    summaries = Summaries(as_of=min(row[4] for row in rows))
    for figure, key, count, duration, _ in rows:
        summaries.figures.setdefault(figure, {})[key] = (count, duration)
    return summaries


def current() -> Summaries:
    """The stored summaries; built now when there are none yet (a new installation before its first scheduled
    rebuild). One query once they exist."""
    summaries = read()
    if summaries is None:
        rebuild()
        summaries = read()
    return summaries
