"""What the rest of the portal reads from the remediation ledger: counts, aggregated in the database (ADR 0015).

- `KIND_FIGURES`: which BLAST figure of the incident each kind of record feeds. `incidents.blast` shows the
  ledger's count instead of the hand-entered figure where the ledger lists records of that kind; `register()`
  (called by the app's `ready`) hands it the two readers below, so `incidents` never imports this app.
- `breakdown(incident)`: the incident's records per (kind, state), one GROUP BY, kept on the instance so that a
  page asking for the figures and for the counts by state runs it once (read a fresh instance after a change).
- `figure_annotations()`: one counting subquery per figure, for a queryset of incidents (the API's detail).
- `open_incident_progress(using)`: per open incident with records, the counts by state (the dashboard's summary).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from incidents import blast
from incidents.lifecycle import OPEN_STATUSES
from remediation.models import AffectedRecord, Kind
from remediation.states import State

# The BLAST figure each kind of record counts for. A person is a user affected (the EU AI Act notification's
# "persons affected" reads the same figure); an account has no hand-entered figure of its own: it is shown
# beside the others when the ledger lists accounts. The data subjects of a breach are not fed (see ADR 0015).
KIND_FIGURES = {
    Kind.PERSON: "users_affected",
    Kind.DECISION: "decisions_affected",
    Kind.TRANSACTION: "transactions_affected",
    Kind.ACCOUNT: "accounts_affected",
}
# The key of the timeline event a change of one record leaves on its incident (`affected_record_move`, a record
# added by hand): the post-incident report counts these instead of listing each.
RECORD_EVENT_KEY = "affected_record"
# Where a record's remediation is done: the person was told the outcome, or the record was closed.
DONE_STATES = (State.NOTIFIED, State.CLOSED)
_CACHE = "_ledger_breakdown"


@dataclass(frozen=True)
class StateCounts:
    """An incident's records by state: `total`, `states` [(state, label, count)] in the ledger's order (zeros
    included) and the share notified or closed (None without records)."""

    total: int
    states: list
    done: int

    @property
    def done_share(self) -> float | None:
        return round(self.done / self.total, 4) if self.total else None


def state_counts(counts: dict[str, int]) -> StateCounts:
    """{state: count} as `StateCounts`."""
    total = sum(counts.values())
    return StateCounts(total=total, states=[(s.value, s.label, counts.get(s.value, 0)) for s in State],
                       done=sum(counts.get(s, 0) for s in DONE_STATES))


def breakdown(incident) -> dict[tuple[str, str], int]:
    """{(kind, state): count} of the incident's records: one query (the (incident, state) index), once per
    instance."""
    cached = incident.__dict__.get(_CACHE)
    if cached is None:
        rows = (AffectedRecord.objects.filter(incident_id=incident.pk).order_by()
                .values_list("kind", "state").annotate(n=Count("*")))
        cached = incident.__dict__[_CACHE] = {(kind, state): n for kind, state, n in rows}
    return cached


def incident_state_counts(incident) -> StateCounts:
    """The incident's records by state (from `breakdown`)."""
    counts: dict[str, int] = {}
    for (_kind, state), n in breakdown(incident).items():
        counts[state] = counts.get(state, 0) + n
    return state_counts(counts)


def figure_counts(incident) -> dict[str, int]:
    """{figure: count} for each figure whose kind the ledger lists for the incident (from `breakdown`)."""
    counts: dict[str, int] = {}
    for (kind, _state), n in breakdown(incident).items():
        figure = KIND_FIGURES.get(kind)
        if figure:
            counts[figure] = counts.get(figure, 0) + n
    return counts


def figure_annotations() -> dict:
    """{`blast.annotation_name(figure)`: a scalar subquery counting the incident's records of that kind}, each
    served by the (incident, kind) index."""
    annotations = {}
    for kind, figure in KIND_FIGURES.items():
        counted = (AffectedRecord.objects.filter(incident_id=OuterRef("pk"), kind=kind).order_by()
                   .values("incident_id").annotate(n=Count("*")).values("n"))
        annotations[blast.annotation_name(figure)] = Coalesce(Subquery(counted, output_field=IntegerField()), 0)
    return annotations


def open_incident_progress(using: str = "default") -> list[tuple[int, str, int]]:
    """(incident id, state, count) for every open incident with records: one GROUP BY over their records."""
    return list(AffectedRecord.objects.using(using).filter(incident__status__in=OPEN_STATUSES).order_by()
                .values_list("incident_id", "state").annotate(n=Count("*")))


def register() -> None:
    """Hand `incidents.blast` the ledger's readers (the app's `ready`)."""
    blast.register_ledger(blast.Ledger(counts=figure_counts, annotations=figure_annotations))
