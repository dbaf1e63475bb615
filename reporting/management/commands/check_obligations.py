"""`manage.py check_obligations [--at ISO8601] [--user USERNAME]`: send regulatory deadline reminders.

Meant for cron next to `check_slas`: the Accountable for "notify a regulator" hears of each open obligation
OBLIGATION_REMINDER_HOURS before its deadline and again when it is breached, once each, whichever host runs it.
Exits 1 only when a mail could not be sent (that reminder is retried by the next run).
"""

from datetime import UTC

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incidents.management.commands.check_slas import parse_moment
from inventory.management.commands.import_aibom import acting_user
from portal.core.audit import Source, audit_source
from reporting.services.reminders import obligation_reminders_check


class Command(BaseCommand):
    help = "Send reminders for regulatory obligations due soon or overdue; safe to run on several hosts at once."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="Check at this moment (ISO 8601, UTC if no offset; default: now).")
        parser.add_argument("--user", help="Acting user recorded on the timeline (default: none, a system run).")

    def handle(self, *args, at, user, **options):
        now = parse_moment(at) if at else timezone.now()
        actor = acting_user(user) if user else None
        with audit_source(Source.COMMAND):
            result = obligation_reminders_check(now=now, actor=actor)
        for notice in result:
            o = notice.obligation
            self.stdout.write(f"{o.incident.reference} {o.key} {notice.get_stage_display().lower()} "
                              f"(due {o.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC) -> "
                              f"{', '.join(notice.recipients) or 'nobody'}")
        for key, reference, stage, error in result.failed:
            self.stderr.write(f"{reference} {key} {stage}: not sent ({error}); the next run retries.")
        summary = f"{len(result)} deadline reminder(s) sent at {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC."
        if result.failed:
            raise CommandError(f"{summary} {len(result.failed)} could not be sent.")
        self.stdout.write(summary)
