"""Files made from the ledger, streamed: the records a filter selects as CSV or JSON Lines, and the mail-merge file
of the notice to individuals (GDPR Art. 34).

A file is written while it is sent: the rows are read in chunks through a server-side cursor on PostgreSQL
(`QuerySet.iterator(chunk_size=...)`, a fetch per chunk on SQLite), so a million rows take the memory of one chunk,
and nothing counts them first. CSV cells go through `portal.core.spreadsheet.cell` (a cell starting with = + - @
is written as text). The confidential `subject_ref` (`portal.core.confidential`) is a column only for a reader
cleared for it; for anyone else the column is absent, not empty.
"""

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.http import StreamingHttpResponse

from portal.core import confidential
from portal.core.spreadsheet import cell
from remediation.models import AffectedRecord
from remediation.states import State

CHUNK = 2_000

# (column, query path) of the ledger export, in order.
COLUMNS = (
    ("id", "pk"), ("incident", "incident__reference"), ("kind", "kind"), ("external_id", "external_id"),
    ("subject_ref", "subject_ref"), ("jurisdiction", "jurisdiction"), ("contact_channel", "contact_channel"),
    ("occurred_at", "occurred_at"), ("system", "system__slug"), ("component", "component_id"), ("state", "state"),
    ("state_changed_at", "state_changed_at"), ("state_changed_by", "state_changed_by__username"),
    ("reviewer", "reviewer__username"), ("note", "note"), ("import_batch", "import_batch_id"),
    ("updated_at", "updated_at"), ("version", "version"),
)

# The mail-merge file: who to write to and what to tell them, with the record id and version that recording the
# notice as sent sends back.
NOTICE_COLUMNS = (
    ("external_id", "external_id"), ("kind", "kind"), ("subject_ref", "subject_ref"),
    ("jurisdiction", "jurisdiction"), ("contact_channel", "contact_channel"), ("state", "state"),
    ("record_id", "pk"), ("version", "version"),
)
NOTICE_HEADER = ["external_id", "kind", "subject_ref", "jurisdiction", "contact_channel", "state", "outcome",
                 "record_id", "version"]

OUTCOMES = {
    State.UPHELD: "The decision was reviewed again by a person and upheld.",
    State.REDRESS_ACCEPTED: "The decision was reviewed again and reversed; you accepted the redress offered.",
    State.REDRESS_DECLINED: "The decision was reviewed again and reversed; you declined the redress offered.",
}


def columns_for(reader, columns=COLUMNS) -> list[tuple[str, str]]:
    """The columns `reader` may read: the confidential ones left out for a reader not cleared."""
    hidden = confidential.withheld_fields(reader, AffectedRecord)
    return [(name, path) for name, path in columns if path not in hidden and name not in hidden]


def _rows(queryset, columns) -> Iterator[tuple]:
    paths = [path for _, path in columns]
    return queryset.values_list(*paths).iterator(chunk_size=CHUNK)


def _text(value):
    return value.isoformat() if isinstance(value, datetime) else value


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value):
        return value


def csv_lines(queryset, columns) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([name for name, _ in columns])
    for row in _rows(queryset, columns):
        yield writer.writerow([cell(_text(value)) for value in row])


def jsonl_lines(queryset, columns) -> Iterator[str]:
    names = [name for name, _ in columns]
    for row in _rows(queryset, columns):
        yield json.dumps(dict(zip(names, map(_text, row), strict=True)), ensure_ascii=False) + "\n"


def streamed(lines: Iterable[str], *, filename: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def ledger_export(queryset, *, reader, fmt: str, filename: str) -> StreamingHttpResponse:
    """The records of `queryset` as `fmt` ("csv" or "jsonl"), streamed, in id order."""
    columns = columns_for(reader)
    queryset = queryset.order_by("pk")
    if fmt == "csv":
        return streamed(csv_lines(queryset, columns), filename=f"{filename}.csv", content_type="text/csv")
    return streamed(jsonl_lines(queryset, columns), filename=f"{filename}.jsonl", content_type="application/jsonl")


def notice_lines(queryset) -> Iterator[str]:
    """The mail-merge CSV's lines: NOTICE_HEADER, then a row per record with the outcome in words."""
    writer = csv.writer(_Echo())
    yield writer.writerow(NOTICE_HEADER)
    for *person, state, pk, version in _rows(queryset.order_by("pk"), NOTICE_COLUMNS):
        yield writer.writerow([*(cell(value) for value in person), cell(state), cell(OUTCOMES.get(state, "")),
                               pk, version])


def notice_file(queryset, *, filename: str) -> StreamingHttpResponse:
    """The mail-merge CSV of the records of `queryset` (the notice's selection), streamed. Its readers are the
    compliance officers, who are cleared for every column."""
    return streamed(notice_lines(queryset), filename=filename, content_type="text/csv")
