"""Raw SQL on history tables, as someone with database access would tamper with them.

On PostgreSQL the tampering is done as the owner of the tables (with two database roles the tests run as the
runtime role, which may not; `portal.core.dbroles.as_owner` switches), which lifts the append-only triggers for the
duration (ALTER TABLE … DISABLE TRIGGER, as an owner can) and puts them back afterwards. Switching roles needs a
connection without an open transaction, so tests that tamper on PostgreSQL commit their data: mark them
`tamper_db` (a transactional test on PostgreSQL, the usual rolled-back one on SQLite)."""

from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection

POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]

tamper_db = pytest.mark.django_db(transaction=POSTGRES, serialized_rollback=POSTGRES)


@contextmanager
def as_owner():
    """The block runs as the owner role of the tables (PostgreSQL; nothing changes on SQLite)."""
    from portal.core import dbroles

    if not POSTGRES:
        yield
        return
    with dbroles.as_owner():
        yield


@contextmanager
def tampering():
    """A cursor on which UPDATE, DELETE and TRUNCATE of history rows and chain heads go through, as the owner."""
    from portal.core import dbroles

    if not POSTGRES:
        with connection.cursor() as cursor:
            yield cursor
        return
    with as_owner(), connection.cursor() as cursor:
        tables = [connection.ops.quote_name(t) for t in dbroles.append_only_tables()]
        if connection.in_atomic_block:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses with deferred checks pending
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield cursor
        finally:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
