"""`affected_records_import`: a file read and checked into the staging table, its bad rows reported (and written to
the rejects CSV), the good rows written in one statement with one import record, one history row and one timeline
event (ADR 0013)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from incidents.models import Incident, TimelineEvent
from incidents.services import record_event
from portal.core import inputs
from portal.core.history import history_of_created
from portal.core.spreadsheet import cell
from remediation.models import AffectedRecordImport
from remediation.services.imports import staging as staged
from remediation.services.imports.rows import COLUMNS, FileError, RowError, detect_format
from remediation.services.moves import require_worker

# The bad rows kept in memory for the caller to show; every bad row goes to the rejects file.
KEPT_ERRORS = 1000


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)  # the first KEPT_ERRORS bad rows, in line order
    error_count: int = 0
    record: AffectedRecordImport | None = None
    rows_read: int = 0
    created: int = 0
    duplicates_skipped: int = 0
    sha256: str = ""
    rejects_path: Path | None = None

    @property
    def written(self) -> bool:
        return self.record is not None


class Rejects:
    """The rejects CSV, opened at the first bad row: the line, the reason and the values as read, each cell
    formula-safe (the rejects echo the input: a spreadsheet shows them as text, never evaluates them)."""

    def __init__(self, path: Path):
        self.path, self.handle, self.writer = path, None, None

    def write(self, line, reason, values) -> None:
        if self.writer is None:
            try:
                # A lone surrogate (JSON's "\ud800") is refused as a value and written escaped, as read.
                self.handle = self.path.open("w", newline="", encoding="utf-8", errors="backslashreplace")
            except OSError as exc:
                raise FileError(f"Cannot write the rejects file {self.path}: {exc.strerror or exc}") from None
            self.writer = csv.writer(self.handle)
            self.writer.writerow(["line", "reason", *COLUMNS])
        values = values if isinstance(values, dict) else {}
        cells = ["" if values.get(c) is None else str(values.get(c)) for c in COLUMNS]
        if "line" in values and not any(cells):
            cells[0] = str(values["line"])
        self.writer.writerow([cell(str(c).replace(inputs.NUL, "\\u0000")) for c in (line, reason, *cells)])

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def write_rejects(path: Path, errors: list[RowError]) -> None:
    rejects = Rejects(Path(path))
    try:
        for error in errors:
            rejects.write(error.line, error.reason, error.values)
    finally:
        rejects.close()


def affected_records_import(*, actor, incident: Incident, path, fmt: str | None = None, skip_invalid: bool = False,
                            rejects_path=None, file_name: str | None = None,
                            progress: Callable | None = None) -> ImportResult:
    """Import the affected records of `incident` from the file at `path` (see `remediation.services.imports`).

    `file_name` is the name recorded (default: the path's; it also gives the format when `fmt` is None or "auto");
    `progress(rows read, estimated rows)` is called as the file is read. Every bad row is written to the rejects
    CSV at `rejects_path` (default: next to the file, FILE.rejects.csv), whether or not the import goes ahead.
    Raises `FileError` for a file that cannot be read at all; returns the first rows' errors (and the count)
    when nothing was written."""
    require_worker(actor, "import affected records")
    path = Path(path)
    name = file_name or path.name
    if inputs.NUL in name:
        raise ValidationError("The file name contains a NUL character.")
    fmt = detect_format(Path(name), fmt)
    rejects = Rejects(Path(rejects_path) if rejects_path else path.with_name(f"{path.stem}.rejects.csv"))
    result = ImportResult()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            staging = staged.Staging(cursor)
            try:
                result.rows_read, result.sha256 = staged.stage(path, fmt, staging, progress)
            except BaseException as exc:
                staging.close(failed=exc)
                raise
            staging.close()
            for line, reason, values in staged.bad_rows():
                result.error_count += 1
                if len(result.errors) < KEPT_ERRORS:
                    result.errors.append(RowError(line, reason, values))
                rejects.write(line, reason, values)
            if result.error_count:
                result.rejects_path = rejects.path
            if result.error_count and not skip_invalid:
                transaction.set_rollback(True)
                return result
            _write(cursor, result, actor=actor, incident=incident, name=name, fmt=fmt)
            staging.drop()
    finally:
        rejects.close()
    return result


def _write(cursor, result: ImportResult, *, actor, incident, name, fmt) -> None:
    incident = Incident.objects.select_for_update().get(pk=incident.pk)  # imports of one incident run one by one
    good = result.rows_read - result.error_count
    now = timezone.now()
    record = AffectedRecordImport(
        incident=incident, started_by=actor, file_name=name[:255], sha256=result.sha256, format=fmt,
        rows_read=result.rows_read, created=0, duplicates_skipped=0, invalid_rows=result.error_count,
        created_at=now)
    record.save_without_historical_record()
    created = staged.insert(cursor, incident=incident, record=record, actor=actor, now=now)
    record.created, record.duplicates_skipped = created, good - created
    AffectedRecordImport.objects.filter(pk=record.pk).update(created=created, duplicates_skipped=good - created)
    history_of_created(record, actor=actor)
    record_event(incident, TimelineEvent.Kind.UPDATED, actor=actor,
                 summary=f"Affected records imported from {record.file_name}: {import_counts(record)}",
                 payload={"affected_record_import": record.pk, "sha256": record.sha256, "created": record.created,
                          "duplicates_skipped": record.duplicates_skipped, "invalid_rows": record.invalid_rows})
    result.record, result.created, result.duplicates_skipped = record, record.created, record.duplicates_skipped


def _n(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def import_counts(record, rows_read: int | None = None) -> str:
    """An import's counts in words: "1,200 added, 1 duplicate skipped, 0 invalid rows skipped" (with the rows read
    first when given)."""
    read = f"{_n(rows_read, 'row')} read, " if rows_read is not None else ""
    return (f"{read}{record.created:,} added, {_n(record.duplicates_skipped, 'duplicate')} skipped, "
            f"{_n(record.invalid_rows, 'invalid row')} skipped")
