"""Appending history rows to their table's chain.

`append` and `append_many` (called by the history models' `save()` and their manager's `bulk_create`) take the
table's chain lock inside the writing transaction, hash the row(s) against the current head, insert them once with
their hashes, and append a new head row (`portal.core.models.ChainHead`): heads are never updated in place, so the
runtime database role needs only SELECT and INSERT on the history and head tables.

The lock is a transaction-scoped advisory lock on PostgreSQL (`pg_advisory_xact_lock`, keyed by the table's label;
it needs no privilege on any table), so two transactions never chain to the same predecessor and history id order
is chain order. SQLite has one writer at a time already.
"""

from __future__ import annotations

from django.apps import apps as django_apps
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.core.auditchain.canonical import CHAIN_FIELDS, GENESIS, hashed_fields, row_hash, values_hash

# The first key of the portal's advisory locks (the second is a hash of the table's label): "chai".
LOCK_CLASS = 0x63686169


def head_model():
    return django_apps.get_model("core", "ChainHead")


def label_of(model) -> str:
    return model if isinstance(model, str) else model._meta.label


def latest_head(model, using):
    """The newest recorded head of `model`'s chain (a history model or its label), or None."""
    return head_model().objects.using(using).filter(label=label_of(model)).order_by("-id").first()


def lock_chain(model, using) -> None:
    """Serialise appends to `model`'s chain until the end of the transaction (PostgreSQL; SQLite writes one at a
    time already)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK_CLASS, label_of(model)])


def _current(model, using) -> tuple:
    """(last history id, last hash, rows) of the chain, under the lock. A table written for the first time since
    heads exist is anchored at its last row."""
    head = latest_head(model, using)
    if head is not None:
        return head.last_history_id, head.last_hash, head.rows
    manager = model._default_manager.using(using)
    last = manager.order_by("-pk").values_list("pk", "chain_hash").first()
    return (last[0], last[1], manager.count()) if last else (None, GENESIS, 0)


def record_head(model, *, last_history_id, last_hash, rows, using) -> None:
    head_model().objects.using(using).create(label=label_of(model), last_history_id=last_history_id,
                                             last_hash=last_hash, rows=rows, recorded_at=timezone.now())


def append(row, *, using, insert):
    """Chain `row` to its table's head and insert it with its hash, via `insert()`, in the writing transaction."""
    model = type(row)
    with transaction.atomic(using=using, savepoint=False):
        lock_chain(model, using)
        _last_id, prev, rows = _current(model, using)
        row.chain_prev = prev
        row.chain_hash = row_hash(row, prev)
        result = insert()
        record_head(model, last_history_id=row.pk, last_hash=row.chain_hash, rows=rows + 1, using=using)
    return result


def append_many(model, rows, *, using, insert):
    """Chain `rows` (in order) to `model`'s head and insert them in one batch via `insert()`."""
    if not rows:
        return insert()
    with transaction.atomic(using=using, savepoint=False):
        lock_chain(model, using)
        _last_id, prev, count = _current(model, using)
        for row in rows:
            row.chain_prev = prev
            row.chain_hash = prev = row_hash(row, prev)
        result = insert()
        last_id = rows[-1].pk
        if last_id is None:  # a backend that cannot return ids from a bulk insert
            last_id = model._default_manager.using(using).order_by("-pk").values_list("pk", flat=True).first()
        record_head(model, last_history_id=last_id, last_hash=prev, rows=count + len(rows), using=using)
    return result


def append_rows(model, rows: list[dict], *, using) -> None:
    """Chain `rows` (new history rows of `model` as {attname: value}, every field but the id, in order) to the
    table's head and insert them without model instances (`portal.core.bulk.insert_rows`: COPY on PostgreSQL):
    one lock, one head row, whatever the number of rows. For bulk writes of thousands of history rows."""
    from portal.core.bulk import insert_rows

    if not rows:
        return
    expected = {f.attname for f in hashed_fields(model)}
    missing = expected - set(rows[0])
    if missing:
        raise ValueError(f"history rows of {label_of(model)} lack {sorted(missing)}")
    with transaction.atomic(using=using, savepoint=False):
        lock_chain(model, using)
        _last_id, prev, count = _current(model, using)
        for row in rows:
            row[CHAIN_FIELDS[0]] = prev
            row[CHAIN_FIELDS[1]] = prev = values_hash(model, row, prev)
        insert_rows(model, rows, using=using)
        last_id = model._default_manager.using(using).order_by("-pk").values_list("pk", flat=True).first()
        record_head(model, last_history_id=last_id, last_hash=prev, rows=count + len(rows), using=using)


def lock_chains(models, using) -> None:
    """`lock_chain` for several tables in one statement, in the order given (the order in which a writer taking
    them one by one would: the history of a record before that of its parts, as `save_tracked` then a bulk write
    of its items would)."""
    connection = connections[using]
    labels = list(dict.fromkeys(label_of(m) for m in models))
    if connection.vendor == "postgresql" and labels:
        locks = ", ".join(["pg_advisory_xact_lock(%s, hashtext(%s))"] * len(labels))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {locks}", [v for label in labels for v in (LOCK_CLASS, label)])  # nosec B608  # placeholders only


