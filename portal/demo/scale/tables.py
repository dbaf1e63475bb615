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
from json.encoder import encode_basestring_ascii

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


def _json_encoder(field):
    """A function giving the JSON text of `auditchain.canonical_value(field, value)` as the canonical document
    holds it (compact, sorted keys, ASCII), for the values the generator writes."""
    target = _target(field)
    kind = target.get_internal_type()
    if kind in _INTEGER:
        return lambda value: str(int(value))
    if kind in _TEXT:
        return _Cache(encode_basestring_ascii).__getitem__
    if kind == "BooleanField":
        return lambda value: "true" if value else "false"
    if kind == "DateTimeField":
        return lambda value: f'"{value.astimezone(UTC).isoformat(timespec="microseconds")}"'
    return lambda value: json.dumps(auditchain.canonical_value(target, value), sort_keys=True,
                                    separators=(",", ":"), ensure_ascii=True, default=str)


def _copy_encoder(field):
    """A function giving a value's text in PostgreSQL's COPY text format (NULL handled by the caller)."""
    target = _target(field)
    kind = target.get_internal_type()

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    if kind in _INTEGER:
        return str
    if kind in _TEXT:
        return _Cache(escape).__getitem__
    if kind == "BooleanField":
        return lambda value: "t" if value else "f"
    if kind == "DateTimeField":
        return lambda value: value.isoformat()
    if kind == "JSONField":
        return lambda value: escape(json.dumps(value, cls=target.encoder))
    return lambda value: escape(str(value))


def copy_rows(model, rows: list[dict], *, using: str = "default") -> None:
    """Insert `rows` ({attname: value}, the same keys in each) into `model`'s table: COPY in text format written in
    large blocks on PostgreSQL (several times faster than a row at a time), `portal.core.bulk.insert_rows`
    elsewhere."""
    if not rows:
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        insert_rows(model, rows, using=using)
        return
    fields = {f.attname: f for f in model._meta.concrete_fields}
    names = list(rows[0])
    encoders = [_copy_encoder(fields[name]) for name in names]
    columns = list(zip(names, encoders, strict=True))
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(fields[n].column) for n in names)}) FROM STDIN"
    connection.ensure_connection()
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        block = []
        for row in rows:
            block.append("\t".join(["\\N" if (v := row[n]) is None else enc(v) for n, enc in columns]))
            if len(block) >= 5000:
                copy.write(("\n".join(block) + "\n").encode())
                block = []
        if block:
            copy.write(("\n".join(block) + "\n").encode())


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
