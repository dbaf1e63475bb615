"""Root test configuration: local (debug) settings unless a test says otherwise, and shared fixtures.

On PostgreSQL with two database roles (`MIGRATION_DATABASE_URL` naming the owner, `DATABASE_URL` the runtime role,
as `.ci/run` sets them), the test databases are created and migrated by the owner (`migrate` then grants the
runtime role), and the tests run as the runtime role: what the running portal may do is what the tests may do.
The few steps that need the owner switch to it for their duration: dropping the test databases, and the flush and
reload around transactional tests (the flush truncates history tables, whose TRUNCATE trigger the owner lifts).
"""

import os
from contextlib import contextmanager

os.environ.setdefault("DJANGO_DEBUG", "true")

import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """No test may reach the network: any socket connection outside loopback fails loudly."""
    import socket

    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise RuntimeError(f"Tests may not reach the network (tried {address!r}).")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


# --- database roles ---------------------------------------------------------------------------------------------

def _use(credentials):
    from django.conf import settings
    from django.db import connections

    connections["default"].close()
    settings.DATABASES["default"].update(credentials)
    connections["default"].settings_dict.update(credentials)


def _two_roles() -> bool:
    from django.conf import settings

    from portal.core import dbroles

    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" in engine and dbroles.runtime_role() != dbroles.owner_role() and bool(dbroles.owner_role())


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The owner creates and migrates the test databases (two roles only)."""
    from portal.core import dbroles

    if _two_roles():
        _use(dbroles.owner_credentials())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Once the test databases exist (and `migrate` has granted the runtime role), the tests run as the runtime
    role; the owner drops the databases at the end."""
    from portal.core import dbroles

    if not _two_roles():
        yield
        return
    with django_db_blocker.unblock():
        _use(dbroles.runtime_credentials())
    yield
    with django_db_blocker.unblock():
        _use(dbroles.owner_credentials())


@contextmanager
def _as_owner_with_triggers_lifted():
    """Around a transactional test, as the owner with the append-only triggers of the history and chain tables
    lifted (PostgreSQL): the flush truncates every table, and a serialized rollback reloads the chain heads
    (trying an UPDATE of each first)."""
    from django.db import connection

    from portal.core import dbroles

    if connection.vendor != "postgresql":
        yield
        return
    with dbroles.as_owner(), connection.cursor() as cursor:
        tables = [connection.ops.quote_name(t) for t in dbroles.append_only_tables()]
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _empty_before_reload(cls):
    """A serialized rollback reloads the database as it was after the migrations, row by row with their ids. A
    transactional test before it may have flushed the tables and let `post_migrate` create content types and
    permissions again under new ids, which the reload would then meet as duplicates: empty the tables first."""
    from django.core.management import call_command
    from django.db import connections

    for alias in cls._databases_names(include_mirrors=False):
        if getattr(connections[alias], "_test_serialized_contents", None):
            # Sequences keep counting (as the test case's own flush does): the reloaded rows take their old ids.
            call_command("flush", database=alias, interactive=False, verbosity=0, inhibit_post_migrate=True,
                         reset_sequences=False, allow_cascade=cls.available_apps is not None)


def pytest_configure(config):
    from django.test import TransactionTestCase

    setup = TransactionTestCase._fixture_setup.__func__  # a classmethod
    teardown = TransactionTestCase._fixture_teardown

    def _fixture_setup(cls):
        with _as_owner_with_triggers_lifted():
            if cls.serialized_rollback:
                _empty_before_reload(cls)
            setup(cls)

    def _fixture_teardown(self):
        with _as_owner_with_triggers_lifted():
            teardown(self)

    TransactionTestCase._fixture_setup = classmethod(_fixture_setup)
    TransactionTestCase._fixture_teardown = _fixture_teardown


# --- shared fixtures ---------------------------------------------------------------------------------------------

@pytest.fixture
def role_users(db):
    """One staff user per role, named after it, plus an `admin` superuser: {role_name: user}."""
    from portal.tests.factories import make_role_users

    return make_role_users()


@pytest.fixture(scope="session")
def audit_signing_key_file(tmp_path_factory):
    """An Ed25519 audit signing key for the session (checkpoints, audit bundles)."""
    from portal.core.auditchain import checkpoints

    path = tmp_path_factory.mktemp("audit-key") / "audit-signing.pem"
    checkpoints.generate_key(path)
    return path


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path, audit_signing_key_file):
    """Uploaded files (evidence), files of jobs and audit checkpoints go to a per-test folder, never into the
    project; the session's signing key signs."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.AUDIT_SIGNING_KEY_FILE = str(audit_signing_key_file)
    settings.JOB_RESULT_DIR = str(tmp_path / "jobs")


@pytest.fixture
def client_as(role_users):
    """`client_as(role)`: a client signed in as the user of `role` ("admin" for the superuser); None: anonymous."""
    from django.test import Client

    def make(role):
        client = Client()
        if role is not None:
            client.force_login(role_users[role])
        return client

    return make


@pytest.fixture
def compliance(role_users):
    from portal.core import roles

    return role_users[roles.COMPLIANCE_OFFICER]
