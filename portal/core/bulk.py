"""Inserting many rows at once without model instances: COPY on PostgreSQL, one executemany elsewhere; and
updating many rows, each with its own values, in one executemany.

For bulk writes of thousands of rows whose values are already validated (history rows, timeline events of an
import): building a model instance per row and Django's per-value preparation of an INSERT cost more than the
database does; COPY takes the rows as they are. The rows get their ids from the database, in row order.
"""

import json
from functools import partial

from django.db import connections


def insert_rows(model, rows: list[dict], *, using: str = "default") -> None:
    """Insert `rows` (dicts of attname -> Python value, all with the same keys; the primary key left to the
    database) into `model`'s table, in order. No `save()`, no signals, no validation: the caller did that."""
    if not rows:
        return
    connection = connections[using]
    attnames = list(rows[0])
    fields = {f.attname: f for f in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(fields[name].column) for name in attnames)
    table = quote(model._meta.db_table)
    if connection.vendor != "postgresql":  # one statement executed for every row (SQLite: no variable limit)
        prepared = [fields[name] for name in attnames]
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(attnames))})"  # noqa: S608  # nosec B608  # the model's names, not input
        with connection.cursor() as cursor:
            cursor.executemany(sql, [
                [field.get_db_prep_save(row[field.attname], connection) for field in prepared] for row in rows])
        return
    from psycopg.types.json import Jsonb

    json_columns = [
        (i, partial(json.dumps, cls=fields[name].encoder)) for i, name in enumerate(attnames)
        if fields[name].get_internal_type() == "JSONField"
    ]
    sql = f"COPY {table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            values = [row[name] for name in attnames]
            for i, dumps in json_columns:
                if values[i] is not None:
                    values[i] = Jsonb(values[i], dumps=dumps)
            copy.write_row(values)


def update_rows(model, rows: list[dict], *, fields: list[str], using: str = "default") -> None:
    """Set `fields` (attnames) of each row to its own values: `rows` are dicts of the primary key's attname and
    `fields` -> Python value. One UPDATE statement executed for every row (one round of `executemany`, pipelined on
    PostgreSQL), where `bulk_update`'s CASE expressions are split into batches by SQLite's 999 parameters. No
    `save()`, no signals, no validation, no history: the caller does that (`portal.core.history.history_in_bulk`)."""
    if not rows:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    concrete = {f.attname: f for f in model._meta.concrete_fields}
    pk = model._meta.pk
    prepared = [concrete[name] for name in fields]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in prepared)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s"  # noqa: S608  # nosec B608  # the model's names, not input
    with connection.cursor() as cursor:
        cursor.executemany(sql, [
            [*(field.get_db_prep_save(row[field.attname], connection) for field in prepared),
             pk.get_db_prep_save(row[pk.attname], connection)]
            for row in rows])
