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

The package: `rows` (reading and checking), `staging` (the temporary table and the SQL), `service` (the import).
"""

from remediation.services.imports.rows import (
    COLUMNS,
    FORMATS,
    REQUIRED,
    FileError,
    RowError,
    detect_format,
    parse_rows,
)
from remediation.services.imports.service import ImportResult, affected_records_import, write_rejects

__all__ = ["COLUMNS", "FORMATS", "REQUIRED", "FileError", "ImportResult", "RowError", "affected_records_import",
           "detect_format", "parse_rows", "write_rejects"]
