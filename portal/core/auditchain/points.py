# ruff: noqa: S608  (raw SQL over the models' own quoted table and column names; every value is a parameter)
"""Verified points: where each chain was last verified, incremental verification from there, and the chain status
of the audit pages built on them (ADR 0006).

A verification run (`verify_audit_trail`, full or `--incremental`, and the schedule) records for each table it
verifies a `core.ChainVerification` row: the verified point (last history id, its hash, the rows up to it, when,
by what) or, when it found a break, the break (and the point does not move). The rows are append-only.

* `verify_increment` verifies one table from its newest verified point to its head: the point's row must still
  have the point's hash and be the point's row number (a count of the rows up to it), the rows after it are
  recomputed and linked to it, the recorded head and the heads recorded since are compared. A re-seal by a
  migration since the point, or no point at all, makes it a full run.
* `verify_tables` runs either over many tables, one process per table on several cores, and records the results.
* `tables_status` gives the audit pages the status of the tables they show in one consistent query, whatever the
  table sizes: the newest verified point and verification of each table, its recorded head, and the links of the
  rows after the point (at most `TAIL_LIMIT`); the rows the page shows are rehashed. Content changes to rows before
  the point that the page does not show are found by the next run, not by the page.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from dataclasses import dataclass, replace
from typing import Any

from django.db import connections, router
from django.utils import timezone

from portal.core.auditchain.append import head_model, latest_head, newest_per_label
from portal.core.auditchain.canonical import GENESIS, chained_models, history_model_of, object_attname, row_hash
from portal.core.auditchain.verify import (
    AFTER_HEAD,
    HEAD_MISSING,
    HEAD_ROWS,
    MODIFIED,
    NO_HEAD,
    NOT_CHAINED,
    POINT_CHANGED,
    POINT_GONE,
    POINT_ROWS,
    PREV_MISMATCH,
    ChainBreak,
    ChainReport,
    _Walker,
    consistent_read,
    point_model,
    resealed_at,
    stale_head,
    verify_chain,
    walk_rows,
)

logger = logging.getLogger(__name__)

FULL, INCREMENTAL = "full", "incremental"
# The rows after a verified point whose links a page compares; past it the page says the rest awaits the next run.
TAIL_LIMIT = 5000


# --- reading points -----------------------------------------------------------------------------------------------

def latest_point(model, using=None):
    """The newest verified point of `model`'s chain (a `ChainVerification` that verified), or None."""
    model = history_model_of(model)
    using = using or router.db_for_read(model)
    return point_model().objects.using(using).filter(label=model._meta.label, ok=True).order_by("-id").first()


def latest_verifications(labels=None, using=None) -> dict[str, Any]:
    """{label: the newest ChainVerification (verified or broken)} of the chained tables, in two queries (one
    index probe per table, then the rows), for the audit index page."""
    labels = labels or [m._meta.label for m in chained_models()]
    model = point_model()
    using = using or router.db_for_read(model)
    ids = [row[0] for row in newest_per_label(connections[using], model, labels, ["id"])]
    return {v.label: v for v in model.objects.using(using).filter(id__in=ids)}


# --- incremental verification -------------------------------------------------------------------------------------

