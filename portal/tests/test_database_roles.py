# ruff: noqa: S608  (raw SQL on the models' own table names, never on input: what an intruder would try)
"""The two database roles: the portal serves with a runtime role that may only SELECT and INSERT on the history and
chain tables, and cannot lift a trigger or truncate; the owner migrates (`migrate` grants the runtime role) and
`db_grants` sets the role up or checks it.

The PostgreSQL tests need the suite to run as the runtime role (`.ci/run` sets `DATABASE_URL` to it and
`MIGRATION_DATABASE_URL` to the owner); run with one role, they skip saying so.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from inventory.models import AISystem
from inventory.tests.factories import AISystemFactory
from portal.core import auditchain, dbroles
from portal.core.models import ChainHead
from portal.tests.factories import make_user

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"
as_runtime = pytest.mark.skipif(
    not (POSTGRES and dbroles.separate_roles()),
    reason="needs PostgreSQL with the runtime role (DATABASE_URL) apart from the owner (MIGRATION_DATABASE_URL)")

HISTORY = AISystem.history.model


def quoted(model):
    return connection.ops.quote_name(model._meta.db_table)


@pytest.fixture
def history(db):
    actor = make_user("role-writer")
    return AISystemFactory(actor=actor)


def refused(sql):
    """The error PostgreSQL gives the connection's role for `sql` (in a savepoint), or None if it ran."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError as exc:
        return str(exc)
    return None


@as_runtime
@pytest.mark.parametrize("model", [HISTORY, ChainHead], ids=["history table", "chain heads"])
def test_the_runtime_role_cannot_update_delete_truncate_or_lift_triggers(history, model):
    table = quoted(model)
    attempts = {
        "UPDATE": f"UPDATE {table} SET chain_hash = ''" if model is HISTORY else f"UPDATE {table} SET last_hash = ''",
        "DELETE": f"DELETE FROM {table}",
        "TRUNCATE": f"TRUNCATE {table}",
        "DISABLE TRIGGER": f"ALTER TABLE {table} DISABLE TRIGGER {auditchain.TRIGGER}",
        "DISABLE ALL TRIGGERS": f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        "DROP TRIGGER": f"DROP TRIGGER {auditchain.TRIGGER} ON {table}",
        "replica mode": "SET session_replication_role = replica",
    }
    outcomes = {what: refused(sql) for what, sql in attempts.items()}

    assert all(outcomes.values()), {what: "allowed" for what, error in outcomes.items() if error is None}
    assert all("permission denied" in error or "must be owner" in error for error in outcomes.values()), outcomes
    assert auditchain.verify_chain(HISTORY).ok


@as_runtime
def test_the_runtime_role_appends_history_and_heads_as_the_portal_does(history):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == dbroles.runtime_role()
    before = ChainHead.objects.filter(label=HISTORY._meta.label).count()

    AISystemFactory(actor=make_user("second-writer"))

    assert ChainHead.objects.filter(label=HISTORY._meta.label).count() == before + 1
    assert auditchain.verify_chain(HISTORY).ok


@as_runtime
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_db_grants_checks_the_runtime_role_and_reapplies_its_grants():
    """`db_grants` switches to the owner, so it runs outside a transaction, as a command does."""
    out = StringIO()
    call_command("db_grants", "--check", stdout=out)
    assert f"The runtime role {dbroles.runtime_role()} is fit to serve the portal." in out.getvalue()

    out = StringIO()
    call_command("db_grants", stdout=out)
    assert "SELECT, INSERT on" in out.getvalue() and "no TRUNCATE, ALTER or trigger control" in out.getvalue()
    assert refused(f"DELETE FROM {quoted(HISTORY)}")  # still refused after a re-grant


@as_runtime
def test_the_runtime_role_holds_no_forbidden_privilege_on_any_history_table():
    with connection.cursor() as cursor:
        for table in dbroles.append_only_tables():
            cursor.execute(
                "SELECT " + ", ".join(f"has_table_privilege(current_user, %s, '{p}')"
                                      for p in ("SELECT", "INSERT", *dbroles.FORBIDDEN_ON_HISTORY)),
                [table] * (2 + len(dbroles.FORBIDDEN_ON_HISTORY)))
            select, insert, *forbidden = cursor.fetchone()
            assert select and insert, table
            assert not any(forbidden), (table, dict(zip(dbroles.FORBIDDEN_ON_HISTORY, forbidden, strict=True)))


def test_db_grants_on_sqlite_says_there_is_nothing_to_do(settings):
    if POSTGRES:
        pytest.skip("SQLite only")
    out = StringIO()
    call_command("db_grants", stdout=out)
    assert "Nothing to do" in out.getvalue()


def test_db_grants_refuses_one_role_for_both_jobs(settings):
    if not POSTGRES:
        pytest.skip("PostgreSQL only")
    settings.MIGRATION_DATABASE_URL = settings.DATABASE_URL
    with pytest.raises(CommandError, match="name the same role"):
        call_command("db_grants", stdout=StringIO())
