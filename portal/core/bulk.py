"""Inserting many rows at once without model instances: COPY on PostgreSQL, `bulk_create` elsewhere.

For bulk writes of thousands of rows whose values are already validated (history rows, timeline events of an
import): building a model instance per row and Django's per-value preparation of an INSERT cost more than the
database does; COPY takes the rows as they are. The rows get their ids from the database, in row order.
"""

import json
from functools import partial

from django.db import connections, models


def insert_rows(model, rows: list[dict], *, using: str = "default", batch_size: int = 1000) -> None:
    """Insert `rows` (dicts of attname -> Python value, all with the same keys; the primary key left to the
    database) into `model`'s table, in order. No `save()`, no signals, no validation: the caller did that."""
    if not rows:
        return
    connection = connections[using]
    attnames = list(rows[0])
    fields = {f.attname: f for f in model._meta.concrete_fields}
    if connection.vendor != "postgresql":
        plain = models.QuerySet(model, using=using)  # a plain queryset: the rows are complete as they are
        plain.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return
    from psycopg.types.json import Jsonb

    json_columns = [
        (i, partial(json.dumps, cls=fields[name].encoder)) for i, name in enumerate(attnames)
        if fields[name].get_internal_type() == "JSONField"
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(fields[name].column) for name in attnames)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            values = [row[name] for name in attnames]
            for i, dumps in json_columns:
                if values[i] is not None:
                    values[i] = Jsonb(values[i], dumps=dumps)
            copy.write_row(values)
