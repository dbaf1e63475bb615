"""Importing affected records from a CSV or JSON Lines file (ADR 0013).

Every row is validated before anything is written; a bad row is reported with its line number, the column and
the reason. Nothing is written while any row is bad, unless `skip_invalid`: then the good rows are written and the
bad ones go to a rejects CSV. Rows repeating an external id (within the file, or already on the incident) are
skipped and counted. The rows are inserted in batches without per-row history: the import record, with the file's
SHA-256 and the counts, gets one history row and the incident one timeline event. Later changes of a row leave
per-row history (`affected_record_move`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
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
BATCH = 5000
JURISDICTION = re.compile(r"^[A-Z]{2}$")


@dataclass
class RowError:
    line: int
    reason: str
    values: dict = field(default_factory=dict)

    def __str__(self):
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    record: AffectedRecordImport | None = None
    rows_read: int = 0
    created: int = 0
    duplicates_skipped: int = 0
    rejects_path: Path | None = None

    @property
    def written(self) -> bool:
        return self.record is not None


class FileError(ValueError):
    """The file as a whole cannot be read (not UTF-8, no header, unknown format): one line says why."""


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("csv", "jsonl"):
            raise FileError(f"Unknown format {fmt!r}: use csv or jsonl.")
        return fmt
    found = FORMATS.get(path.suffix.lower())
    if not found:
        raise FileError(f"Cannot tell the format of {path.name} from its extension (.csv, .jsonl or .ndjson): "
                        "give --format csv or --format jsonl.")
    return found


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError(f"The file is not UTF-8 text ({exc.reason} at byte {exc.start}).") from None


def parse_rows(data: bytes, fmt: str) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """The file's rows as (line number, {column: raw value}), and the rows that could not even be read."""
    text = _text(data)
    rows, errors = [], []
    if fmt == "csv":
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except StopIteration:
            raise FileError("The file is empty: the first line must name the columns.") from None
        except csv.Error as exc:
            raise FileError(f"line 1: the header cannot be read ({exc}).") from None
        header = [name.strip() for name in header]
        if unknown := [name for name in header if name not in COLUMNS]:
            raise FileError(f"line 1: unknown column(s) {', '.join(map(repr, unknown))}; the columns are "
                            f"{', '.join(COLUMNS)}.")
        if missing := [name for name in REQUIRED if name not in header]:
            raise FileError(f"line 1: the header lacks the column(s) {', '.join(missing)}.")
        while True:
            line = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                errors.append(RowError(line, f"the row cannot be read as CSV ({exc})"))
                break
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                errors.append(RowError(line, f"{len(values)} values for {len(header)} columns",
                                       dict(zip(header, values, strict=False))))
                continue
            rows.append((line, dict(zip(header, values, strict=True))))
    else:
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                value = inputs.json_loads(raw, allow_nul=True)
            except inputs.JSONInputError as exc:
                errors.append(RowError(number, str(exc), {"line": raw}))
                continue
            if not isinstance(value, dict):
                errors.append(RowError(number, "each line must be a JSON object", {"line": raw}))
                continue
            if unknown := [key for key in value if key not in COLUMNS]:
                errors.append(RowError(number, f"unknown column(s) {', '.join(map(repr, unknown))}", value))
                continue
            rows.append((number, value))
    return rows, errors


def _as_text(value):
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be text")
    return str(value).strip()


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date and time (e.g. 2026-03-01T09:30:00+01:00)") from None
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (add Z or an offset such as +01:00)")
    if problem := inputs.moment_out_of_range(value):
        raise ValueError(problem)
    return value.astimezone(UTC)


def _clean(values: dict, systems: dict, components: dict) -> tuple[dict, list[str]]:
    """The row's field values, or the reasons (one per column) it is refused."""
    problems, clean = [], {}
    for column in COLUMNS:
        try:
            text = _as_text(values.get(column))
        except ValueError as exc:
            problems.append(f"{column}: {exc}")
            continue
        if inputs.NUL in text:
            problems.append(f"{column}: {inputs.NUL_MESSAGE}")
            continue
        if not text:
            if column in REQUIRED:
                problems.append(f"{column}: required")
            continue
        if column in MAX_LENGTH and len(text) > MAX_LENGTH[column]:
            problems.append(f"{column}: at most {MAX_LENGTH[column]} characters ({len(text)} given)")
        elif column == "kind" and text not in Kind.values:
            problems.append(f"kind: {text!r} is not one of {', '.join(Kind.values)}")
        elif column == "contact_channel" and text not in ContactChannel.values:
            problems.append(f"contact_channel: {text!r} is not one of {', '.join(ContactChannel.values)}")
        elif column == "jurisdiction" and not JURISDICTION.match(text.upper()):
            problems.append(f"jurisdiction: {text!r} is not a two-letter country code{inputs.iso_3166_hint(text)}")
        elif column == "jurisdiction" and inputs.iso_3166_hint(text.upper()):
            problems.append(f"jurisdiction: {text!r}{inputs.iso_3166_hint(text.upper())}")
        elif column == "occurred_at":
            try:
                clean["occurred_at"] = _moment(text)
            except ValueError as exc:
                problems.append(f"occurred_at: {exc}")
        elif column == "system":
            if text not in systems:
                problems.append(f"system: no AI system with the slug {text!r}")
            else:
                clean["system_id"] = systems[text]
        elif column == "component":
            if not text.isdigit() or int(text) not in components:
                problems.append(f"component: no component with the id {text!r}")
            else:
                clean["component_id"] = int(text)
        else:
            clean[column] = text.upper() if column == "jurisdiction" else text
    return clean, problems


