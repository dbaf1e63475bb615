"""`manage.py create_api_token --user U --scope read --scope alert_intake --name N [--expires 2027-01-31]`.

Creates an API token for user U and prints its key once (it is not stored: only its digest is). The acting user
on the token's history is `--actor`, else the PORTAL_USER environment variable, else U.
"""

import os
from datetime import UTC, datetime, time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.core import tokens
from portal.core.audit import Source, audit_source
from portal.core.models import TokenScope


def _user(username, origin):
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"{origin}: no user named {username!r}.") from exc


def _expiry(value):
    """A date (the token expires at the start of that day, UTC) or an ISO 8601 date-time with a time zone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--expires: {value!r} is not an ISO 8601 date or date-time.") from exc
    if len(value) == 10:
        moment = datetime.combine(moment.date(), time(0), tzinfo=UTC)
    if timezone.is_naive(moment):
        raise CommandError("--expires: give the time zone (e.g. 2027-01-31T00:00:00Z), or a date.")
    return moment


class Command(BaseCommand):
    help = "Create an API token for a user and print its key once."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="The user the token acts as.")
        parser.add_argument("--scope", action="append", required=True, choices=TokenScope.values,
                            help="A scope (repeat for several): read, write, alert_intake.")
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument("--expires", help="Expiry: a date (UTC midnight) or an ISO 8601 date-time with zone.")
        parser.add_argument("--actor", help="Acting user for the history (default: PORTAL_USER, else --user).")

    def handle(self, *args, **options):
        user = _user(options["user"], "--user")
        actor_name = options["actor"] or os.environ.get("PORTAL_USER", "")
        actor = _user(actor_name, "--actor" if options["actor"] else "PORTAL_USER") if actor_name else user
        expires_at = _expiry(options["expires"]) if options["expires"] else None
        try:
            with audit_source(Source.COMMAND):
                token, raw_key = tokens.api_token_create(actor=actor, user=user, name=options["name"],
                                                         scopes=options["scope"], expires_at=expires_at)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"token": exc.messages}
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())) from exc
        self.stderr.write(f"Created API token {token.prefix}… ({token.name}) for {user} with scopes "
                          f"{', '.join(token.scopes)}. The key is shown this once:")
        self.stdout.write(raw_key)
