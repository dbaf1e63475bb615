"""Verifying the chains: whole tables (`verify_chain`, `verify_all`, the `verify_audit_trail` command) and the rows a
page shows (`rows_status`, the audit pages).

`verify_chain` recomputes every row of a table in one consistent snapshot and names the first broken row: a
recomputed hash that differs (the row was modified), a `chain_prev` that is not the previous row's hash (a row
deleted or inserted before it; a row the next one links past is named as inserted), rows after the recorded head,
a recorded head that is gone (rows deleted at the end), a row count other than the head's, or an earlier head
that names a row which is gone or has another hash (the chain was rewritten after that head was recorded).
What a role that can rewrite both the rows and the heads does is caught by the signed checkpoints
(`portal.core.auditchain.checkpoints`), which are kept outside the database.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.apps import apps as django_apps
from django.db import connections, router, transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Value, Window
from django.db.models.functions import Coalesce, Lag

from portal.core.auditchain.append import head_model, latest_head
from portal.core.auditchain.canonical import (
    GENESIS,
    HASH_DOMAIN,
    chained_hash,
    chained_models,
    hashed_fields,
    history_model_of,
    object_attname,
    raw_reader,
    raw_select,
    row_hash,
    row_reader,
)

MODIFIED = "hash mismatch: the row was modified"
NOT_CHAINED = "hash missing: the row was written without chaining"
PREV_MISMATCH = "prev mismatch: a row was deleted or inserted before it"
INSERTED = "inserted: the row is not part of the chain (the next row links past it)"
AFTER_HEAD = "row after the recorded chain head: inserted outside the portal"
NO_HEAD = "no chain head recorded: the row was written without chaining"
HEAD_MISSING = "chain head mismatch: the recorded last row is missing or altered (rows at the end were deleted)"
HEAD_ROWS = "row count mismatch: the table holds another number of rows than its recorded head counts"
STALE_HEAD_GONE = "an earlier recorded head names this row, which is gone: rows were deleted"
STALE_HEAD_CHANGED = ("an earlier recorded head names this row with another hash: the chain was rewritten after "
                      "that head was recorded")
POINT_GONE = "the row at a verified point is gone: rows were deleted after it was verified"
POINT_CHANGED = "the row at a verified point has another hash: the chain was rewritten after it was verified"
POINT_ROWS = ("row count mismatch up to the verified point: rows before it were deleted or inserted after it was "
              "verified")


class ChainBreak(NamedTuple):
    """The first row of a chain that does not verify: its history id, the tracked object's id, what is wrong."""

    history_id: int | None
    object_id: Any
    reason: str

    def as_dict(self) -> dict:
        return {"history_id": self.history_id, "object_id": _plain(self.object_id), "reason": self.reason}


@dataclass(frozen=True)
class ChainReport:
    """The verification of one history table: rows counted, the head (last history id and hash) as found in the
    table, and the first break (None when the chain is intact)."""

    model: str
    ok: bool
    rows: int
    head_id: int | None
    head_hash: str
    first_break: ChainBreak | None
    resealed_at: Any = None  # when a migration last re-sealed the chain (ADR 0006), or None
    checked: int | None = None  # rows recomputed by this run (None: not counted)
    since_id: int | None = None  # an incremental run: the verified point it started from (its last history id)
    incremental: bool = False
    chain_head_row: int | None = None  # the newest core.ChainHead row compared (its id)

    def as_dict(self) -> dict:
        return {
            "model": self.model, "ok": self.ok, "rows": self.rows, "head_id": self.head_id,
            "head_hash": self.head_hash,
            "first_break": self.first_break.as_dict() if self.first_break else None,
            "resealed_at": self.resealed_at.isoformat() if self.resealed_at else None,
            "mode": "incremental" if self.incremental else "full",
            "checked": self.checked, "since_history_id": self.since_id,
        }