def newest_per_label(connection, model, labels, columns: list[str]) -> list[tuple]:
    """`columns` of the newest row (highest id) of each label in `labels` of a table with an index on
    `(label, id DESC)` (chain heads, verification points): one statement of one index probe per label, whose cost
    does not grow with the rows recorded so far. A label without a row gives no row."""
    if not labels:
        return []
    quote = connection.ops.quote_name
    probe = (f"SELECT * FROM (SELECT {', '.join(quote(c) for c in columns)} "  # noqa: S608  # nosec B608  # the model's quoted names, values bound
             f"FROM {quote(model._meta.db_table)} WHERE label = %s ORDER BY id DESC LIMIT 1) AS n")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(f"{probe}{i}" for i in range(len(labels))), list(labels))
        return cursor.fetchall()


def _currents(models, using) -> dict:
    """`_current` of several tables (under their locks) from one query of their newest heads
    (`newest_per_label`)."""
    labels = list(dict.fromkeys(label_of(m) for m in models))
    rows = newest_per_label(connections[using], head_model(), labels,
                            ["label", "last_history_id", "last_hash", "rows"])
    found = {label: (last_id, last_hash, count) for label, last_id, last_hash, count in rows}
    return {model: found.get(label_of(model)) or _current(model, using) for model in models}


def append_batches(batches, *, using) -> dict:
    """Chain and insert new rows of several history tables in one go: one statement taking every table's lock,
    one query of their heads, one INSERT per table, one INSERT of the new heads, whatever the number of rows.

    `batches` is a list of `(history model, rows)` in insert order; `rows` is a list of {attname: value} (the
    fields of the row but its id and the chain fields; a field left out takes its default), or a callable given
    the ids inserted so far ({model: [ids]}) that returns them, for rows that name earlier ones (a many-to-many
    snapshot row names its history row). Returns the inserted ids by model. Call it inside the writing transaction.
    """
    models = [model for model, _rows in batches]
    inserted: dict = {}
    with transaction.atomic(using=using, savepoint=False):
        lock_chains(models, using)
        current = _currents(models, using)
        new_heads = []
        for model, rows in batches:
            rows = rows(inserted) if callable(rows) else rows
            if not rows:
                continue
            _last_id, prev, count = current[model]
            rows = _complete(model, rows)
            for values in rows:
                values[CHAIN_FIELDS[0]] = prev
                values[CHAIN_FIELDS[1]] = prev = values_hash(model, values, prev)
            ids = _insert_returning_ids(model, rows, using)
            inserted[model] = ids
            last_id = ids[-1]
            current[model] = (last_id, prev, count + len(rows))
            new_heads.append(head_model()(label=label_of(model), last_history_id=last_id, last_hash=prev,
                                          rows=count + len(rows), recorded_at=timezone.now()))
        head_model().objects.using(using).bulk_create(new_heads)
    return inserted


def _complete(model, rows) -> list[dict]:
    """`rows` with every concrete field but the id: a field left out takes its default, as a new instance would."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in CHAIN_FIELDS]
    return [{f.attname: (row[f.attname] if f.attname in row else f.get_default()) for f in fields}
            for row in rows]


def _insert_returning_ids(model, rows: list[dict], using) -> list:
    """Insert `rows` (complete, as `_complete` gives them, with their chain fields) in one statement and return
    their ids in order; without the ORM's per-row model instances and SQL compilation (this is on the path of
    every alert). A backend that cannot return ids from a multi-row insert takes the ORM's bulk_create."""
    connection = connections[using]
    if not connection.features.can_return_rows_from_bulk_insert:
        objs = [model(**values) for values in rows]
        QuerySet(model=model, using=using).bulk_create(objs)
        if objs[-1].pk is None:
            last = model._default_manager.using(using).order_by("-pk").values_list("pk", flat=True).first()
            return [*[None] * (len(objs) - 1), last]
        return [obj.pk for obj in objs]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    attnames = list(rows[0])
    prepared = [fields[name] for name in attnames]
    quote = connection.ops.quote_name
    placeholders = "(" + ", ".join(["%s"] * len(attnames)) + ")"
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in prepared)}) VALUES "  # noqa: S608  # nosec B608
    tail = f" RETURNING {quote(model._meta.pk.column)}"
    size = max(connection.ops.bulk_batch_size(prepared, rows), 1)  # SQLite's limit on query parameters
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start:start + size]
            params = [field.get_db_prep_save(row[field.attname], connection) for row in batch for field in prepared]
            cursor.execute(head + ", ".join([placeholders] * len(batch)) + tail, params)  # nosec B608  # the model's names, not input
            ids.extend(row[0] for row in cursor.fetchall())
    return ids
