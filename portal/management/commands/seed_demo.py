"""`manage.py seed_demo`: demo logins (one per role plus an admin) and a demo organisation's data.

Idempotent: a second run changes nothing. Refuses to run in production mode (DJANGO_DEBUG=false), because it
creates well-known logins. Where the organisation profile is the placeholder, the demo names the fictional Northwind
Financial (its documents, and DEMO_ORGANISATION_FILE, which debug mode reads at the next start).
"""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from portal.core import roles
from portal.core.audit import Source, audit_source
from portal.demo.clock import recorded_at
from portal.demo.incidents import load_incidents
from portal.demo.inventory import load_inventory
from portal.demo.remediation import load_ledger
from portal.demo.reporting import load_reporting
from reporting.profile import organisation_profile

DEMO_USERS = [
    ("compliance", roles.COMPLIANCE_OFFICER, "Clara", "Compliance"),
    ("responder", roles.INCIDENT_RESPONDER, "Rafael", "Responder"),
    ("legal", roles.LEGAL_REVIEWER, "Leah", "Legal"),
    ("leadership", roles.LEADERSHIP, "Lars", "Leadership"),
    ("auditor", roles.AUDITOR, "Aude", "Auditor"),
]

INVENTORY_AGE = timedelta(days=400)

# The fictional organisation of the demo, named in its documents instead of the placeholder.
DEMO_ORGANISATION = {
    "ORGANISATION_NAME": "Northwind Financial plc",
    "ORGANISATION_CONTACT": "Data Protection Officer Dr. Ines Kowalski, dpo@northwind.example, +49 69 5550 1420",
}
DEFAULT_CONTACT = "Data Protection Officer, dpo@example.org"


class Command(BaseCommand):
    help = "Load demo users (one per role, plus an admin superuser) and demo data. Safe to run twice."

    def handle(self, *args, **options):
        if settings.PRODUCTION_MODE:
            raise CommandError(
                "seed_demo creates well-known demo logins and refuses to run in production mode "
                "(DJANGO_DEBUG=false)."
            )
        password = settings.DEMO_PASSWORD
        profile = self._organisation()
        with override_settings(**profile), audit_source(Source.COMMAND), transaction.atomic():
            users, new_users = self._users(password)
            # The inventory was registered before the oldest demo incident (about eleven months ago).
            with recorded_at(timezone.now() - INVENTORY_AGE):
                created = load_inventory(actor=users["admin"], users=users)
            created["incidents"] = load_incidents(users=users)
            created["incidents with regulatory facts"] = load_reporting(users=users)
            created["affected records in the remediation ledger"] = load_ledger(users=users)

        summary = ", ".join(f"{n} {what}" for what, n in created.items())
        self.stdout.write(f"Demo data: created {len(new_users)} users, {summary}.")
        if profile:
            self.stdout.write(f"Demo organisation: {profile['ORGANISATION_NAME']} ({profile['ORGANISATION_CONTACT']})"
                              + (f", written to {settings.DEMO_ORGANISATION_FILE}" if settings.DEMO_ORGANISATION_FILE
                                 else "") + ".")
        self.stdout.write("Demo logins (admin at http://127.0.0.1:8000/admin/):")
        for username, role, *_ in [*DEMO_USERS, ("admin", "superuser")]:
            self.stdout.write(f"  {username:<11} {role:<20} password: {password}")

    def _organisation(self) -> dict:
        """The demo organisation's settings, when the configured organisation is the placeholder (else {}); written
        to DEMO_ORGANISATION_FILE for the next start in debug mode (a file already there is left as it is)."""
        if not organisation_profile().is_placeholder:
            return {}
        profile = dict(DEMO_ORGANISATION)
        if settings.ORGANISATION_CONTACT != DEFAULT_CONTACT:
            profile.pop("ORGANISATION_CONTACT")  # a contact set on purpose stays
        path = Path(settings.DEMO_ORGANISATION_FILE) if settings.DEMO_ORGANISATION_FILE else None
        if path is not None and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("# The demo organisation written by `manage.py seed_demo`; read in debug mode for the\n"
                            "# ORGANISATION_* variables the environment does not set. Delete it to go back to them.\n"
                            + "".join(f"{name}={value}\n" for name, value in DEMO_ORGANISATION.items()))
        return profile

    def _users(self, password):
        User = get_user_model()
        users, new = {}, []
        for username, role, first, last in [*DEMO_USERS, ("admin", None, "Ada", "Admin")]:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(
                    username=username, password=password, email=f"{username}@northwind.example",
                    first_name=first, last_name=last, is_staff=True, is_superuser=role is None,
                )
                if role:
                    user.groups.add(Group.objects.get(name=role))
                new.append(username)
            users[username] = user
        return users, new