def verify_increment(model) -> ChainReport:
    """Verify `model`'s chain from its newest verified point to its head (see the module docstring); a full run
    when the table has no point or was re-sealed since."""
    model = history_model_of(model)
    using = router.db_for_read(model)
    pk = model._meta.pk.attname
    point = latest_point(model, using)
    if point is None or point.last_history_id is None:
        return verify_chain(model)
    with consistent_read(using):
        resealed = resealed_at(model, using)
        if resealed is not None and resealed >= point.verified_at:
            point = None
        else:
            head = latest_head(model, using)
            manager = model._default_manager.using(using)
            at_point = manager.filter(**{pk: point.last_history_id}).values_list("chain_hash", flat=True).first()
            first_break = None
            if at_point is None:
                first_break = ChainBreak(point.last_history_id, None, POINT_GONE)
            elif at_point != point.last_hash:
                first_break = ChainBreak(point.last_history_id, None, POINT_CHANGED)
            elif manager.filter(**{f"{pk}__lte": point.last_history_id}).count() != point.rows:
                first_break = ChainBreak(point.last_history_id, None, POINT_ROWS)
            walker = _Walker(head, prev=point.last_hash, rows=point.rows, last_id=point.last_history_id)
            checked = 0
            if first_break is None:
                checked = walk_rows(model, using, walker, after=point.last_history_id)
                first_break = walker.finish() or stale_head(model, using, after_head_row=point.head_id)
    if point is None:
        return verify_chain(model)
    return ChainReport(model=model._meta.label, ok=first_break is None, rows=walker.rows, head_id=walker.last_id,
                       head_hash=walker.last_hash, first_break=first_break, resealed_at=resealed, checked=checked,
                       since_id=point.last_history_id, incremental=True,
                       chain_head_row=head.pk if head is not None else None)


def record(report: ChainReport, *, by: str, using=None):
    """Record `report` as a ChainVerification: a new verified point when the chain verified and the point moved
    (or the table had none), the break when it did not. Returns the row written, or None."""
    model = point_model()
    using = using or router.db_for_write(model)
    previous = model.objects.using(using).filter(label=report.model, ok=True).order_by("-id").first()
    mode = INCREMENTAL if report.incremental else FULL
    if report.ok:
        if previous is not None and (previous.last_history_id, previous.last_hash, previous.rows) == (
                report.head_id, report.head_hash, report.rows):
            return None  # nothing appended since: the point stands
        return model.objects.using(using).create(
            label=report.model, mode=mode, by=by, ok=True, from_history_id=report.since_id,
            last_history_id=report.head_id, last_hash=report.head_hash if report.head_id is not None else "",
            rows=report.rows, checked_rows=report.checked or 0, head_id=report.chain_head_row,
            verified_at=timezone.now())
    b = report.first_break
    return model.objects.using(using).create(
        label=report.model, mode=mode, by=by, ok=False, from_history_id=report.since_id,
        last_history_id=previous.last_history_id if previous else None,
        last_hash=previous.last_hash if previous else "", rows=previous.rows if previous else 0,
        checked_rows=report.checked or 0, head_id=report.chain_head_row, break_history_id=b.history_id,
        break_reason=b.reason[:300], verified_at=timezone.now())


def _verify_one(label: str, incremental: bool) -> ChainReport:
    model = history_model_of(label)
    return verify_increment(model) if incremental else verify_chain(model)


def default_jobs(using="default") -> int:
    """Processes for a run: one per core, or 1 inside a transaction (the children could not see its rows) or on a
    SQLite database held in memory."""
    connection = connections[using]
    if connection.in_atomic_block:
        return 1
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def verify_tables(models=None, *, incremental=False, jobs=1, by="command", keep=True) -> list[ChainReport]:
    """Verify `models` (default: every chained table), full or incremental, in `jobs` processes (one table each
    at a time, the largest first), and record each result (`keep`). Reports ordered by label."""
    models = [history_model_of(m) for m in (models or chained_models())]
    labels = [m._meta.label for m in models]
    jobs = max(1, min(jobs, len(labels)))
    if any(connections[router.db_for_read(m)].in_atomic_block for m in models):
        jobs = 1  # other processes would not see this transaction's rows
    if jobs > 1:
        sizes = {label: getattr(latest_head(label, router.db_for_read(history_model_of(label))), "rows", 0)
                 for label in labels}
        ordered = sorted(labels, key=lambda label: -sizes[label])
        connections.close_all()  # each forked process opens its own connection
        context = multiprocessing.get_context("fork")
        with context.Pool(jobs) as pool:
            reports = pool.starmap(_verify_one, [(label, incremental) for label in ordered], chunksize=1)
    else:
        reports = [_verify_one(label, incremental) for label in labels]
    reports = sorted(reports, key=lambda r: r.model)
    if keep:
        for report in reports:
            record(report, by=by)
            if not report.ok:
                logger.error("History chain %s broken at history id %s: %s (found by the %s %s verification)",
                             report.model, report.first_break.history_id, report.first_break.reason, by,
                             INCREMENTAL if report.incremental else FULL)
    return reports


