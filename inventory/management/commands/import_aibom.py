"""`manage.py import_aibom PATH --system SLUG [--user USERNAME]`: import a CycloneDX 1.6 AIBOM (PATH `-`: stdin).

All or nothing: any problem stops the import with the reason (JSON path and rule) and nothing is written.
History rows and timeline events name the acting user and say the change came from a command.
"""

import contextlib
import io
import os
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inventory import cyclonedx, services
from portal.core.audit import Source, audit_source

PROGRESS_ABOVE = 100  # components; larger BOMs print a line every 10 %


def acting_user(username: str | None):
    """The active user named by --user or, failing that, the PORTAL_USER environment variable."""
    name = username or os.environ.get("PORTAL_USER", "")
    if not name:
        raise CommandError("Name the acting user with --user USERNAME or the PORTAL_USER environment variable.")
    user = get_user_model().objects.filter(username=name, is_active=True).first()
    if user is None:
        origin = "--user" if username else "PORTAL_USER"
        raise CommandError(f"No active user named {name!r} (from {origin}); name an existing active user.")
    return user


class Command(BaseCommand):
    help = "Import a CycloneDX 1.6 AIBOM (JSON) into an AI system; creates the system if the slug is new."

    def add_arguments(self, parser):
        parser.add_argument("path", help="BOM file, or - to read standard input.")
        parser.add_argument("--system", required=True, help="Slug of the AI system to import into.")
        parser.add_argument("--user", help="Acting user (default: the PORTAL_USER environment variable).")

    def handle(self, *args, path, system, user, **options):
        actor = acting_user(user)
        with self._open(path) as source:  # read as a stream by the import, never held whole
            try:
                with audit_source(Source.COMMAND):
                    result = services.aibom_import(actor=actor, bom=source, system_slug=system,
                                                   progress=self._progress())
            except cyclonedx.BomError as exc:
                raise CommandError(f"Nothing imported: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def _open(self, path: str):
        if path == "-":
            if hasattr(sys.stdin, "buffer"):
                return contextlib.nullcontext(sys.stdin.buffer)
            return contextlib.nullcontext(io.BytesIO(sys.stdin.read().encode("utf-8")))
        try:
            return Path(path).open("rb")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc

    def _progress(self):
        last = {"tenth": 0}

        def report(done: int, total: int) -> None:
            if total <= PROGRESS_ABOVE:
                return
            tenth = done * 10 // total
            if tenth > last["tenth"]:
                last["tenth"] = tenth
                self.stdout.write(f"  {done}/{total} components ({tenth * 10} %)")

        return report
