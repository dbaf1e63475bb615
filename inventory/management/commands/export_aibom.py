"""`manage.py export_aibom SLUG [--output PATH] [--user USERNAME]`: the CycloneDX 1.6 AIBOM of an AI system.

The BOM is validated against the CycloneDX 1.6 schema before anything is written (the export service refuses an
invalid one); it goes to PATH or, without --output, to standard output as JSON indented by two spaces.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory import cyclonedx, services
from inventory.management.commands.import_aibom import acting_user
from inventory.models import AISystem
from portal.core.audit import Source, audit_source


class Command(BaseCommand):
    help = "Export the AIBOM of an AI system as CycloneDX 1.6 JSON."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Slug of the AI system.")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument("--user", help="Acting user (default: the PORTAL_USER environment variable).")

    def handle(self, *args, slug, output, user, **options):
        actor = acting_user(user)
        system = AISystem.objects.filter(slug=slug).first()
        if system is None:
            raise CommandError(f"No AI system with slug {slug!r}.")
        try:
            with audit_source(Source.COMMAND):
                bom = services.aibom_export(actor=actor, system=system)  # validated against the 1.6 schema
        except cyclonedx.BomError as exc:
            raise CommandError(f"The BOM of {slug} does not validate: {exc}") from exc
        text = json.dumps(bom, indent=2, ensure_ascii=False) + "\n"
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror or exc}") from exc
        self.stdout.write(f"Wrote the AIBOM of {slug} ({len(bom['components'])} components) to {output}.")
