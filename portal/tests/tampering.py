"""Raw SQL on history tables, as someone with database access would tamper with them. On PostgreSQL the
append-only trigger is bypassed for the duration with `session_replication_role = replica` (the test database user
is a superuser) and restored afterwards."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def tampering():
    """A cursor on which UPDATE and DELETE of history rows go through, on SQLite and PostgreSQL alike."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            if postgres:
                cursor.execute("SET session_replication_role = DEFAULT")
