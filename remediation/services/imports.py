"""Importing affected records from a CSV or JSON Lines file (ADR 0013).

The file is streamed: read once (its SHA-256 computed while reading), each row checked as it is read and staged,
good or bad, in a temporary table with its line number (COPY on PostgreSQL, batches of inserts on SQLite), so
memory stays bounded whatever the file's size. Set-based SQL then does the rest: unknown system slugs and component
ids are found by joins, the bad rows read back in line order (every one with its line, column and reason: the first
`KEPT_ERRORS` kept for the caller, all of them written to the rejects CSV), and one `INSERT ... SELECT ... ON
CONFLICT DO NOTHING` in line order writes the good rows, skipping external ids already on the incident and later
repeats within the file (the first line wins); the counts come from SQL.

Nothing is written while any row is bad, unless `skip_invalid`: then the good rows are written. The rows are
inserted without per-row history: the import record, with the file's SHA-256 and the counts, gets one history row
and the incident one timeline event. Later changes of a row leave per-row history (`affected_record_move`).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from incidents.models import Incident, TimelineEvent
from incidents.services import record_event
from inventory.models import AISystem, Component
from portal.core import inputs
from portal.core.history import history_of_created
from portal.core.spreadsheet import cell
from remediation.models import AffectedRecord, AffectedRecordImport, ContactChannel, Kind
from remediation.services.moves import require_worker
from remediation.states import State

COLUMNS = ("external_id", "kind", "subject_ref", "jurisdiction", "contact_channel", "occurred_at", "system",
           "component")
REQUIRED = ("external_id", "kind")
MAX_LENGTH = {"external_id": 200, "subject_ref": 200}
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
JURISDICTION = re.compile(r"^[A-Z]{2}$")
KINDS, CHANNELS = frozenset(Kind.values), frozenset(ContactChannel.values)
# The bad rows kept in memory for the caller to show; every bad row goes to the rejects file.
KEPT_ERRORS = 1000
# A JSON line (or a physical CSV line) longer than this is refused without being held in memory.
MAX_LINE_CHARS = 1_000_000
BATCH = 5000  # rows per insert into the staging table where there is no COPY (SQLite)
READ_BYTES = 1 << 20
PROGRESS_EVERY = 10_000  # rows
STAGING = "remediation_import_staging"


@dataclass
class RowError:
    line: int
    reason: str
    values: dict = field(default_factory=dict)

    def __str__(self):
        return f"line {self.line}: {self.reason}"


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


class FileError(ValueError):
    """The file as a whole cannot be read (not UTF-8, no header, unknown format): one line says why."""


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt and fmt != "auto":
        if fmt not in ("csv", "jsonl"):
            raise FileError(f"Unknown format {fmt!r}: use csv or jsonl.")
        return fmt
    found = FORMATS.get(path.suffix.lower())
    if not found:
        raise FileError(f"Cannot tell the format of {path.name} from its extension (.csv, .jsonl or .ndjson): "
                        "give --format csv or --format jsonl.")
    return found


# --- reading: bytes -> text lines, hashed and counted ------------------------------------------------------------

class _Lines:
    """The file's text lines (line endings kept), decoded as UTF-8 while the SHA-256 of its bytes is computed.
    A byte sequence that is not UTF-8 is a `FileError` naming its offset; a line longer than MAX_LINE_CHARS is
    never held whole (`long_line` says where the last one was)."""

    def __init__(self, handle, *, universal_newlines: bool):
        self.handle, self.digest, self.offset = handle, hashlib.sha256(), 0
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.universal = universal_newlines
        self.pending, self.pos, self.carry, self.done = "", 0, "", False
        self.long_line = self.had_long_line = False

    def _more(self) -> bool:
        if self.done:
            return False
        chunk = self.handle.read(READ_BYTES)
        self.digest.update(chunk)
        try:
            text = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            start = self.offset - len(exc.object) + len(chunk) + exc.start
            raise FileError(f"The file is not UTF-8 text ({exc.reason} at byte {max(start, 0)}).") from None
        self.offset += len(chunk)
        self.done = not chunk
        if self.universal:  # \r\n and \r end a line as \n does (a \r at a chunk's end waits for the next)
            text, self.carry = self.carry + text, ""
            if text.endswith("\r") and not self.done:
                text, self.carry = text[:-1], "\r"
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.pending, self.pos = self.pending[self.pos:] + text, 0
        return True

    def __iter__(self):
        return self

    def __next__(self) -> str:
        self.long_line = False
        while True:
            end = self.pending.find("\n", self.pos)
            if end >= 0:
                line, self.pos = self.pending[self.pos:end + 1], end + 1
                if len(line) > MAX_LINE_CHARS:
                    self.long_line = self.had_long_line = True
                    return ""
                return line
            if len(self.pending) - self.pos > MAX_LINE_CHARS:  # drop the rest of this line as it arrives
                self.long_line = self.had_long_line = True
                self.pending, self.pos = "", 0
                while self._more() and (end := self.pending.find("\n")) < 0:
                    self.pending = ""
                self.pending, self.pos = (self.pending, end + 1) if end >= 0 else ("", 0)
                return ""
            if not self._more():
                if self.pos < len(self.pending):
                    line, self.pending, self.pos = self.pending[self.pos:], "", 0
                    return line
                raise StopIteration

    def sha256(self) -> str:
        while self._more():  # the rest of the file (after a CSV error), for the digest
            self.pending, self.pos = "", 0
        return self.digest.hexdigest()


def _csv_rows(lines: _Lines):
    """(line number, {column: raw text} or None, problem or None) of each non-blank CSV row."""
    numbered = iter(lines)
    reader = csv.reader(numbered)
    try:
        header = next(reader)
    except StopIteration:
        raise FileError("The file is empty: the first line must name the columns.") from None
    except csv.Error as exc:
        raise FileError(f"line 1: the header cannot be read ({exc}).") from None
    if lines.had_long_line:
        raise FileError(f"line 1: a line longer than {MAX_LINE_CHARS:,} characters.")
    header = [name.strip() for name in header]
    if unknown := [name for name in header if name not in COLUMNS]:
        raise FileError(f"line 1: unknown column(s) {', '.join(map(repr, unknown))}; the columns are "
                        f"{', '.join(COLUMNS)}.")
    if missing := [name for name in REQUIRED if name not in header]:
        raise FileError(f"line 1: the header lacks the column(s) {', '.join(missing)}.")
    width = len(header)
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, {}, f"the row cannot be read as CSV ({exc})"
            return
        if lines.had_long_line:
            raise FileError(f"line {line}: a line longer than {MAX_LINE_CHARS:,} characters.")
        if not any(value.strip() for value in values):
            continue
        if len(values) == width:
            yield line, dict(zip(header, values, strict=True)), None
        else:
            yield line, dict(zip(header, values, strict=False)), f"{len(values)} values for {width} columns"


def _jsonl_rows(lines: _Lines):
    for number, raw in enumerate(lines, start=1):
        if lines.long_line:
            yield number, {}, f"the line is longer than {MAX_LINE_CHARS:,} characters"
            continue
        if not raw.strip():
            continue
        raw = raw.rstrip("\n")
        try:
            value = inputs.json_loads(raw, allow_nul=True)
        except inputs.JSONInputError as exc:
            yield number, {"line": raw}, str(exc)
            continue
        if not isinstance(value, dict):
            yield number, {"line": raw}, "each line must be a JSON object"
        elif unknown := [key for key in value if key not in COLUMNS]:
            yield number, value, f"unknown column(s) {', '.join(map(repr, unknown))}"
        else:
            yield number, value, None


def parse_rows(data: bytes, fmt: str) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """The rows of a small file held in memory, as (line number, {column: raw value}), and the rows that could
    not even be read (for tests and callers that have the bytes; the import streams)."""
    lines = _Lines(io.BytesIO(data), universal_newlines=fmt != "csv")
    rows, errors = [], []
    for line, values, problem in (_csv_rows if fmt == "csv" else _jsonl_rows)(lines):
        if problem:
            errors.append(RowError(line, problem, values))
        else:
            rows.append((line, values))
    return rows, errors


# --- checking one row -------------------------------------------------------------------------------------------

def _moment(text: str) -> datetime:
    """The aware moment `text` names (in its own offset: the database stores it in UTC)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date and time (e.g. 2026-03-01T09:30:00+01:00)") from None
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (add Z or an offset such as +01:00)")
    # Within 1971-2199 an offset cannot leave the range; only the edge years need the full check.
    if not 1971 <= value.year <= 2199 and (problem := inputs.moment_out_of_range(value)):
        raise ValueError(problem)
    return value


