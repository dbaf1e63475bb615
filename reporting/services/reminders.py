"""Deadline reminders: the Accountable for "notify a regulator" on the incident's AI systems is told before each
obligation's deadline and again at breach, once each (per obligation, stage and due time).

Run by `manage.py check_obligations` from cron, possibly on several hosts: each reminder is claimed by inserting
its `ObligationNotice` row (unique per obligation, stage and due time) and the mail goes out in the same
transaction, so a host that loses the race skips it and a failed send rolls the claim back for the next run.
"""

import logging
from datetime import UTC, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from incidents.lifecycle import Status as IncidentStatus
from incidents.models import TimelineEvent
from incidents.services import record_event
from incidents.services.sla_notices import compliance_officer_emails
from inventory.models import Activity, RaciAssignment, RaciRole
from reporting.models import Obligation, ObligationNotice

logger = logging.getLogger(__name__)

Stage = ObligationNotice.Stage


class ReminderResult(list):
    """The notices sent, plus `failed`: (obligation key, incident reference, stage, error) retried next run."""

    def __init__(self):
        super().__init__()
        self.failed: list[tuple[str, str, str, str]] = []


class _NoLongerDue(Exception):
    pass


def _candidates(now, lead: timedelta):
    accountable = RaciAssignment.objects.filter(activity=Activity.NOTIFY_REGULATOR,
                                                role=RaciRole.ACCOUNTABLE).select_related("user", "team")
    return (Obligation.objects
            .filter(status=Obligation.Status.OPEN, due_at__isnull=False, due_at__lte=now + lead)
            .exclude(incident__status=IncidentStatus.DISMISSED)
            .select_related("incident")
            .prefetch_related(Prefetch("incident__systems__raci", queryset=accountable, to_attr="notify_accountable"))
            .order_by("due_at", "pk"))


def reminder_recipients(obligation, *, officers=None) -> tuple[list[str], bool]:
    """(emails, fallback): the Accountables for notifying a regulator on the incident's systems; when there is
    none, the active compliance officers (fallback)."""
    emails, seen = [], set()
    for system in obligation.incident.systems.all():
        for assignment in getattr(system, "notify_accountable", []):
            if assignment.user_id:
                email = assignment.user.email if assignment.user.is_active else ""
            else:
                email = assignment.team.email
            if email and email.lower() not in seen:
                seen.add(email.lower())
                emails.append(email)
    if emails:
        return emails, False
    return list(officers if officers is not None else compliance_officer_emails()), True


def _utc(moment) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _message(obligation, stage, now, emails) -> EmailMessage:
    incident = obligation.incident
    if stage == Stage.BREACHED:
        subject = f"[OVERDUE] {incident.reference}: {obligation} was due {_utc(obligation.due_at)}"
    else:
        subject = f"[DUE] {incident.reference}: {obligation} due {_utc(obligation.due_at)}"
    body = "\n".join([
        f"Incident: {incident.reference} {incident.title}",
        f"Obligation: {obligation.regime_name} {obligation.provision}, {obligation.stage_name}",
        f"Recipient authority: {obligation.recipient}" + (f" ({obligation.jurisdiction})"
                                                          if obligation.jurisdiction else ""),
        f"Rule: {obligation.rule}",
        f"Due: {_utc(obligation.due_at)}" + (" (OVERDUE)" if stage == Stage.BREACHED else ""),
        "",
        "Mark it submitted (time and authority reference) or not applicable (with the rationale) in the portal:",
        f"/admin/reporting/obligation/{obligation.pk}/change/",
        "",
        "The regulatory clock supports, and does not replace, legal judgement.",
    ]) + "\n"
    return EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=emails)


def _claim_and_send(obligation, stage, *, now, actor, emails, fallback):
    try:
        with transaction.atomic():
            notice = ObligationNotice.objects.create(obligation=obligation, stage=stage, due_at=obligation.due_at,
                                                     recipients=emails)
            current = Obligation.objects.filter(pk=obligation.pk).values("status", "due_at").first()
            if current != {"status": Obligation.Status.OPEN, "due_at": obligation.due_at}:
                raise _NoLongerDue
            message = _message(obligation, stage, now, emails)
            record_event(obligation.incident, TimelineEvent.Kind.OBLIGATION, actor=actor,
                         flagged=stage == Stage.BREACHED or fallback or not emails,
                         summary=f"Deadline reminder ({Stage(stage).label.lower()}): {obligation}: "
                                 + (f"sent to {len(emails)} recipient(s)" if emails else "nobody to notify"),
                         payload={"obligation": obligation.pk, "notice": notice.pk, "stage": stage,
                                  "due_at": obligation.due_at.isoformat(), "recipients": emails,
                                  "fallback": fallback, "subject": message.subject})
            if emails:
                message.send(fail_silently=False)
    except (IntegrityError, _NoLongerDue):
        return None
    return notice


def obligation_reminders_check(*, now=None, actor=None) -> ReminderResult:
    """Send the reminders due at `now`: "due soon" within OBLIGATION_REMINDER_HOURS of the deadline, "breached"
    once it has passed; each once per obligation and due time."""
    now = now or timezone.now()
    lead = timedelta(hours=settings.OBLIGATION_REMINDER_HOURS)
    obligations = list(_candidates(now, lead))
    sent = set(ObligationNotice.objects.filter(obligation__in=[o.pk for o in obligations])
               .values_list("obligation_id", "stage", "due_at"))
    result, officers = ReminderResult(), None
    for obligation in obligations:
        stage = Stage.BREACHED if obligation.due_at <= now else Stage.DUE_SOON
        if (obligation.pk, stage, obligation.due_at) in sent:
            continue
        emails, fallback = reminder_recipients(obligation, officers=officers)
        if fallback:
            officers = emails
        try:
            notice = _claim_and_send(obligation, stage, now=now, actor=actor, emails=emails, fallback=fallback)
        except Exception as exc:  # the mail server refused: the claim rolled back, the next run retries
            logger.exception("Obligation reminder %s %s not sent", obligation.key, stage)
            result.failed.append((obligation.key, obligation.incident.reference, stage, str(exc)))
            continue
        if notice is not None:
            notice.obligation = obligation
            result.append(notice)
    return result