@contextmanager
def consistent_read(using):
    """One snapshot for the heads and the rows: a read-only REPEATABLE READ transaction on PostgreSQL; on SQLite a
    DEFERRED transaction (a snapshot from its first read, in WAL mode without blocking writers), not the
    IMMEDIATE one the portal's SQLite transactions begin with (`settings.DATABASES`), which would hold the write
    lock while a table is verified: every writer, and the other verifying processes, would wait for it and give
    up with "database is locked". Inside a caller's transaction, that transaction's view is used."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        mode, connection.transaction_mode = connection.transaction_mode, "DEFERRED"
        try:
            with transaction.atomic(using=using):
                connection.transaction_mode = mode  # only this BEGIN is deferred
                yield
        finally:
            connection.transaction_mode = mode
        return
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


class _Walker:
    """Follows one chain row by row and keeps the first break."""

    def __init__(self, head, *, prev=GENESIS, rows=0, last_id=None):
        self.head = head
        self.prev = prev
        self.prev_before = None  # the hash the previous row should have linked to
        self.previous = None  # (history id, object id) of the previous row
        self.rows = rows
        self.last_id = last_id
        self.last_hash = prev
        self.first_break = None

    def step(self, history_id, object_id, chain_prev, chain_hash, recomputed=None):
        """One row; `recomputed` is its hash recomputed from its content, None when the content is not checked."""
        self.rows += 1
        if self.first_break is None:
            reason = None
            if self.head is None:
                reason = NO_HEAD
            elif self.head.last_history_id is None or history_id > self.head.last_history_id:
                reason = AFTER_HEAD
            elif recomputed is not None and recomputed != chain_hash:
                reason = NOT_CHAINED if not chain_hash else MODIFIED
            elif chain_prev != self.prev:
                if self.previous is not None and chain_prev == self.prev_before:
                    # This row links past the previous one: the previous row was inserted into the chain.
                    self.first_break = ChainBreak(*self.previous, INSERTED)
                else:
                    reason = PREV_MISMATCH
            if reason:
                self.first_break = ChainBreak(history_id, object_id, reason)
        self.prev_before = self.prev
        self.prev = chain_hash
        self.previous = (history_id, object_id)
        self.last_id = history_id
        self.last_hash = chain_hash

    def finish(self):
        head = self.head
        if self.first_break is None and head is not None:
            if head.last_history_id != self.last_id or head.last_hash != self.last_hash:
                self.first_break = ChainBreak(head.last_history_id, None, HEAD_MISSING)
            elif head.rows != self.rows:
                self.first_break = ChainBreak(head.last_history_id, None, HEAD_ROWS)
        return self.first_break


def resealed_at(model, using):
    """When a migration last re-sealed `model`'s chain (ADR 0006), or None."""
    return (head_model().objects.using(using).filter(label=model._meta.label, resealed=True).order_by("-id")
            .values_list("recorded_at", flat=True).first())


def stale_head(model, using, *, after_head_row=None) -> ChainBreak | None:
    """The oldest recorded head of `model`'s chain that names a row which is gone or has another hash now (one
    query, in the database). Heads recorded before the latest re-seal by a migration are not compared: the re-seal
    made the table's rows, as they were then, the new truth (verify before migrating; signed checkpoints taken
    before it name the re-sealed table). `after_head_row`: only the heads recorded after that head row (an
    incremental run compares the heads recorded since its verified point)."""
    pk = model._meta.pk.attname
    heads = head_model().objects.using(using).filter(label=model._meta.label)
    if after_head_row is not None:
        heads = heads.filter(id__gt=after_head_row)
    actual = model._default_manager.using(using).filter(**{pk: OuterRef("last_history_id")}).values("chain_hash")[:1]
    since = Coalesce(Subquery(heads.filter(resealed=True).order_by("-id").values("id")[:1]), Value(0))
    found = (heads.filter(last_history_id__isnull=False).annotate(actual=Subquery(actual), since=since)
             .filter(id__gte=F("since")).filter(Q(actual__isnull=True) | ~Q(actual=F("last_hash")))
             .order_by("id").values_list("last_history_id", "actual").first())
    if found is None:
        return None
    history_id, actual_hash = found
    return ChainBreak(history_id, None, STALE_HEAD_GONE if actual_hash is None else STALE_HEAD_CHANGED)


