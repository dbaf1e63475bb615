"""`manage.py migrate`, run as the database owner role (`MIGRATION_DATABASE_URL`), followed on PostgreSQL with a
separate runtime role (`DATABASE_URL`) by that role's grants (`portal.core.dbroles.grant_runtime`), so that a new
table is never left without them. With one role (and on SQLite) it is Django's `migrate` unchanged."""

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate

from portal.core import dbroles


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Runs as the owner role (MIGRATION_DATABASE_URL) and then grants the runtime role."

    def handle(self, *args, **options):
        alias = options["database"]
        try:
            with dbroles.as_owner(alias):
                super().handle(*args, **options)
                if dbroles.separate_roles(alias) and not options.get("plan"):
                    self._grant(alias, options["verbosity"])
        except dbroles.RoleError as exc:
            raise CommandError(str(exc)) from exc

    def _grant(self, alias, verbosity):
        problems = dbroles.check_runtime_role(alias)
        if problems:
            for problem in problems:
                self.stderr.write(f"Runtime role: {problem}")
            self.stderr.write("Grants not applied; run `manage.py db_grants` once the runtime role is fixed.")
            return
        report = dbroles.grant_runtime(alias)
        if verbosity >= 1:
            self.stdout.write(report.summary())
