"""Writing many rows of a table at once for the scale data set: ids reserved ahead (so rows can refer to rows not yet
inserted), rows inserted without model instances (`portal.core.bulk.insert_rows`: COPY on PostgreSQL), and history
rows hashed into their table's chain in one pass.

A `HistoryChain` holds the chain of one history table for the whole run: it takes the table's chain lock, starts
from the recorded head (or the table's last row, or the genesis link), hashes each batch of rows against the
previous one, inserts them and records a new head row per batch, as `portal.core.auditchain.append_rows` does. The
hash is the chain's own (`auditchain.values_hash`): computed here by a per-table serializer for the values this
generator produces (aware UTC datetimes, ints, strings, booleans, lists), and the first row of every batch is
checked against `values_hash` itself, so a serializer that drifted from the canonical form fails the run instead
of leaving chains that do not verify.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import partial
from json.encoder import encode_basestring_ascii
from operator import itemgetter

from django.db import connections
from django.db.models import NOT_PROVIDED

from portal.core import auditchain
from portal.core.auditchain.append import latest_head, lock_chain, record_head
from portal.core.bulk import insert_rows

_TEXT = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField", "FileField"})
_INTEGER = frozenset({"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                      "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
                      "PositiveSmallIntegerField"})
UTC = dt.UTC


def reserve_ids(model, count: int, *, using: str = "default") -> int:
    """The first of `count` consecutive primary keys reserved for rows of `model` that the caller inserts with
    explicit ids. PostgreSQL: taken from the table's sequence (USAGE is enough, so the runtime role can run it),
    refused if a concurrent writer took values in between. SQLite: after the largest id ever used (the table's
    AUTOINCREMENT counter follows explicit ids)."""
    if count <= 0:
        return 0
    connection = connections[using]
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT min(v), max(v) FROM (SELECT nextval(pg_get_serial_sequence(%s, %s)) AS v "
                           "FROM generate_series(1, %s)) AS reserved", [table, column, count])
            first, last = cursor.fetchone()
            if last - first != count - 1:
                raise RuntimeError(f"{table}: another writer took ids while they were reserved; run again alone.")
            return first
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT max({quote(column)}) FROM {quote(table)}")  # noqa: S608  # nosec B608  # model names
        largest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        counter = cursor.fetchone()
        return max(largest, counter[0] if counter else 0) + 1


def defaults(model) -> dict:
    """Every concrete column but the primary key, with the value a new row of `model` gets when not given: the
    field's default, NULL where it is nullable, "" for other text."""
    row = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.default is not NOT_PROVIDED:
            row[field.attname] = field.get_default()
        elif field.null:
            row[field.attname] = None
        elif field.get_internal_type() in _TEXT:
            row[field.attname] = ""
        else:
            row[field.attname] = None  # the generator must give it
    return row


def _target(field):
    while field.is_relation and getattr(field, "target_field", None) is not None:
        field = field.target_field
    return field


class _Cache(dict):
    """Encoded forms of repeated strings (runbook titles and guidance recur on every incident)."""

    def __init__(self, encode):
        super().__init__()
        self.encode = encode

    def __missing__(self, value):
        if len(self) > 200_000:
            self.clear()
        encoded = self[value] = self.encode(value)
        return encoded


class _ById(dict):
    """Encoded forms of objects the rows share (a datetime on a record and its history row, an obligation
    template's content list on every copy), keyed by identity; each entry keeps its object alive, so an id is
    never reused while it is cached."""

    def __init__(self, encode):
        super().__init__()
        self.encode = encode

    def __call__(self, value):
        hit = self.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        if len(self) > 300_000:
            self.clear()
        encoded = self.encode(value)
        self[id(value)] = (value, encoded)
        return encoded


