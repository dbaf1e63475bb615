"""`manage.py db_grants`: create (with `--create-role`) or update the runtime database role and its grants.

The portal serves with the runtime role (`DATABASE_URL`) and migrates with the owner role
(`MIGRATION_DATABASE_URL`); see `portal.core.dbroles`. The command runs as the owner, grants the runtime role
SELECT and INSERT only on the history and chain tables (and what it needs elsewhere), and refuses, naming the
problem, when the runtime role could rewrite history anyway (a superuser, a member of the owner role, the owner of
a table). `migrate` applies the same grants after every migration; this command is for setting up the role and for
checking it (`--check` changes nothing).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from portal.core import dbroles


class Command(BaseCommand):
    help = "Create or update the runtime database role and its grants (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument("--create-role", action="store_true",
                            help="Create the runtime role (LOGIN, with DATABASE_URL's password) if it is missing; "
                                 "needs a role allowed to create roles.")
        parser.add_argument("--check", action="store_true", help="Only check the runtime role; change nothing.")

    def handle(self, *args, database, create_role, check, **options):
        if connections[database].vendor != "postgresql":
            self.stdout.write("Nothing to do: database roles exist on PostgreSQL only (the embedded SQLite has none).")
            return
        if not dbroles.separate_roles(database):
            raise CommandError(
                "DATABASE_URL and MIGRATION_DATABASE_URL name the same role: set DATABASE_URL to the runtime role "
                "the portal serves with and MIGRATION_DATABASE_URL to the role that owns the tables (README, "
                "'Database roles').")
        try:
            with dbroles.as_owner(database):
                if create_role and not check and dbroles.create_runtime_role(database):
                    self.stdout.write(f"Created the runtime role {dbroles.runtime_role()}.")
                problems = dbroles.check_runtime_role(database)
                if problems:
                    raise CommandError("\n".join(problems))
                if check:
                    self.stdout.write(f"The runtime role {dbroles.runtime_role()} is fit to serve the portal.")
                    return
                report = dbroles.grant_runtime(database)
        except dbroles.RoleError as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:  # a database error (no CREATEROLE, no connection): one line, not a traceback
            if isinstance(exc, CommandError):
                raise
            raise CommandError(f"{type(exc).__name__}: {exc}".strip()) from exc
        self.stdout.write(self.style.SUCCESS(report.summary()))
