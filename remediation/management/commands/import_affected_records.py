"""`manage.py import_affected_records INCIDENT FILE [--format csv|jsonl] [--skip-invalid] [--rejects PATH]
[--user USERNAME]`: import an incident's affected records from a CSV or JSON Lines file (README, "Remediation
ledger"; ADR 0013).

Every row is checked first. A bad row stops the import (nothing written) and is reported as one line with its
line number, column and reason (the first 50, then a count); every bad row is written to a rejects CSV (next to the
file, or `--rejects PATH`), and `--skip-invalid` writes the good rows. The file is streamed (ADR 0013); while it is
read the command prints how far it got every few seconds (not with --verbosity 0).
"""

import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from incidents.models import Incident
from inventory.management.commands.import_aibom import acting_user
from portal.core.audit import Source, audit_source
from portal.core.display import counted
from remediation.services import affected_records_import
from remediation.services.imports import FileError
from remediation.services.imports.service import import_counts

SHOWN_ERRORS = 50
PROGRESS_SECONDS = 5.0


class Command(BaseCommand):
    help = "Import the affected records of an incident from a CSV or JSON Lines file."

    def add_arguments(self, parser):
        parser.add_argument("incident", help="The incident's reference (AIIR-2026-0001) or id.")
        parser.add_argument("file", help="The CSV (.csv) or JSON Lines (.jsonl, .ndjson) file.")
        parser.add_argument("--format", choices=["csv", "jsonl"], help="Overrides the format the extension names.")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="Write the good rows and put the bad ones in a rejects CSV.")
        parser.add_argument("--rejects", help="Where the bad rows are written (default: FILE.rejects.csv).")
        parser.add_argument("--user", help="Acting user (default: the PORTAL_USER environment variable).")

    def handle(self, *args, incident, file, format, skip_invalid, rejects, user, **options):
        found = self._incident(incident)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        actor = acting_user(user)
        try:
            with audit_source(Source.COMMAND):
                result = affected_records_import(actor=actor, incident=found, path=path, fmt=format,
                                                 skip_invalid=skip_invalid, rejects_path=rejects,
                                                 progress=self._progress(found, options["verbosity"]))
        except FileError as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except ValidationError as exc:
            raise CommandError(f"Nothing imported: {'; '.join(exc.messages)}") from exc
        if not result.written:
            for error in result.errors[:SHOWN_ERRORS]:
                self.stderr.write(str(error))
            if (hidden := result.error_count - SHOWN_ERRORS) > 0:
                self.stderr.write(f"... and {hidden} more bad rows")
            bad = counted(result.error_count, "bad row")
            raise CommandError(f"Nothing imported: {bad} in {path.name}, all of them in "
                               f"{result.rejects_path} (--skip-invalid writes the good rows).")
        record = result.record
        self.stdout.write(self.style.SUCCESS(
            f"{found.reference}: affected records added from {path.name}: {import_counts(record, result.rows_read)}; "
            f"SHA-256 {record.sha256}."))
        if result.rejects_path:
            self.stdout.write(f"The invalid rows are in {result.rejects_path}.")

    def _progress(self, incident, verbosity):
        """Prints "N of about M rows read" every few seconds while the file is read."""
        if not verbosity:
            return None
        last = time.monotonic()

        def progress(done, total):
            nonlocal last
            if time.monotonic() - last >= PROGRESS_SECONDS:
                last = time.monotonic()
                self.stdout.write(f"{incident.reference}: {done:,} of about {total:,} rows read")
                self.stdout.flush()

        return progress

    def _incident(self, text: str) -> Incident:
        query = Incident.objects.filter(reference=text)
        if text.isdigit():
            query = Incident.objects.filter(pk=int(text)) | query
        found = query.first()
        if found is None:
            raise CommandError(f"No incident {text}.")
        return found