def _jurisdiction(text: str) -> tuple[str, str]:
    upper = text.upper()
    if not JURISDICTION.match(upper):
        return "", f"jurisdiction: {text!r} is not a two-letter country code{inputs.iso_3166_hint(text)}"
    if hint := inputs.iso_3166_hint(upper):
        return "", f"jurisdiction: {text!r}{hint}"
    return upper, ""


class _Checker:
    """Checks rows one by one: the row's values in staging order, and the reasons (one per column) it is refused.
    The system slug and component id are only checked for shape here; whether they exist is a join later."""

    def __init__(self):
        self.jurisdictions: dict[str, tuple[str, str]] = {}

    def check(self, values: dict) -> tuple[list, list[str]]:
        problems = []
        clean = ["", "", "", "", "", None, None, None]
        for index, column in enumerate(COLUMNS):
            raw = values.get(column)
            if raw is None:
                text = ""
            elif type(raw) is str:
                text = raw.strip()
            elif type(raw) is int:
                text = str(raw)
            else:
                problems.append(f"{column}: must be text")
                continue
            if not text:
                if column in REQUIRED:
                    problems.append(f"{column}: required")
                continue
            if inputs.NUL in text:
                problems.append(f"{column}: {inputs.NUL_MESSAGE}")
                continue
            if not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    problems.append(f"{column}: not valid Unicode text (a lone surrogate)")
                    continue
            if index == 0 or index == 2:  # external_id, subject_ref
                if len(text) > MAX_LENGTH[column]:
                    problems.append(f"{column}: at most {MAX_LENGTH[column]} characters ({len(text)} given)")
                    continue
            elif index == 1:
                if text not in KINDS:
                    problems.append(f"kind: {text!r} is not one of {', '.join(Kind.values)}")
                    continue
            elif index == 3:
                known = self.jurisdictions.get(text)
                if known is None:
                    known = _jurisdiction(text)
                    if len(self.jurisdictions) < 10_000:
                        self.jurisdictions[text] = known
                text, problem = known
                if problem:
                    problems.append(problem)
                    continue
            elif index == 4:
                if text not in CHANNELS:
                    problems.append(f"contact_channel: {text!r} is not one of {', '.join(ContactChannel.values)}")
                    continue
            elif index == 5:
                try:
                    text = _moment(text)
                except ValueError as exc:
                    problems.append(f"occurred_at: {exc}")
                    continue
            elif index == 7:
                if not (text.isascii() and text.isdigit()) or len(text) >= 19:
                    problems.append(f"component: no component with the id {text!r}")
                    continue
                text = int(text)
            clean[index] = text
        return clean, problems


