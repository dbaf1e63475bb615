"""Two database roles on PostgreSQL: the owner, which runs migrations, and the runtime role the portal serves with.

`DATABASE_URL` names the runtime role, `MIGRATION_DATABASE_URL` the owner (it defaults to `DATABASE_URL`: one role,
as with the embedded SQLite, which has no roles). The owner owns every table; the runtime role owns nothing and
is granted, by `grant_runtime` (run by `migrate` after every migration, and by `manage.py db_grants`):

- on the history tables and the chain heads: SELECT and INSERT only, so the running portal can append history
  but never UPDATE, DELETE or TRUNCATE it (and, owning nothing, it cannot ALTER a table or disable a trigger);
- on django_migrations: SELECT only;
- on every other table of the portal's schema: SELECT, INSERT, UPDATE, DELETE; on its sequences: USAGE, SELECT.

`as_owner()` switches a connection to the owner's credentials for the commands that need it (`migrate`,
`db_grants`, the test database set-up); it refuses inside a transaction.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import environ
from django.conf import settings
from django.db import connections

CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")
READ_ONLY_TABLES = ("django_migrations",)
# What the runtime role must never hold on a history or chain table.
FORBIDDEN_ON_HISTORY = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")


class RoleError(Exception):
    """The database roles are not set up as the portal needs; the message says what to do."""


def _config(url: str) -> dict:
    return environ.Env.db_url_config(url) if url else {}


def _owner_credentials(alias: str) -> dict | None:
    """The owner's credentials when they differ from the connection's, else None."""
    url = getattr(settings, "MIGRATION_DATABASE_URL", "")
    if not url or url == getattr(settings, "DATABASE_URL", ""):
        return None
    owner = _config(url)
    current = connections[alias].settings_dict
    if owner.get("ENGINE") != current.get("ENGINE"):
        raise RoleError("MIGRATION_DATABASE_URL names another kind of database than DATABASE_URL.")
    credentials = {key: owner.get(key, "") for key in CREDENTIALS}
    if all(str(current.get(key) or "") == str(credentials[key] or "") for key in CREDENTIALS):
        return None
    return credentials


def owner_credentials() -> dict:
    """USER, PASSWORD, HOST and PORT of the owner role (MIGRATION_DATABASE_URL)."""
    owner = _config(getattr(settings, "MIGRATION_DATABASE_URL", ""))
    return {key: owner.get(key, "") for key in CREDENTIALS}


def runtime_credentials() -> dict:
    """USER, PASSWORD, HOST and PORT of the runtime role (DATABASE_URL)."""
    runtime = _config(getattr(settings, "DATABASE_URL", ""))
    return {key: runtime.get(key, "") for key in CREDENTIALS}


def owner_role() -> str:
    return _config(getattr(settings, "MIGRATION_DATABASE_URL", "")).get("USER", "")


def runtime_role() -> str:
    return _config(getattr(settings, "DATABASE_URL", "")).get("USER", "")


def separate_roles(alias: str = "default") -> bool:
    """Does the portal serve with a role other than the one that owns its tables (PostgreSQL)?"""
    connection = connections[alias]
    return (connection.vendor == "postgresql" and bool(runtime_role()) and bool(owner_role())
            and runtime_role() != owner_role())


@contextmanager
def as_owner(alias: str = "default"):
    """Run the block on `alias` with the owner's credentials (nothing changes when they are the connection's)."""
    credentials = _owner_credentials(alias)
    if credentials is None:
        yield
        return
    connection = connections[alias]
    if connection.in_atomic_block:
        raise RoleError("Cannot switch to the owner role inside a transaction.")
    saved = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    connection.close()
    connection.settings_dict.update(credentials)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


# --- grants -------------------------------------------------------------------------------------------------------

def append_only_tables() -> list[str]:
    """The tables the runtime role may only read and append to: every chained history table, the chain heads,
    the verified points."""
    from django.apps import apps

    from portal.core.auditchain import chained_models

    return sorted({m._meta.db_table for m in chained_models()} | {
        apps.get_model("core", "ChainHead")._meta.db_table, apps.get_model("core", "ChainVerification")._meta.db_table})


@dataclass(frozen=True)
class GrantReport:
    runtime: str
    append_only: list[str]
    read_only: list[str]
    read_write: list[str]
    sequences: int

    def summary(self) -> str:
        return (f"Runtime role {self.runtime}: SELECT, INSERT on {len(self.append_only)} history and chain tables; "
                f"SELECT on {len(self.read_only)}; SELECT, INSERT, UPDATE, DELETE on {len(self.read_write)} other "
                f"tables; USAGE on {self.sequences} sequences. It owns nothing: no TRUNCATE, ALTER or trigger "
                "control.")


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def role_exists(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
    return cursor.fetchone() is not None


def create_runtime_role(alias: str = "default") -> bool:
    """Create the runtime role (LOGIN, with DATABASE_URL's password) if it does not exist; needs CREATEROLE.
    True when it was created."""
    connection = connections[alias]
    name = runtime_role()
    password = _config(settings.DATABASE_URL).get("PASSWORD") or None
    with connection.cursor() as cursor:
        if role_exists(cursor, name):
            return False
        sql = f"CREATE ROLE {_quote(connection, name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"
        cursor.execute(sql + (" PASSWORD %s" if password else ""), [password] if password else None)
    return True


def check_runtime_role(alias: str = "default") -> list[str]:
    """What is wrong with the runtime role for the promise it carries (empty: nothing)."""
    connection = connections[alias]
    name, owner = runtime_role(), owner_role()
    problems = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = %s", [name])
        found = cursor.fetchone()
        if found is None:
            return [f"The runtime role {name} does not exist: create it (CREATE ROLE {name} LOGIN PASSWORD '…') or "
                    "run `manage.py db_grants --create-role` as a role allowed to create roles."]
        superuser, bypass_rls, create_role = found
        if superuser:
            problems.append(f"The runtime role {name} is a superuser: it can do anything, triggers included.")
        if bypass_rls or create_role:
            problems.append(f"The runtime role {name} has BYPASSRLS or CREATEROLE: revoke them.")
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [name, owner])
        if cursor.fetchone()[0]:
            problems.append(f"The runtime role {name} is a member of the owner role {owner}: it could act as the "
                            "owner (REVOKE the membership).")
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND pg_get_userbyid(c.relowner) = %s AND c.relkind IN ('r', 'p') "
            "ORDER BY 1", [name])
        owned = [row[0] for row in cursor.fetchall()]
        if owned:
            problems.append(f"The runtime role {name} owns tables ({', '.join(owned[:5])}"
                            f"{' …' if len(owned) > 5 else ''}): REASSIGN OWNED BY {name} TO {owner}.")
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        present = {row[0] for row in cursor.fetchall()}
        for table in [t for t in append_only_tables() if t in present]:
            cursor.execute("SELECT " + ", ".join(
                f"has_table_privilege(%s, %s, '{p}')" for p in FORBIDDEN_ON_HISTORY), [name, table] * len(
                FORBIDDEN_ON_HISTORY))
            held = [p for p, has in zip(FORBIDDEN_ON_HISTORY, cursor.fetchone(), strict=True) if has]
            if held:
                problems.append(f"The runtime role {name} holds {', '.join(held)} on {table}: run "
                                "`manage.py db_grants`.")
    return problems


def grant_runtime(alias: str = "default") -> GrantReport:
    """Grant the runtime role what it needs and nothing more (see the module docstring). Run as the owner;
    idempotent. Tables the owner does not own are refused, naming them."""
    connection = connections[alias]
    runtime = runtime_role()
    quoted = _quote(connection, runtime)
    append_only = set(append_only_tables())
    with connection.cursor() as cursor:
        if not role_exists(cursor, runtime):
            raise RoleError(check_runtime_role(alias)[0])
        cursor.execute("SELECT current_database(), current_schema(), current_user")
        database, schema, me = cursor.fetchone()
        cursor.execute(
            "SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'S') "
            "ORDER BY c.relname", [schema])
        relations = cursor.fetchall()
        foreign = [name for name, _kind, owner in relations if owner != me]
        if foreign:
            raise RoleError(f"Tables not owned by the owner role {me}: {', '.join(foreign[:5])}"
                            f"{' …' if len(foreign) > 5 else ''}; ALTER TABLE … OWNER TO {me} first.")
        cursor.execute(f"GRANT CONNECT ON DATABASE {_quote(connection, database)} TO {quoted}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {_quote(connection, schema)} TO {quoted}")
        cursor.execute(f"REVOKE CREATE ON SCHEMA {_quote(connection, schema)} FROM {quoted}")
        read_only, read_write, sequences = [], [], 0
        for name, kind, _owner in relations:
            target = _quote(connection, name)
            if kind == "S":
                cursor.execute(f"REVOKE ALL ON SEQUENCE {target} FROM {quoted}")
                cursor.execute(f"GRANT USAGE, SELECT ON SEQUENCE {target} TO {quoted}")
                sequences += 1
                continue
            cursor.execute(f"REVOKE ALL ON TABLE {target} FROM {quoted}")
            if name in append_only:
                cursor.execute(f"GRANT SELECT, INSERT ON TABLE {target} TO {quoted}")
            elif name in READ_ONLY_TABLES:
                cursor.execute(f"GRANT SELECT ON TABLE {target} TO {quoted}")
                read_only.append(name)
            else:
                cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {target} TO {quoted}")
                read_write.append(name)
    present = {name for name, kind, _owner in relations if kind != "S"}
    return GrantReport(runtime=runtime, append_only=sorted(append_only & present), read_only=read_only,
                       read_write=read_write, sequences=sequences)
