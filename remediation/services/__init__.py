"""Writes to the remediation ledger: moving a record through its states, importing records from a file."""

from remediation.services.bulk import affected_records_bulk_change
from remediation.services.imports import ImportResult, RowError, affected_records_import, parse_rows
from remediation.services.moves import affected_record_move
from remediation.services.records import affected_record_create

__all__ = ["ImportResult", "RowError", "affected_record_create", "affected_record_move", "affected_records_bulk_change",
           "affected_records_import", "parse_rows"]