# --- the staging table -------------------------------------------------------------------------------------------

STAGED = ("line", "problems", "raw", "external_id", "kind", "subject_ref", "jurisdiction", "contact_channel",
          "occurred_at", "system", "component_id")


class _Staging:
    """The temporary table of the rows read, with their line numbers: COPY on PostgreSQL, batches elsewhere."""

    def __init__(self, cursor):
        self.cursor, self.postgres = cursor, connection.vendor == "postgresql"
        moment = "timestamp with time zone" if self.postgres else "datetime"
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (line bigint NOT NULL, problems text, raw text, external_id text, "
            f"kind text, subject_ref text, jurisdiction text, contact_channel text, occurred_at {moment}, "
            f"system text, component_id bigint){' ON COMMIT DROP' if self.postgres else ''}")
        self.batch: list[tuple] = []
        self.copy = None
        if self.postgres:
            # Binary COPY: psycopg dumps the values in C and the server parses no text (a third of text's cost).
            self._copy = cursor.cursor.copy(f"COPY {STAGING} ({', '.join(STAGED)}) FROM STDIN (FORMAT BINARY)")
            self.copy = self._copy.__enter__()
            self.copy.set_types(["int8", "text", "text", "text", "text", "text", "text", "text", "timestamptz",
                                 "text", "int8"])

    def add(self, row: tuple) -> None:
        if self.copy is not None:
            self.copy.write_row(row)
            return
        if row[8] is not None:
            row = (*row[:8], connection.ops.adapt_datetimefield_value(row[8]), *row[9:])
        self.batch.append(row)
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            self.cursor.executemany(
                f"INSERT INTO {STAGING} ({', '.join(STAGED)}) VALUES ({', '.join(['%s'] * len(STAGED))})",  # noqa: S608  # nosec B608  # fixed names
                self.batch)
            self.batch = []

    def close(self, failed=None) -> None:
        if self.copy is not None:
            self.copy = None
            self._copy.__exit__(type(failed) if failed else None, failed, None)
        else:
            self.flush()
        if not failed:
            # The table's statistics, so that the planner joins it by hash and reads it in line order by its key.
            self.cursor.execute(f"ANALYZE {STAGING}")

    def drop(self) -> None:
        self.cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")


