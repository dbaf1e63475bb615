"""`manage.py check_slas [--at ISO8601] [--user USERNAME]`: send the SLA notices that are due.

Meant for cron, every few minutes, on as many hosts as run the portal: each notice (incident, target, stage, due
time) is claimed in the database before its mail goes out, so it is sent exactly once whichever host gets there
first. Prints one line per notice sent and a summary. Exits 0; exits 1 only when a mail could not be sent (that
notice stays unclaimed and the next run retries it), so cron reports the failure.
"""

from datetime import UTC

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents import services
from inventory.management.commands.import_aibom import acting_user
from portal.core.audit import Source, audit_source


def parse_moment(text: str):
    """An ISO 8601 date and time; without an offset it is read as UTC."""
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--at: {text!r} is not an ISO 8601 date and time (e.g. 2026-03-06T09:30:00Z).")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Send SLA notices (due soon, breached) for open incidents; safe to run on several hosts at once."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="Evaluate the SLAs at this moment (ISO 8601, UTC if no offset; "
                                         "default: now).")
        parser.add_argument("--user", help="Acting user recorded on the timeline (default: none, a system run).")

    def handle(self, *args, at, user, **options):
        now = parse_moment(at) if at else timezone.now()
        actor = acting_user(user) if user else None
        with audit_source(Source.COMMAND):
            result = services.sla_check(now=now, actor=actor)
        for notice in result:
            to = ", ".join(notice.recipients) or "nobody (no escalation path, commander or compliance officer)"
            self.stdout.write(f"{notice.incident.reference} {notice.target} {notice.get_stage_display().lower()} "
                              f"(due {notice.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC) -> {to}")
        for reference, target, stage, error in result.failed:
            self.stderr.write(f"{reference} {target} {stage}: not sent ({error}); the next run retries.")
        summary = f"{len(result)} SLA notice(s) sent at {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC."
        if result.failed:
            raise CommandError(f"{summary} {len(result.failed)} could not be sent.")
        self.stdout.write(summary)
