"""The staging table of an import: every row read, good or bad, with its line number, in a temporary table (binary
COPY on PostgreSQL, batches of inserts elsewhere); then set-based SQL: the bad rows in line order (unknown systems
and components found by joins) and the one INSERT ... SELECT that writes the good rows (ADR 0013)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from django.db import connection

from inventory.models import AISystem, Component
from remediation.models import AffectedRecord
from remediation.services.imports.rows import COLUMNS, READ_BYTES, Checker, Lines, csv_rows, jsonl_rows
from remediation.states import State

BATCH = 5000  # rows per insert into the staging table where there is no COPY (SQLite)
PROGRESS_EVERY = 10_000  # rows
STAGING = "remediation_import_staging"

STAGED = ("line", "problems", "raw", "external_id", "kind", "subject_ref", "jurisdiction", "contact_channel",
          "occurred_at", "system", "component_id")


class Staging:
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


def stage(path: Path, fmt: str, staging: Staging, progress: Callable | None) -> tuple[int, str]:
    """Read the file into the staging table; (rows read, SHA-256)."""
    total = _line_count(path) - (1 if fmt == "csv" else 0) if progress else None
    checker, rows_read = Checker(), 0
    with path.open("rb") as handle:
        lines = Lines(handle, universal_newlines=fmt != "csv")
        for line, values, problem in (csv_rows if fmt == "csv" else jsonl_rows)(lines):
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


def bad_rows():
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


def insert(cursor, *, incident, record, actor, now) -> int:
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
