"""The chain status shown on the audit pages and printed in the audit bundle, from `portal.core.auditchain`.

* `rows_chain_status(history_model, rows)`, on the pages: the rows shown rehashed, and the links of the whole table
  compared in the database up to its recorded head; a few queries and no table-sized hashing, whatever the size;
* `model_chain_status(history_model)`, in the bundle: the whole table's chain recomputed (`verify_chain`), as
  `verify_audit_trail` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portal.core import auditchain

VERIFIED, BROKEN = "verified", "broken"


def break_text(first_break: auditchain.ChainBreak | None) -> str:
    if first_break is None:
        return ""
    row = f"history row #{first_break.history_id}" if first_break.history_id is not None else "the chain head"
    return f"{row} ({first_break.reason})" if first_break.reason else row


@dataclass(frozen=True)
class ChainStatus:
    """The verification of one history table's chain."""

    model_label: str
    ok: bool
    rows: int
    head_id: int | None
    head_hash: str
    first_break: auditchain.ChainBreak | None = None
    rehashed: int | None = None  # rows whose content was recomputed; None: every row of the table

    @property
    def state(self) -> str:
        return VERIFIED if self.ok else BROKEN

    @property
    def break_id(self) -> int | None:
        return self.first_break.history_id if self.first_break else None

    @property
    def text(self) -> str:
        if not self.ok:
            return f"BROKEN: first break at {break_text(self.first_break)}"
        head = f", head row #{self.head_id}" if self.head_id is not None else ""
        if self.rehashed is None:
            return f"verified: {_rows(self.rows)}{head}"
        shown = f"{_rows(self.rehashed)} shown rehashed" if self.rehashed else "no rows shown"
        return f"verified: {shown}; links of all {_rows(self.rows)} intact{head}"

    def as_json(self) -> dict:
        return {
            "model": self.model_label, "state": self.state, "ok": self.ok, "rows": self.rows,
            "head_id": self.head_id, "head_hash": self.head_hash or None,
            "first_break": break_text(self.first_break) or None, "first_break_id": self.break_id,
            "result": self.text,
        }


@dataclass(frozen=True)
class RecordChainStatus:
    """The chain status of the history rows of one record."""

    ok: bool
    first_break: auditchain.ChainBreak | None = None

    @property
    def state(self) -> str:
        return VERIFIED if self.ok else BROKEN

    @property
    def text(self) -> str:
        if self.ok:
            return "verified: the history rows of this record are intact"
        return f"BROKEN: first break at {break_text(self.first_break)}"


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def model_chain_status(history_model) -> ChainStatus:
    report = auditchain.verify_chain(history_model)
    return ChainStatus(model_label=report.model, ok=report.ok, rows=report.rows, head_id=report.head_id,
                       head_hash=report.head_hash, first_break=report.first_break)


def rows_chain_status(history_model, rows) -> ChainStatus:
    rows = list(rows)
    report = auditchain.rows_status(history_model, rows)
    return ChainStatus(model_label=report.model, ok=report.ok, rows=report.rows, head_id=report.head_id,
                       head_hash=report.head_hash, first_break=report.first_break, rehashed=len(rows))


def record_chain_status(history_model, rows) -> RecordChainStatus:
    """The record's own history `rows` rehashed, and the links of their whole table."""
    report = auditchain.rows_status(history_model, rows)
    return RecordChainStatus(ok=report.ok, first_break=report.first_break)


def overall(statuses: Iterable[ChainStatus]) -> tuple[str, str]:
    """One state and one line for several chains: broken if any is broken."""
    statuses = list(statuses)
    broken = [s for s in statuses if not s.ok]
    if broken:
        names = ", ".join(s.model_label for s in broken)
        return BROKEN, f"BROKEN: {len(broken)} of {len(statuses)} chains fail verification ({names})"
    rows = sum(s.rows for s in statuses)
    return VERIFIED, f"verified: all {len(statuses)} chains intact ({rows} rows in these history tables)"