def _stage(path: Path, fmt: str, staging: _Staging, progress: Callable | None) -> tuple[int, str]:
    """Read the file into the staging table; (rows read, SHA-256)."""
    total = _line_count(path) - (1 if fmt == "csv" else 0) if progress else None
    checker, rows_read = _Checker(), 0
    with path.open("rb") as handle:
        lines = _Lines(handle, universal_newlines=fmt != "csv")
        for line, values, problem in (_csv_rows if fmt == "csv" else _jsonl_rows)(lines):
            rows_read += 1
            if problem is None:
                clean, problems = checker.check(values)
                problem = "; ".join(problems) if problems else None
            else:
                clean = ["", "", "", "", "", None, None, None]
            raw = json.dumps(values, default=str) if problem else None
            staging.add((line, problem, raw, *clean))
            if progress and rows_read % PROGRESS_EVERY == 0:
                progress(rows_read, max(total, rows_read))
        digest = lines.sha256()
    if progress:
        progress(rows_read, max(total, rows_read))
    return rows_read, digest


def _line_count(path: Path) -> int:
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(READ_BYTES):
            count, last = count + chunk.count(b"\n"), chunk[-1:]
    return count + (last != b"\n")


def _tables():
    quote = connection.ops.quote_name
    return (quote(AffectedRecord._meta.db_table), quote(AISystem._meta.db_table), quote(Component._meta.db_table))


def _bad_rows():
    """The bad rows in line order: (line, reason, values), read through a server-side cursor on PostgreSQL."""
    _ledger, systems, components = _tables()
    unknown_system = "s.system IS NOT NULL AND sys.id IS NULL"
    unknown_component = "s.component_id IS NOT NULL AND com.id IS NULL"
    with connection.chunked_cursor() as cursor:
        yield from _read_bad_rows(cursor, unknown_system, unknown_component, systems, components)


def _read_bad_rows(cursor, unknown_system, unknown_component, systems, components):
    cursor.execute(
        f"SELECT s.line, s.problems, s.raw, {', '.join('s.' + c for c in STAGED[3:])}, "  # noqa: S608  # nosec B608  # fixed names
        f"CASE WHEN {unknown_system} THEN 1 ELSE 0 END, CASE WHEN {unknown_component} THEN 1 ELSE 0 END "
        f"FROM {STAGING} s LEFT JOIN {systems} sys ON sys.slug = s.system "
        f"LEFT JOIN {components} com ON com.id = s.component_id "
        f"WHERE s.problems IS NOT NULL OR ({unknown_system}) OR ({unknown_component}) ORDER BY s.line")
    while rows := cursor.fetchmany(2000):
        for line, problems, raw, *clean, no_system, no_component in rows:
            reasons = [problems] if problems else []
            if no_system:
                reasons.append(f"system: no AI system with the slug {clean[6]!r}")
            if no_component:
                reasons.append(f"component: no component with the id {str(clean[7])!r}")
            if raw is not None:
                values = json.loads(raw)
            else:
                values = dict(zip(COLUMNS, clean, strict=True))
                if isinstance(values["occurred_at"], datetime):
                    values["occurred_at"] = values["occurred_at"].isoformat()
            yield line, "; ".join(reasons), values