# --- the audit pages ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableStatus:
    """The chain status of one history table for a page: the newest verified point, what the page checked after
    it, and the first break found (by the page now, or recorded by the newest run)."""

    model: str
    ok: bool
    rows: int  # rows in the table (the point's rows plus the rows after it)
    head_id: int | None
    head_hash: str
    first_break: ChainBreak | None
    point: Any = None  # the newest verified point (ChainVerification), or None
    since: int = 0  # rows after the point whose links the page compared
    pending: int = 0  # rows after the point beyond TAIL_LIMIT: left to the next run
    rehashed: int = 0  # rows the page showed, rehashed
    found_by_run: Any = None  # the ChainVerification that recorded the break, when a run found it


def _tail_sql(connection, models, limit) -> tuple[str, list]:
    """One statement: for each table, its newest verified point's id and newest verification's id, its newest head
    row's id, and its rows from the point's row on (at most limit + 2): a single snapshot on every database."""
    quote = connection.ops.quote_name
    points = quote(point_model()._meta.db_table)
    heads = quote(head_model()._meta.db_table)
    parts, params = [], []
    label_sql, nothing = "CAST(%s AS VARCHAR(200)) AS label", "CAST(NULL AS VARCHAR(64))"

    def newest(kind, table, where, args):
        parts.append(f"SELECT * FROM (SELECT '{kind}' AS k, {label_sql}, id AS n, {nothing} AS a, {nothing} AS b "  # nosec B608  # quoted names of the models, values bound
                     f"FROM {table} WHERE label = %s{where} ORDER BY id DESC LIMIT 1) AS {kind}{len(parts)}")
        params.extend(args)

    for model in models:
        label = model._meta.label
        pk = quote(model._meta.pk.column)
        newest("p", points, " AND ok = %s", [label, label, True])
        newest("v", points, "", [label, label])
        newest("h", heads, "", [label, label])
        start = (f"COALESCE((SELECT last_history_id FROM {points} WHERE label = %s AND ok = %s "  # nosec B608  # quoted names of the models, values bound
                 "ORDER BY id DESC LIMIT 1), 0)")
        parts.append(f"SELECT * FROM (SELECT 'r' AS k, {label_sql}, {pk} AS n, chain_prev AS a, chain_hash AS b "  # nosec B608  # quoted names of the models, values bound
                     f"FROM {quote(model._meta.db_table)} WHERE {pk} >= {start} ORDER BY {pk} LIMIT %s) "
                     f"AS r{len(parts)}")
        params.extend([label, label, True, limit + 2])
    return " UNION ALL ".join(parts), params


def tables_status(shown: dict, *, using=None, limit=None) -> dict[str, TableStatus]:
    """The chain status of each history model in `shown` ({history model: the rows of it the page shows, loaded})
    in three queries whatever the number of tables and rows: one statement reading the points, heads and the rows
    after each point, then the point and head rows it named. See the module docstring."""
    limit = TAIL_LIMIT if limit is None else limit
    models = [history_model_of(m) for m in shown]
    if not models:
        return {}
    using = using or router.db_for_read(models[0])
    connection = connections[using]
    sql, params = _tail_sql(connection, models, limit)
    newest, tails = {}, {m._meta.label: [] for m in models}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, label, number, prev, hash_ in cursor.fetchall():
            if kind == "r":
                tails[label].append((number, prev, hash_))
            else:
                newest[(kind, label)] = number
    records = {v.pk: v for v in point_model().objects.using(using).filter(
        pk__in={n for (k, _l), n in newest.items() if k in "pv"})}
    heads = {h.pk: h for h in head_model().objects.using(using).filter(
        pk__in={n for (k, _l), n in newest.items() if k == "h"})}
    result = {}
    for model in models:
        label = model._meta.label
        point = records.get(newest.get(("p", label)))
        latest = records.get(newest.get(("v", label)))
        head = heads.get(newest.get(("h", label)))
        status = _table_status(model, point, head, tails[label], limit)
        status = _rehash(model, status, shown[model] if model in shown else shown.get(label, ()))
        if latest is not None and not latest.ok and status.first_break is None:
            status = replace(status, ok=False, found_by_run=latest, first_break=ChainBreak(
                latest.break_history_id, None, latest.break_reason))
        result[label] = status
    return result