def _lookups(rows) -> tuple[dict, dict]:
    slugs = {str(v["system"]).strip() for _, v in rows if isinstance(v.get("system"), str) and v["system"].strip()}
    ids = {int(v["component"]) for _, v in rows
           if str(v.get("component") or "").strip().isdigit() and len(str(v["component"]).strip()) < 19}
    systems = dict(AISystem.objects.filter(slug__in=slugs).values_list("slug", "pk")) if slugs else {}
    components = set(Component.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    return systems, dict.fromkeys(components)


def _existing(incident, external_ids) -> set[str]:
    found, ids = set(), list(external_ids)
    for start in range(0, len(ids), BATCH):
        found.update(AffectedRecord.objects.filter(incident=incident, external_id__in=ids[start:start + BATCH])
                     .values_list("external_id", flat=True))
    return found


def write_rejects(path: Path, errors: list[RowError]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "reason", *COLUMNS])
        for error in errors:
            values = error.values if isinstance(error.values, dict) else {}
            cells = ["" if values.get(c) is None else str(values.get(c)) for c in COLUMNS]
            if "line" in values and not any(cells):
                cells[0] = str(values["line"])
            # The rejects echo the input: cells a spreadsheet shows as text, never evaluates.
            writer.writerow([cell(str(c).replace(inputs.NUL, "\\u0000"))
                             for c in (error.line, error.reason, *cells)])


def affected_records_import(*, actor, incident: Incident, path, fmt: str | None = None, skip_invalid: bool = False,
                            rejects_path=None) -> ImportResult:
    """Import the affected records of `incident` from the file at `path` (see the module's docstring). Raises
    `FileError` for a file that cannot be read at all; returns the rows' errors when nothing was written."""
    require_worker(actor, "import affected records")
    path = Path(path)
    fmt = detect_format(path, fmt)
    data = path.read_bytes()
    rows, errors = parse_rows(data, fmt)
    rows_read = len(rows) + len(errors)  # the rows that could not be read into columns count as read
    systems, components = _lookups(rows)
    good = []
    for line, values in rows:
        clean, problems = _clean(values, systems, components)
        if problems:
            errors.append(RowError(line, "; ".join(problems), values))
        else:
            good.append((line, clean))
    errors.sort(key=lambda e: e.line)
    result = ImportResult(errors=errors, rows_read=rows_read)
    if errors and not skip_invalid:
        return result
    if errors:
        result.rejects_path = Path(rejects_path) if rejects_path else path.with_name(f"{path.stem}.rejects.csv")
        try:
            write_rejects(result.rejects_path, errors)
        except OSError as exc:
            raise FileError(f"Cannot write the rejects file {result.rejects_path}: {exc.strerror or exc}") from None
    _write(result, actor=actor, incident=incident, path=path, fmt=fmt, data=data, good=good)
    return result


@transaction.atomic
def _write(result: ImportResult, *, actor, incident, path, fmt, data, good) -> None:
    if inputs.NUL in path.name:
        raise ValidationError("The file name contains a NUL character.")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)  # imports of one incident run one by one
    seen, fresh = set(), []
    for _line, clean in good:
        if clean["external_id"] in seen:
            continue
        seen.add(clean["external_id"])
        fresh.append(clean)
    existing = _existing(incident, seen)
    fresh = [clean for clean in fresh if clean["external_id"] not in existing]
    now = timezone.now()
    record = AffectedRecordImport(
        incident=incident, started_by=actor, file_name=path.name[:255], sha256=hashlib.sha256(data).hexdigest(),
        format=fmt, rows_read=result.rows_read, created=len(fresh), duplicates_skipped=len(good) - len(fresh),
        invalid_rows=len(result.errors), created_at=now)
    record.save_without_historical_record()
    for start in range(0, len(fresh), BATCH):
        AffectedRecord.objects.bulk_create(
            [AffectedRecord(incident=incident, import_batch=record, state=State.IDENTIFIED, state_changed_at=now,
                            state_changed_by=actor, **clean) for clean in fresh[start:start + BATCH]],
            ignore_conflicts=True)
    created = AffectedRecord.objects.filter(import_batch=record).count()
    if created != record.created:  # cannot happen while the incident is locked; the count stays true regardless
        AffectedRecordImport.objects.filter(pk=record.pk).update(
            created=created, duplicates_skipped=len(good) - created)
        record.created, record.duplicates_skipped = created, len(good) - created
    history_of_created(record, actor=actor)
    record_event(incident, TimelineEvent.Kind.UPDATED, actor=actor,
                 summary=(f"Affected records imported from {record.file_name}: {record.created} added, "
                          f"{record.duplicates_skipped} duplicates skipped, {record.invalid_rows} invalid rows "
                          "skipped"),
                 payload={"affected_record_import": record.pk, "sha256": record.sha256, "created": record.created,
                          "duplicates_skipped": record.duplicates_skipped, "invalid_rows": record.invalid_rows})
    result.record, result.created, result.duplicates_skipped = record, record.created, record.duplicates_skipped
