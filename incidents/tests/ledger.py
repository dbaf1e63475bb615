"""Affected records for the tests of what the remediation ledger feeds (BLAST figures, pages, documents): imported
and moved through the ledger's services."""

import itertools

from remediation.services import affected_record_move, affected_records_import
from remediation.states import State

# The moves from identified to each state (the shortest path).
PATHS = {
    State.IDENTIFIED: (),
    State.UNDER_RE_REVIEW: (State.UNDER_RE_REVIEW,),
    State.UPHELD: (State.UNDER_RE_REVIEW, State.UPHELD),
    State.REVERSED: (State.UNDER_RE_REVIEW, State.REVERSED),
    State.REDRESS_OFFERED: (State.UNDER_RE_REVIEW, State.REVERSED, State.REDRESS_OFFERED),
    State.REDRESS_ACCEPTED: (State.UNDER_RE_REVIEW, State.REVERSED, State.REDRESS_OFFERED, State.REDRESS_ACCEPTED),
    State.REDRESS_DECLINED: (State.UNDER_RE_REVIEW, State.REVERSED, State.REDRESS_OFFERED, State.REDRESS_DECLINED),
    State.NOTIFIED: (State.UNDER_RE_REVIEW, State.UPHELD, State.NOTIFIED),
    State.CLOSED: (State.UNDER_RE_REVIEW, State.UPHELD, State.CLOSED),
}
_files = itertools.count()


def import_records(actor, incident, tmp_path, **kinds):
    """Import `kinds` ({kind: how many}) for `incident` from a CSV file, through the import service; the records
    in the order of the file."""
    number = next(_files)
    path = tmp_path / f"ledger-{number}.csv"
    rows = [f"{kind}-{number}-{i},{kind}" for kind, n in kinds.items() for i in range(n)]
    path.write_text("external_id,kind\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    result = affected_records_import(actor=actor, incident=incident, path=path)
    assert result.written, result.errors
    return list(result.record.records.order_by("id"))


def move_to(actor, records, state):
    """Move each of `records` from identified to `state` through `affected_record_move`."""
    for record in records:
        for to in PATHS[state]:
            affected_record_move(actor=actor, record=record, to=to, expected_version=record.version)
    return records
