"""The chain status shown on the audit pages and printed in the audit bundle, from `portal.core.auditchain`.

* `page_chain_statuses({history_model: rows})`, on the pages: for every table at once, its last verified point
  (recorded by the scheduled or a manual verification run), the links of the rows after it compared up to the
  recorded head, and the rows shown rehashed; three queries whatever the number and size of the tables
  (`auditchain.tables_status`). Rows before the point that the page does not show were verified by the run that
  recorded the point; a change to one of them is found by the next run;
* `rows_chain_status(history_model, rows)`: the rows shown rehashed, and the links of the whole table compared in
  the database (a window over the table);
* `model_chain_status(history_model)`, in the bundle: the whole table's chain recomputed (`verify_chain`), as
  `verify_audit_trail` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from portal.core import auditchain

VERIFIED, BROKEN, PENDING = "verified", "broken", "pending"


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
    point: Any = None  # the table's last verified point (core.ChainVerification) a page built on
    since: int | None = None  # rows after the point whose links a page compared (None: not built on points)
    pending: int = 0  # rows after the point left to the next run (more than a page compares)
    found_by: Any = None  # the verification run that recorded the break, when a run found it

    @property
    def title(self) -> str:
        """The history table as a reader names it: "Incident history", "Incident: MITRE ATLAS techniques"."""
        return chain_title(self.model_label)

    @property
    def state(self) -> str:
        if not self.ok:
            return BROKEN
        return PENDING if self.pending else VERIFIED

    @property
    def break_id(self) -> int | None:
        return self.first_break.history_id if self.first_break else None

    @property
    def text(self) -> str:
        if not self.ok:
            found = ""
            if self.found_by is not None:
                found = f", found by the {_run(self.found_by)} at {_when(self.found_by.verified_at)}"
            return f"BROKEN: first break at {break_text(self.first_break)}{found}"
        head = f", head row #{self.head_id}" if self.head_id is not None else ""
        if self.rehashed is None:
            return f"verified: {_rows(self.rows)}{head}"
        if not self.rehashed:
            shown = "no row shown here"
        elif self.rehashed == 1:
            shown = "the 1 row shown recomputed from its values and matching its hash"
        else:
            shown = f"the {self.rehashed} rows shown recomputed from their values and matching their hashes"
        if self.point is None or self.point.last_history_id is None:
            if self.pending:
                return (f"not yet verified by a run: links of the first {_rows(self.since or 0)} checked now, "
                        f"{_rows(self.pending)} more await the next run; {shown}")
            return f"verified: {shown}; links of all {_rows(self.rows)} intact{head}"
        since = f"{_rows(self.since or 0)} since checked now"
        if self.pending:
            since += f", {_rows(self.pending)} more await the next run"
        return (f"verified up to row #{self.point.last_history_id} ({_rows(self.point.rows)}) at "
                f"{_when(self.point.verified_at)} by the {_run(self.point)}; {since}; {shown}{head}")

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


def _when(moment) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _run(verification) -> str:
    who = {"schedule": "schedule", "command": "verify_audit_trail command"}.get(verification.by, verification.by
                                                                                 or "verification")
    return f"{who} ({verification.mode} run)"


def page_chain_statuses(shown: dict) -> dict:
    """{history model label: ChainStatus} for the tables of a page; `shown`: {history model: the rows shown}."""
    statuses = auditchain.tables_status({model: list(rows) for model, rows in shown.items()})
    return {label: ChainStatus(
        model_label=label, ok=s.ok, rows=s.rows, head_id=s.head_id, head_hash=s.head_hash, first_break=s.first_break,
        rehashed=s.rehashed, point=s.point, since=s.since, pending=s.pending, found_by=s.found_by_run)
        for label, s in statuses.items()}


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


def chain_title(label: str) -> str:
    """A history table's label (`incidents.HistoricalIncident`, `incidents.HistoricalIncident_systems`) in words:
    "Incident history", "Incident: systems"; the label itself when it names no model of the portal."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    from reporting.wording import label_words

    app_label, _, name = label.partition(".")
    base, _, field_name = name.removeprefix("Historical").partition("_")
    try:
        model = apps.get_model(app_label, base)
    except LookupError:
        return label
    record = label_words(model._meta.verbose_name)
    if not field_name:
        return f"{record} history"
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return label
    name = str(field.verbose_name)
    return f"{record}: {name if any(c.isupper() for c in name) else name.lower()}"


def overall(statuses: Iterable[ChainStatus]) -> tuple[str, str]:
    """One state and one line for several chains: broken if any is broken, pending if rows of any are left to the
    next verification run."""
    statuses = list(statuses)
    broken = [s for s in statuses if not s.ok]
    if broken:
        names = ", ".join(s.title for s in broken)
        return BROKEN, f"BROKEN: {len(broken)} of {len(statuses)} chains fail verification ({names})"
    pending = [s for s in statuses if s.pending]
    if pending:
        names = ", ".join(s.title for s in pending)
        return PENDING, (f"no break found; {len(pending)} of {len(statuses)} chains have more rows since their last "
                         f"verified point than a page checks, left to the next verification run ({names})")
    rows = sum(s.rows for s in statuses)
    return VERIFIED, f"verified: all {len(statuses)} chains intact ({rows} rows in these history tables)"
