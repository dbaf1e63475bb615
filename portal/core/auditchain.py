"""Tamper evidence for history rows: one SHA-256 hash chain per history table.

Every history table of a regulated model (and every many-to-many snapshot table simple-history keeps for one)
carries `chain_prev` and `chain_hash` (`portal.core.history.HistoryChainFields`). A row's hash is

    SHA-256( b"portal-history-chain/1\\n" + chain_prev + b"\\n" + canonical(row) )

where `chain_prev` is the hash of the row before it in the same table (ordered by the auto-increment history
id; "" for the first row) and `canonical(row)` is compact JSON with sorted keys of every concrete field of the
row except the id and the two chain fields, by attname, with values normalised so that what is written and what
SQLite or PostgreSQL give back serialise to the same bytes (datetimes as UTC ISO 8601 with microseconds, dates and
times in ISO 8601, decimals as fixed-point strings, durations in microseconds, JSON values canonical with sorted
keys, booleans, integers; a NULL is left out, so adding a nullable column keeps old hashes valid).

Appending (`append`, `append_many`, called by the history models' `save()` and their manager's `bulk_create`)
locks the table's `ChainHead` row (SELECT ... FOR UPDATE) inside the writing transaction, hashes the row against
the head, inserts it once with its hash and moves the head: one locked read and one write per insert. Two
transactions therefore never chain to the same predecessor, and history id order is chain order.

Verification (`verify_chain`, `verify_all`, the `verify_audit_trail` command) recomputes the chains and names the
first broken row; `rows_status` (the audit pages) rehashes only the rows given and compares every link in the
database. The migration helpers at the end (`rechain`, `unchain`,
`install_append_only_triggers`, `drop_append_only_triggers`) work on migration-state models.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.apps import apps as django_apps
from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Count, F, Max, Q, Value, Window
from django.db.models.functions import Lag
from django.utils import timezone

GENESIS = ""
CHAIN_FIELDS = ("chain_prev", "chain_hash")
HASH_DOMAIN = b"portal-history-chain/1\n"
TRIGGER = "portal_history_append_only"

MODIFIED = "hash mismatch: the row was modified"
NOT_CHAINED = "hash missing: the row was written without chaining"
PREV_MISMATCH = "prev mismatch: a row was deleted or inserted before it"
INSERTED = "inserted: the row is not part of the chain (the next row links past it)"
AFTER_HEAD = "row after the recorded chain head: inserted outside the portal"
NO_HEAD = "no chain head recorded: the row was written without chaining"
HEAD_MISSING = "chain head mismatch: the recorded last row is missing or altered (rows at the end were deleted)"

_INTEGER_TYPES = frozenset({
    "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
})


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

    def as_dict(self) -> dict:
        return {
            "model": self.model, "ok": self.ok, "rows": self.rows, "head_id": self.head_id,
            "head_hash": self.head_hash,
            "first_break": self.first_break.as_dict() if self.first_break else None,
        }


# ---------------------------------------------------------------------------------------------------------------
# Which models are chained


def is_chained(model) -> bool:
    names = {f.name for f in model._meta.concrete_fields}
    return all(name in names for name in CHAIN_FIELDS)


def chained_models(apps=None) -> list:
    """Every chained history model (live models, or those of a migration state), ordered by label."""
    registry = apps or django_apps
    return sorted((m for m in registry.get_models() if is_chained(m)), key=lambda m: m._meta.label)


def history_model_of(model):
    """The chained history model meant by `model`: a chained model itself, a tracked model (its history table),
    or a label of either ("inventory.AISystem", "inventory.HistoricalAISystem")."""
    if isinstance(model, str):
        model = django_apps.get_model(model)
    if is_chained(model):
        return model
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    if attribute:
        history = getattr(model, attribute).model
        if is_chained(history):
            return history
    raise LookupError(f"{model._meta.label} has no chained history.")


def chains_of(model) -> list:
    """The chained tables of `model`: a tracked model gives its history table and its many-to-many snapshot
    tables; a history model gives itself."""
    if isinstance(model, str):
        model = django_apps.get_model(model)
    if is_chained(model):
        return [model]
    history = history_model_of(model)
    snapshots = [getattr(history, f.name).model for f in getattr(history, "_history_m2m_fields", ())]
    return [history, *[m for m in snapshots if is_chained(m)]]


def object_attname(model) -> str:
    """The column naming the tracked object on a row of `model`: the tracked model's primary key on a history
    row, the foreign key to the owning model on a many-to-many snapshot row."""
    tracked = getattr(model, "instance_type", None)
    names = {f.name for f in model._meta.concrete_fields}
    if tracked is not None and "history_date" in names:
        return tracked._meta.pk.attname
    if tracked is not None and "history" in names:
        owner = getattr(model._meta.get_field("history").related_model, "instance_type", None)
        for field in tracked._meta.concrete_fields:
            if field.is_relation and field.related_model is owner:
                return field.attname
    return "id"


# ---------------------------------------------------------------------------------------------------------------
# Canonical serialization and hashing

_field_cache: dict = {}


def hashed_fields(model) -> list:
    """The fields a row's hash covers: every concrete field except the primary key (the auto-increment history
    id) and the chain fields, ordered by attname."""
    fields = _field_cache.get(model)
    if fields is None:
        fields = sorted(
            (f for f in model._meta.concrete_fields if not f.primary_key and f.name not in CHAIN_FIELDS),
            key=lambda f: f.attname,
        )
        _field_cache[model] = fields
    return fields


def canonical_value(field, value):
    """`value` of `field` as a JSON-able value that is the same whether taken before the insert or read back."""
    if value is None:
        return None
    kind = field.get_internal_type()
    if field.is_relation and getattr(field, "target_field", None) is not None:
        return canonical_value(field.target_field, value)
    if kind in _INTEGER_TYPES:
        return int(value)
    if kind == "BooleanField":
        return bool(field.to_python(value))
    if kind == "DateTimeField":
        value = field.to_python(value)
        if timezone.is_naive(value):
            if not settings.USE_TZ:
                return value.isoformat(timespec="microseconds")
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if kind == "DateField":
        return field.to_python(value).isoformat()
    if kind == "TimeField":
        return field.to_python(value).isoformat(timespec="microseconds")
    if kind == "DecimalField":
        number = field.to_python(value)
        if field.decimal_places is not None:
            number = number.quantize(decimal.Decimal(1).scaleb(-field.decimal_places), rounding=decimal.ROUND_HALF_UP)
        return format(number, "f")
    if kind == "FloatField":
        return _canonical_float(float(value))
    if kind == "DurationField":
        return field.to_python(value) // dt.timedelta(microseconds=1)
    if kind == "UUIDField":
        return str(field.to_python(value))
    if kind == "BinaryField":
        return bytes(value).hex()
    if kind == "JSONField":
        text = json.dumps(value, cls=field.encoder)
        return _canonical_json(json.loads(text, cls=field.decoder))
    return str(field.to_python(value))


def _canonical_float(number: float):
    if number == 0:
        return 0.0  # PostgreSQL numerics have no negative zero
    if "e+" in repr(number):
        return int(decimal.Decimal(repr(number)))  # jsonb prints 1e+16 as 10000000000000000
    return number


def _canonical_json(value):
    if isinstance(value, dict):
        return {str(k): _canonical_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json(v) for v in value]
    if isinstance(value, float):
        return _canonical_float(value)
    return value


def canonical_bytes(row) -> bytes:
    """The canonical serialization of a history row (see the module docstring); NULLs are left out."""
    document = {}
    for field in hashed_fields(type(row)):
        value = canonical_value(field, getattr(row, field.attname))
        if value is not None:
            document[field.attname] = value
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return text.encode("ascii")


def row_hash(row, prev: str) -> str:
    """The hash of `row` chained to `prev` (the previous row's hash, "" for the first row)."""
    return hashlib.sha256(HASH_DOMAIN + prev.encode("ascii") + b"\n" + canonical_bytes(row)).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Appending


def _head_model():
    from portal.core.models import ChainHead

    return ChainHead


def _lock_head(model, using):
    """The table's chain head, locked until the end of the transaction; created (from the table's last row, if
    any) the first time a table is written."""
    ChainHead = _head_model()
    label = model._meta.label
    heads = ChainHead.objects.using(using).select_for_update()
    head = heads.filter(pk=label).first()
    if head is None:
        last = model._default_manager.using(using).order_by("-pk").values_list("pk", "chain_hash").first()
        try:
            with transaction.atomic(using=using):
                ChainHead.objects.using(using).create(
                    label=label, last_history_id=last[0] if last else None, last_hash=last[1] if last else GENESIS)
        except IntegrityError:
            pass  # a concurrent writer created it; wait for its lock below
        head = heads.get(pk=label)
    return head


def _advance(head, history_id, chain_hash, using):
    type(head).objects.using(using).filter(pk=head.pk).update(last_history_id=history_id, last_hash=chain_hash)


def append(row, *, using, insert):
    """Chain `row` to its table's head and insert it with its hash, via `insert()`, in the writing transaction."""
    with transaction.atomic(using=using, savepoint=False):
        head = _lock_head(type(row), using)
        row.chain_prev = head.last_hash
        row.chain_hash = row_hash(row, head.last_hash)
        result = insert()
        _advance(head, row.pk, row.chain_hash, using)
    return result


def append_many(model, rows, *, using, insert):
    """Chain `rows` (in order) to `model`'s head and insert them in one batch via `insert()`."""
    if not rows:
        return insert()
    with transaction.atomic(using=using, savepoint=False):
        head = _lock_head(model, using)
        prev = head.last_hash
        for row in rows:
            row.chain_prev = prev
            row.chain_hash = prev = row_hash(row, prev)
        result = insert()
        last_id = rows[-1].pk
        if last_id is None:  # a backend that cannot return ids from a bulk insert
            last_id = model._default_manager.using(using).order_by("-pk").values_list("pk", flat=True).first()
        _advance(head, last_id, prev, using)
    return result


# ---------------------------------------------------------------------------------------------------------------
# Verification


@contextmanager
def _consistent_read(using):
    """One snapshot for the head and the rows: a read-only REPEATABLE READ transaction on PostgreSQL (a SQLite
    transaction is a snapshot already). Inside a caller's transaction, that transaction's view is used."""
    connection = connections[using]
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


class _Walker:
    """Follows one chain row by row and keeps the first break."""

    def __init__(self, head):
        self.head = head
        self.prev = GENESIS
        self.prev_before = None  # the hash the previous row should have linked to
        self.previous = None  # (history id, object id) of the previous row
        self.rows = 0
        self.last_id = None
        self.last_hash = GENESIS
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
        if self.first_break is None and head is not None and (
            head.last_history_id != self.last_id or head.last_hash != self.last_hash
        ):
            self.first_break = ChainBreak(head.last_history_id, None, HEAD_MISSING)
        return self.first_break


def verify_chain(model) -> ChainReport:
    """Recompute one history table's chain (`model`: the history model, its tracked model or a label)."""
    model = history_model_of(model)
    using = router.db_for_read(model)
    pk = model._meta.pk.attname
    obj = object_attname(model)
    with _consistent_read(using):
        head = _head_model().objects.using(using).filter(pk=model._meta.label).first()
        walker = _Walker(head)
        for row in model._default_manager.using(using).order_by("pk").iterator(chunk_size=2000):
            walker.step(getattr(row, pk), getattr(row, obj), row.chain_prev, row.chain_hash,
                        row_hash(row, row.chain_prev))
        first_break = walker.finish()
    return ChainReport(model=model._meta.label, ok=first_break is None, rows=walker.rows, head_id=walker.last_id,
                       head_hash=walker.last_hash, first_break=first_break)


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
    with _consistent_read(using):
        head = _head_model().objects.using(using).filter(pk=model._meta.label).first()
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
    if first_break is None and head is not None and head.last_history_id is not None and (
        last is None or head.last_history_id != last[0] or head.last_hash != last[1]
    ):
        first_break = ChainBreak(head.last_history_id, None, HEAD_MISSING)
    return ChainReport(model=model._meta.label, ok=first_break is None, rows=stats["rows"],
                       head_id=last[0] if last else None, head_hash=last[1] if last else GENESIS,
                       first_break=first_break)


def _plain(value):
    return value if value is None or isinstance(value, int | str | float | bool) else str(value)


# ---------------------------------------------------------------------------------------------------------------
# Migration helpers (migration-state models; `apps` and `schema_editor` as RunPython passes them)


def _is_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def _has_trigger(schema_editor, table) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND tgname = %s", [table, TRIGGER])
        return cursor.fetchone() is not None


@contextmanager
def _writable(schema_editor, model):
    """Lift the append-only trigger of `model`'s table (if any) for the rest of the migration's transaction."""
    table = model._meta.db_table
    lifted = _is_postgres(schema_editor) and _has_trigger(schema_editor, table)
    quoted = schema_editor.quote_name(table)
    if lifted:
        # ALTER TABLE refuses while rows written earlier in the transaction have deferred FK checks pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE {quoted} DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        if lifted:
            schema_editor.execute(f"ALTER TABLE {quoted} ENABLE TRIGGER {TRIGGER}")
            schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def rechain(apps, schema_editor):
    """(Re)compute every chain in history id order and record the heads. Used to chain the rows written before
    the chain existed, and to re-seal after a schema change that alters stored values of existing history rows
    (a renamed or removed field, a non-null field added with a default): run `verify_audit_trail` before such a
    migration, since re-sealing makes whatever the table holds the new truth."""
    using = schema_editor.connection.alias
    ChainHead = apps.get_model("core", "ChainHead")
    for model in chained_models(apps):
        manager = model._default_manager.using(using)
        prev, last_id, batch = GENESIS, None, []
        with _writable(schema_editor, model):
            for row in manager.order_by("pk").iterator(chunk_size=2000):
                row.chain_prev = prev
                row.chain_hash = prev = row_hash(row, prev)
                last_id = row.pk
                batch.append(row)
                if len(batch) >= 500:
                    manager.bulk_update(batch, CHAIN_FIELDS)
                    batch = []
            if batch:
                manager.bulk_update(batch, CHAIN_FIELDS)
        ChainHead.objects.using(using).update_or_create(
            label=model._meta.label, defaults={"last_history_id": last_id, "last_hash": prev})


def unchain(apps, schema_editor):
    """Reverse of `rechain`: blank every link and forget the heads."""
    using = schema_editor.connection.alias
    for model in chained_models(apps):
        with _writable(schema_editor, model):
            model._default_manager.using(using).update(chain_prev=GENESIS, chain_hash=GENESIS)
    apps.get_model("core", "ChainHead").objects.using(using).all().delete()


def install_append_only_triggers(apps, schema_editor):
    """PostgreSQL: a trigger refusing UPDATE and DELETE on every chained history table. Idempotent; nothing on
    other databases. A later regulated model's migration can run it again to cover its new table."""
    if not _is_postgres(schema_editor):
        return
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'history rows are append-only (% on %)', TG_OP, TG_TABLE_NAME; END; $$",
        None,  # no parameters: the % are PL/pgSQL's
    )
    for model in chained_models(apps):
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()"
        )


def drop_append_only_triggers(apps, schema_editor):
    """Reverse of `install_append_only_triggers`."""
    if not _is_postgres(schema_editor):
        return
    for model in chained_models(apps):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {schema_editor.quote_name(model._meta.db_table)}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
