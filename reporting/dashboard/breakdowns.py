"""The dashboard's breakdowns (issue 14): the on-time filing rate of regulatory submissions, the mean time to detect
by incident class and by detection source, and the incidents by track and intent.

Each is one grouped query over the incidents or the submitted obligations: a scan of the table, so the page reads
them from the summaries (`reporting.dashboard.summaries`, rebuilt by the schedule) as it reads the response times
(ADR 0012). Per figure: `*_counts` is the grouped query the rebuild stores, `*_figure` shapes those rows (stored or
direct) into what the page and the CSV show, `*_direct` is the reference the summary tests compare with.

Populations, as in `selectors`: incidents that are not dismissed (a dismissal says it was not an incident), the open
ones among them for the open counts; obligations submitted, with a submission time and a due time.
"""

from datetime import timedelta

from django.db.models import Avg, Count, F, Q

from incidents.lifecycle import OPEN_STATUSES
from incidents.metrics import MEASURES
from incidents.models import DetectionSource, Incident, IncidentClass, Intent, Track
from reporting.clock.regimes import load_regimes
from reporting.dashboard.selectors import COUNTED_STATUSES, duration, hours
from reporting.models import Obligation
from reporting.wording import label_words

ALL = "all"
MTTD_GROUPS = {"incident_class": IncidentClass, "detection_source": DetectionSource}


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- on-time filing ---------------------------------------------------------------------------------------------


def filed_obligations(using: str = "default"):
    """Obligations submitted, with a submission time and a due time: those that can be on time or late."""
    return Obligation.objects.using(using).filter(status=Obligation.Status.SUBMITTED, submitted_at__isnull=False,
                                                  due_at__isnull=False)


def filing_counts(using: str = "default") -> list[tuple[str, int, int]]:
    """(regime, submitted, on_time) per regime: obligations submitted with a due time, and how many of them were
    submitted by it (`submitted_at <= due_at`). One query."""
    rows = (filed_obligations(using).order_by().values_list("regime")
            .annotate(submitted=Count("pk"), on_time=Count("pk", filter=Q(submitted_at__lte=F("due_at")))))
    return list(rows)


def regime_name(code: str) -> str:
    """The regime's name in its reference file ("GDPR personal-data breach notification"), its code in words when
    the file is gone."""
    names = {regime.code: regime.name for regime in load_regimes()}
    return names.get(code) or label_words(code)


def on_time_filing_figure(rows) -> dict:
    """{submitted, on_time, late, share, regimes: [{key, label, submitted, on_time, late, share}]} from
    `filing_counts` rows: overall and per regime (by name); `share` is on time / submitted, None when none."""
    regimes = sorted(({"key": code, "label": regime_name(code), "submitted": submitted, "on_time": on_time,
                       "late": submitted - on_time, "share": share(on_time, submitted)}
                      for code, submitted, on_time in rows if submitted), key=lambda r: (r["label"], r["key"]))
    submitted, on_time = sum(r["submitted"] for r in regimes), sum(r["on_time"] for r in regimes)
    return {"submitted": submitted, "on_time": on_time, "late": submitted - on_time,
            "share": share(on_time, submitted), "regimes": regimes}


def on_time_filing_direct() -> dict:
    return on_time_filing_figure(filing_counts())


# --- mean time to detect by class and by source -----------------------------------------------------------------


def mttd_counts(field: str, using: str = "default") -> list[tuple[str, int, timedelta | None]]:
    """(value of `field`, incidents measured, mean detected - occurred) per incident class or detection source, over
    the incidents (not dismissed) whose occurrence time is known (MTTD as `incidents.metrics.MEASURES` defines it).
    One query."""
    end, start = MEASURES["mttd"]
    rows = (Incident.objects.using(using)
            .filter(status__in=COUNTED_STATUSES, **{f"{start}__isnull": False, f"{end}__isnull": False})
            .order_by().values_list(field).annotate(n=Count("pk"), mean=Avg(duration(end, start))))
    return list(rows)


def mttd_figure(field: str, rows) -> list[dict]:
    """[{key, label, incidents, mttd}] in the order of the field's choices, the values with a measured incident
    only; `mttd` in hours."""
    measured = {code: (n, mean) for code, n, mean in rows if n}
    return [{"key": choice.value, "label": choice.label, "incidents": measured[choice.value][0],
             "mttd": hours(measured[choice.value][1])}
            for choice in MTTD_GROUPS[field] if choice.value in measured]


def mttd_direct(field: str) -> list[dict]:
    return mttd_figure(field, mttd_counts(field))


# --- track and intent -------------------------------------------------------------------------------------------


def track_intent_counts(using: str = "default") -> list[tuple[str, str, int, int]]:
    """(track, intent, incidents, open) per track and intent: incidents not dismissed, and the open ones. One
    query."""
    rows = (Incident.objects.using(using).filter(status__in=COUNTED_STATUSES).order_by()
            .values_list("track", "intent")
            .annotate(incidents=Count("pk"), open=Count("pk", filter=Q(status__in=OPEN_STATUSES))))
    return list(rows)


def track_intent_key(track: str, intent: str) -> str:
    return f"{track}/{intent}"


def track_intent_figure(rows) -> list[dict]:
    """[{key, track, intent, label, incidents, open}] for every track and intent, in the order of their choices,
    zeros included."""
    counts = {track_intent_key(track, intent): (incidents, open_) for track, intent, incidents, open_ in rows}
    result = []
    for track in Track:
        for intent in Intent:
            key = track_intent_key(track.value, intent.value)
            incidents, open_ = counts.get(key, (0, 0))
            result.append({"key": key, "track": track.value, "intent": intent.value,
                           "label": f"{track.label} \N{MIDDLE DOT} {intent.label}",
                           "incidents": incidents, "open": open_})
    return result


def track_intent_direct() -> list[dict]:
    return track_intent_figure(track_intent_counts())