def _insert(cursor, *, incident, record, actor, now) -> int:
    ledger, systems, components = _tables()
    columns = ("incident_id", "kind", "external_id", "subject_ref", "jurisdiction", "contact_channel",
               "occurred_at", "system_id", "component_id", "state", "state_changed_at", "state_changed_by_id",
               "note", "import_batch_id", "version")
    cursor.execute(
        f"INSERT INTO {ledger} ({', '.join(columns)}) "  # noqa: S608  # nosec B608  # fixed names
        "SELECT %s, s.kind, s.external_id, s.subject_ref, s.jurisdiction, s.contact_channel, s.occurred_at, "
        "sys.id, s.component_id, %s, %s, %s, '', %s, 1 "
        f"FROM {STAGING} s LEFT JOIN {systems} sys ON sys.slug = s.system "
        "WHERE s.problems IS NULL AND (s.system IS NULL OR sys.id IS NOT NULL) AND (s.component_id IS NULL OR "
        f"EXISTS (SELECT 1 FROM {components} com WHERE com.id = s.component_id)) "
        "ORDER BY s.line ON CONFLICT (incident_id, external_id) DO NOTHING",
        [incident.pk, State.IDENTIFIED, connection.ops.adapt_datetimefield_value(now), actor.pk, record.pk])
    return cursor.rowcount


# --- the rejects file ---------------------------------------------------------------------------------------------

class _Rejects:
    """The rejects CSV, opened at the first bad row: the line, the reason and the values as read, each cell
    formula-safe (the rejects echo the input: a spreadsheet shows them as text, never evaluates them)."""

    def __init__(self, path: Path):
        self.path, self.handle, self.writer = path, None, None

    def write(self, line, reason, values) -> None:
        if self.writer is None:
            try:
                self.handle = self.path.open("w", newline="", encoding="utf-8")
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
    rejects = _Rejects(Path(path))
    try:
        for error in errors:
            rejects.write(error.line, error.reason, error.values)
    finally:
        rejects.close()


# --- the import ---------------------------------------------------------------------------------------------------

def affected_records_import(*, actor, incident: Incident, path, fmt: str | None = None, skip_invalid: bool = False,
                            rejects_path=None, file_name: str | None = None,
                            progress: Callable | None = None) -> ImportResult:
    """Import the affected records of `incident` from the file at `path` (see the module's docstring).

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
    rejects = _Rejects(Path(rejects_path) if rejects_path else path.with_name(f"{path.stem}.rejects.csv"))
    result = ImportResult()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            staging = _Staging(cursor)
            try:
                result.rows_read, result.sha256 = _stage(path, fmt, staging, progress)
            except BaseException as exc:
                staging.close(failed=exc)
                raise
            staging.close()
            for line, reason, values in _bad_rows():
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
    created = _insert(cursor, incident=incident, record=record, actor=actor, now=now)
    record.created, record.duplicates_skipped = created, good - created
    AffectedRecordImport.objects.filter(pk=record.pk).update(created=created, duplicates_skipped=good - created)
    history_of_created(record, actor=actor)
    record_event(incident, TimelineEvent.Kind.UPDATED, actor=actor,
                 summary=(f"Affected records imported from {record.file_name}: {record.created} added, "
                          f"{record.duplicates_skipped} duplicates skipped, {record.invalid_rows} invalid rows "
                          "skipped"),
                 payload={"affected_record_import": record.pk, "sha256": record.sha256, "created": record.created,
                          "duplicates_skipped": record.duplicates_skipped, "invalid_rows": record.invalid_rows})
    result.record, result.created, result.duplicates_skipped = record, record.created, record.duplicates_skipped
