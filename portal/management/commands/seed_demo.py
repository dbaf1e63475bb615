"""`manage.py seed_demo`: demo logins (one per role plus an admin) and a demo organisation's data.

Idempotent: a second run changes nothing. Refuses to run in production mode (DJANGO_DEBUG=false), because it
creates well-known logins.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from portal.core import roles
from portal.core.audit import Source, audit_source
from portal.demo.clock import recorded_at
from portal.demo.incidents import load_incidents
from portal.demo.inventory import load_inventory
from portal.demo.reporting import load_reporting

DEMO_USERS = [
    ("compliance", roles.COMPLIANCE_OFFICER, "Clara", "Compliance"),
    ("responder", roles.INCIDENT_RESPONDER, "Rafael", "Responder"),
    ("legal", roles.LEGAL_REVIEWER, "Leah", "Legal"),
    ("leadership", roles.LEADERSHIP, "Lars", "Leadership"),
    ("auditor", roles.AUDITOR, "Aude", "Auditor"),
]

INVENTORY_AGE = timedelta(days=400)


class Command(BaseCommand):
    help = "Load demo users (one per role, plus an admin superuser) and demo data. Safe to run twice."

    def handle(self, *args, **options):
        if settings.PRODUCTION_MODE:
            raise CommandError(
                "seed_demo creates well-known demo logins and refuses to run in production mode "
                "(DJANGO_DEBUG=false)."
            )
        password = settings.DEMO_PASSWORD
        with audit_source(Source.COMMAND), transaction.atomic():
            users, new_users = self._users(password)
            # The inventory was registered before the oldest demo incident (about eleven months ago).
            with recorded_at(timezone.now() - INVENTORY_AGE):
                created = load_inventory(actor=users["admin"], users=users)
            created["incidents"] = load_incidents(users=users)
            created["incidents with regulatory facts"] = load_reporting(users=users)

        summary = ", ".join(f"{n} {what}" for what, n in created.items())
        self.stdout.write(f"Demo data: created {len(new_users)} users, {summary}.")
        self.stdout.write("Demo logins (admin at http://127.0.0.1:8000/admin/):")
        for username, role, *_ in [*DEMO_USERS, ("admin", "superuser")]:
            self.stdout.write(f"  {username:<11} {role:<20} password: {password}")

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