CHUNK = 5000
RAW_CHUNK = 20000


def walk_rows(model, using, walker, *, after=None, raw=True) -> int:
    """Feed `walker` every row of `model` after history id `after` (every row when None), in history id order,
    each with its hash recomputed; the number of rows read. The rows are streamed as tuples straight from the
    database driver (a server-side cursor on PostgreSQL) and serialized by `canonical.raw_reader`; `raw=False`
    (or PostgreSQL outside a transaction) reads them through the ORM (`values_list`, `canonical.row_reader`)
    instead: the same hashes, more slowly."""
    connection = connections[using]
    if raw and (connection.vendor == "sqlite" or (connection.vendor == "postgresql" and
                                                  connection.in_atomic_block)):
        return _walk_raw(model, connection, walker, after)
    pk = model._meta.pk.attname
    names, serialize = row_reader(model)
    at_object = 3 + names.index(object_attname(model)) if object_attname(model) in names else None
    rows = model._default_manager.using(using).order_by(pk)
    if after is not None:
        rows = rows.filter(**{f"{pk}__gt": after})
    step, count = walker.step, 0
    for row in rows.values_list(pk, "chain_prev", "chain_hash", *names).iterator(chunk_size=CHUNK):
        count += 1
        step(row[0], row[at_object] if at_object is not None else None, row[1], row[2],
             chained_hash(row[1], serialize(row[3:])))
    return count


def _walk_raw(model, connection, walker, after) -> int:
    _columns, serialize = raw_reader(model, connection)
    names = [f.attname for f in hashed_fields(model)]
    at_object = 3 + names.index(object_attname(model)) if object_attname(model) in names else None
    quote = connection.ops.quote_name
    pk = model._meta.pk
    selected = ", ".join([*(quote(c) for c in [pk.column, "chain_prev", "chain_hash"]),
                          *raw_select(model, connection)])
    placeholder = "%s" if connection.vendor == "postgresql" else "?"
    where = f" WHERE {quote(pk.column)} > {placeholder}" if after is not None else ""
    table = quote(model._meta.db_table)
    sql = f"SELECT {selected} FROM {table}{where} ORDER BY {quote(pk.column)}"  # nosec B608  # noqa: S608  (quoted names)
    params = (after,) if after is not None else ()
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        cursor = connection.connection.cursor(name=f"verify_{model._meta.db_table}")
        cursor.itersize = RAW_CHUNK
    else:
        cursor = connection.connection.cursor()
    step, count = walker.step, 0
    sha256, domain = hashlib.sha256, HASH_DOMAIN
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(RAW_CHUNK):
            count += len(batch)
            for row in batch:
                prev = row[1]
                content = serialize(row[3:])
                step(row[0], row[at_object] if at_object is not None else None, prev, row[2],
                     sha256(domain + prev.encode("ascii") + b"\n" + content).hexdigest())
    finally:
        cursor.close()
    return count


def point_model():
    return django_apps.get_model("core", "ChainVerification")


def stale_point(model, using) -> ChainBreak | None:
    """The oldest verified point of `model`'s chain (`core.ChainVerification`) that names a row which is gone or
    has another hash now (one query). Points recorded before the latest re-seal by a migration are not compared."""
    pk = model._meta.pk.attname
    label = model._meta.label
    points = point_model().objects.using(using).filter(label=label, ok=True, last_history_id__isnull=False)
    reseal = (head_model().objects.using(using).filter(label=label, resealed=True).order_by("-id")
              .values_list("recorded_at", flat=True).first())
    if reseal is not None:
        points = points.filter(verified_at__gt=reseal)
    actual = model._default_manager.using(using).filter(**{pk: OuterRef("last_history_id")}).values("chain_hash")[:1]
    found = (points.annotate(actual=Subquery(actual)).filter(Q(actual__isnull=True) | ~Q(actual=F("last_hash")))
             .order_by("id").values_list("last_history_id", "actual").first())
    if found is None:
        return None
    history_id, actual_hash = found
    return ChainBreak(history_id, None, POINT_GONE if actual_hash is None else POINT_CHANGED)


