"""`manage.py import_atlas PATH [--user USERNAME]`: refresh MITRE ATLAS from the official ATLAS.yaml.

Adds new tactics and techniques, updates renamed ones and tactic links, marks techniques that left the file as
retired (never deletes). All or nothing: a malformed file stops the import with the reason and nothing changes.
"""

from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from incidents.services import atlas_import
from incidents.taxonomy_data import load_yaml
from inventory.management.commands.import_aibom import acting_user
from portal.core.audit import Source, audit_source


class Command(BaseCommand):
    help = "Refresh MITRE ATLAS tactics and techniques from the official ATLAS.yaml (atlas-data dist/ATLAS.yaml)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The ATLAS.yaml file.")
        parser.add_argument("--user", help="Acting user (default: the PORTAL_USER environment variable).")

    def handle(self, *args, path, user, **options):
        actor = acting_user(user)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc
        try:
            data = load_yaml(text)
        except yaml.YAMLError as exc:
            raise CommandError(f"Nothing imported: {path} is not valid YAML: {exc}") from exc
        try:
            with audit_source(Source.COMMAND):
                summary = atlas_import(actor=actor, data=data)
        except ValidationError as exc:
            raise CommandError(f"Nothing imported: {'; '.join(exc.messages)}") from exc
        self.stdout.write(self.style.SUCCESS(summary.summary()))
        if not summary.changed:
            self.stdout.write("Nothing changed: the database already matches this file.")
