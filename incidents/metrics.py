"""Incident response times, pure: MTTD, MTTA, MTTC and MTTR of one incident from its timestamps.

MTTD = detected - occurred, MTTA = acknowledged - detected, MTTC = contained - detected and
MTTR = recovered - detected; a measure is None while either of its timestamps is missing. Averages over many
incidents are computed in the database by the reporting selectors; this is the definition they follow.
"""

from datetime import timedelta

# measure -> (end timestamp, start timestamp)
MEASURES = {
    "mttd": ("detected_at", "occurred_at"),
    "mtta": ("acknowledged_at", "detected_at"),
    "mttc": ("contained_at", "detected_at"),
    "mttr": ("recovered_at", "detected_at"),
}


def incident_metrics(incident) -> dict[str, timedelta | None]:
    """{"mttd", "mtta", "mttc", "mttr"} of one incident (any object with the incident timestamps)."""
    result = {}
    for name, (end, start) in MEASURES.items():
        end_at, start_at = getattr(incident, end, None), getattr(incident, start, None)
        result[name] = end_at - start_at if end_at is not None and start_at is not None else None
    return result