def _json_encoder(field):
    """A function giving the JSON text of `auditchain.canonical_value(field, value)` as the canonical document
    holds it (compact, sorted keys, ASCII), for the values the generator writes."""
    target = _target(field)
    kind = target.get_internal_type()
    if kind in _INTEGER:
        return str  # the generator writes ints (the first row of each batch is checked against the chain's own hash)
    if kind in _TEXT:
        return _Cache(encode_basestring_ascii).__getitem__
    if kind == "BooleanField":
        return {True: "true", False: "false"}.__getitem__
    if kind == "DateTimeField":
        return lambda value: f'"{value.astimezone(UTC).isoformat(timespec="microseconds")}"'
    return _ById(lambda value: json.dumps(auditchain.canonical_value(target, value), sort_keys=True,
                                          separators=(",", ":"), ensure_ascii=True, default=str))


def copy_rows(model, rows: list[dict], *, columns: list[str] | None = None, using: str = "default") -> None:
    """Insert `rows` ({attname: value}, the same keys in each; only `columns` of them when given) into `model`'s
    table: COPY on PostgreSQL, each row formatted by psycopg's C code, JSON values serialized once per object
    (`portal.core.bulk.insert_rows` wraps each in a Jsonb), `portal.core.bulk.insert_rows` elsewhere."""
    if not rows:
        return
    connection = connections[using]
    names = columns or list(rows[0])
    if connection.vendor != "postgresql":
        insert_rows(model, [{name: row[name] for name in names} for row in rows] if columns else rows, using=using)
        return
    fields = {f.attname: f for f in model._meta.concrete_fields}
    json_columns = [(i, _ById(partial(json.dumps, cls=fields[name].encoder))) for i, name in enumerate(names)
                    if fields[name].get_internal_type() == "JSONField"]
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(fields[n].column) for n in names)}) FROM STDIN"
    get = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        if not json_columns:
            for row in rows:
                write(get(row))
            return
        for row in rows:
            values = list(get(row))
            for i, dumps in json_columns:
                if values[i] is not None:
                    values[i] = dumps(values[i])
            write(values)


class HistoryChain:
    """The chain of one history table during a bulk load (see the module docstring)."""

    def __init__(self, model, *, using: str = "default"):
        self.model, self.using = model, using
        self.pk = model._meta.pk.attname
        self.fields = [(f.attname, encode_basestring_ascii(f.attname) + ":", _json_encoder(f))
                       for f in auditchain.hashed_fields(model)]
        self.batches = self.written = 0
        lock_chain(model, using)
        head = latest_head(model, using)
        if head is not None:
            self.prev, self.rows = head.last_hash, head.rows
        else:
            manager = model._default_manager.using(using)
            last = manager.order_by("-pk").values_list("chain_hash", flat=True).first()
            self.prev, self.rows = (last, manager.count()) if last is not None else (auditchain.GENESIS, 0)

    def _hash(self, row: dict, prev: str) -> str:
        # The canonical document (`auditchain.canonical`): compact JSON, keys sorted, NULLs left out.
        content = "{" + ",".join([key + encode(value) for name, key, encode in self.fields
                                  if (value := row[name]) is not None]) + "}"
        return hashlib.sha256(b"%s%s\n%s" % (auditchain.HASH_DOMAIN, prev.encode("ascii"),
                                             content.encode("ascii"))).hexdigest()

    def append(self, rows: list[dict]) -> None:
        """Chain `rows` (every column by attname, the history id given, in id order) after the current head,
        insert them and record the new head."""
        if not rows:
            return
        prev = self.prev
        expected = auditchain.values_hash(self.model, rows[0], prev)
        for row in rows:
            row["chain_prev"] = prev
            row["chain_hash"] = prev = self._hash(row, prev)
        if rows[0]["chain_hash"] != expected:
            raise AssertionError(f"{self.model._meta.label}: the bulk serializer disagrees with the chain's "
                                 f"canonical form for {rows[0]!r}")
        copy_rows(self.model, rows, using=self.using)
        self.prev, self.rows = prev, self.rows + len(rows)
        self.written += len(rows)
        self.batches += 1
        record_head(self.model, last_history_id=rows[-1][self.pk], last_hash=prev, rows=self.rows, using=self.using)