def _table_status(model, point, head, tail, limit) -> TableStatus:
    label = model._meta.label
    base_rows, prev = 0, GENESIS
    if point is not None and point.last_history_id is not None:
        base_rows, prev = point.rows, point.last_hash
        if not tail or tail[0][0] != point.last_history_id:
            return _broken(label, point, ChainBreak(point.last_history_id, None, POINT_GONE), base_rows)
        if tail[0][2] != point.last_hash:
            return _broken(label, point, ChainBreak(point.last_history_id, None, POINT_CHANGED), base_rows)
        tail = tail[1:]
    elif point is not None:
        point = point if point.rows == 0 else None
    checked = tail[:limit]
    pending = 0
    if len(tail) > limit:  # more rows after the point than a page compares: the head says how many
        pending = max(1, head.rows - base_rows - limit) if head is not None else 1
    rows = base_rows + len(checked)
    first_break, last_id, last_hash = None, (point.last_history_id if point else None), prev
    for number, link, hash_ in checked:
        if first_break is None:
            if head is None or head.last_history_id is None:
                first_break = ChainBreak(number, None, NO_HEAD)
            elif number > head.last_history_id:
                first_break = ChainBreak(number, None, AFTER_HEAD)
            elif link != prev:
                first_break = ChainBreak(number, None, PREV_MISMATCH)
        prev, last_id, last_hash = hash_, number, hash_
    if first_break is None and head is not None and head.last_history_id is not None and not pending:
        if head.last_history_id != last_id or head.last_hash != last_hash:
            first_break = ChainBreak(head.last_history_id, None, HEAD_MISSING)
        elif head.rows != rows:
            first_break = ChainBreak(head.last_history_id, None, HEAD_ROWS)
    if pending:
        rows = head.rows if head is not None else rows
        last_id = head.last_history_id if head is not None else last_id
        last_hash = head.last_hash if head is not None else last_hash
    return TableStatus(model=label, ok=first_break is None, rows=rows, head_id=last_id, head_hash=last_hash or "",
                       first_break=first_break, point=point, since=len(checked), pending=pending)


def _broken(label, point, first_break, rows) -> TableStatus:
    return TableStatus(model=label, ok=False, rows=rows, head_id=point.last_history_id, head_hash=point.last_hash,
                       first_break=first_break, point=point)


def _rehash(model, status: TableStatus, rows) -> TableStatus:
    """The rows the page shows, rehashed: a modified one is the first break if it comes before the one found."""
    rows = list(rows)
    pk = model._meta.pk.attname
    obj = object_attname(model)
    found = status.first_break
    for row in rows:
        stored = row.chain_hash
        if row_hash(row, row.chain_prev) != stored:
            candidate = ChainBreak(getattr(row, pk), getattr(row, obj), MODIFIED if stored else NOT_CHAINED)
            if found is None or found.history_id is None or candidate.history_id <= found.history_id:
                found = candidate
    if found is not None and found.object_id is None and found.history_id is not None:
        for row in rows:
            if getattr(row, pk) == found.history_id:
                found = found._replace(object_id=getattr(row, obj))
                break
    return replace(status, ok=found is None, first_break=found, rehashed=len(rows))