def verify_chain(model) -> ChainReport:
    """Recompute one history table's chain (`model`: the history model, its tracked model or a label)."""
    model = history_model_of(model)
    using = router.db_for_read(model)
    with consistent_read(using):
        head = latest_head(model, using)
        walker = _Walker(head)
        checked = walk_rows(model, using, walker)
        first_break = walker.finish() or stale_head(model, using)
        if first_break is None:
            first_break = stale_point(model, using)
        resealed = resealed_at(model, using)
    return ChainReport(model=model._meta.label, ok=first_break is None, rows=walker.rows, head_id=walker.last_id,
                       head_hash=walker.last_hash, first_break=first_break, resealed_at=resealed, checked=checked,
                       chain_head_row=head.pk if head is not None else None)


def verify_all() -> list[ChainReport]:
    """Every chained history table, ordered by label."""
    return [verify_chain(model) for model in chained_models()]


def rows_status(model, rows=()) -> ChainReport:
    """The chain status for a page that shows some rows of a history table, without rehashing the whole table:
    the content of each of `rows` (rows of `model` the caller has loaded) hashes to its stored hash, and the links
    of the whole table are unbroken and end at the recorded head. The links are compared in the database (each
    row's `chain_prev` against the previous row's `chain_hash`, a window function), so the cost is a few queries
    and the hashing of `rows`, whatever the table's size. Content changes to rows not given are not seen: the
    full check is `verify_chain`. `model`: the history model, its tracked model or a label."""
    model = history_model_of(model)
    using = router.db_for_read(model)
    pk = model._meta.pk.attname
    obj = object_attname(model)
    manager = model._default_manager.using(using)
    with consistent_read(using):
        head = latest_head(model, using)
        stats = manager.aggregate(rows=Count(pk), last=Max(pk))
        last = manager.filter(pk=stats["last"]).values_list(pk, "chain_hash").first() if stats["last"] else None
        expected = Window(Lag("chain_hash", default=Value(GENESIS)), order_by=F(pk).asc())
        link = (manager.annotate(expected_prev=expected).filter(~Q(chain_prev=F("expected_prev")))
                .order_by(pk).values_list(pk, obj).first())
        # The first row past the recorded head (every row when no head is recorded): written without chaining.
        after = None
        if last and (head is None or head.last_history_id is None or last[0] > head.last_history_id):
            beyond = manager.filter(pk__gt=head.last_history_id) if head and head.last_history_id else manager
            after = beyond.order_by(pk).values_list(pk, obj).first()
    breaks = []
    if after:
        breaks.append(ChainBreak(*after, NO_HEAD if head is None else AFTER_HEAD))
    for row in rows:
        stored = row.chain_hash
        if row_hash(row, row.chain_prev) != stored:
            breaks.append(ChainBreak(getattr(row, pk), getattr(row, obj), MODIFIED if stored else NOT_CHAINED))
    if link:
        breaks.append(ChainBreak(*link, PREV_MISMATCH))
    first_break = min(breaks, key=lambda b: b.history_id) if breaks else None  # min keeps the first listed on a tie
    if first_break is None and head is not None and head.last_history_id is not None:
        if last is None or head.last_history_id != last[0] or head.last_hash != last[1]:
            first_break = ChainBreak(head.last_history_id, None, HEAD_MISSING)
        elif head.rows != stats["rows"]:
            first_break = ChainBreak(head.last_history_id, None, HEAD_ROWS)
    return ChainReport(model=model._meta.label, ok=first_break is None, rows=stats["rows"],
                       head_id=last[0] if last else None, head_hash=last[1] if last else GENESIS,
                       first_break=first_break)


def _plain(value):
    return value if value is None or isinstance(value, int | str | float | bool) else str(value)
