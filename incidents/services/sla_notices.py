"""SLA notices: tell the escalation path when an incident's acknowledge, contain or resolve target is due soon or
breached, exactly once per incident, target, stage and due time.

`check_slas` runs this from cron, possibly on several hosts at the same moment. Each notice is claimed by
inserting its `SlaNotice` row (unique per incident, target, stage and due time) and the mail is sent inside the
same transaction: a host that loses the race gets an IntegrityError and skips; a failed send rolls the claim back,
so the next run tries again.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from incidents import sla
from incidents.lifecycle import OPEN_STATUSES
from incidents.models import Incident, SlaNotice, TimelineEvent
from incidents.services.records import record_event
from inventory.models import AISystem, EscalationStep
from portal.core import roles

logger = logging.getLogger(__name__)

NOTIFY_STAGES = {sla.SlaState.DUE_SOON: SlaNotice.Stage.DUE_SOON, sla.SlaState.BREACHED: SlaNotice.Stage.BREACHED}


@dataclass
class Recipients:
    emails: list[str]
    steps: list[EscalationStep] = field(default_factory=list)
    fallback: bool = False  # nobody on the escalation path: the compliance officers were told instead


class SlaCheckResult(list):
    """The notices sent (a list of SlaNotice), plus `failed`: (incident reference, target, stage, error) of the
    notices whose sending failed; their claims were rolled back, so the next run retries them."""

    def __init__(self):
        super().__init__()
        self.failed: list[tuple[str, str, str, str]] = []


class _NoLongerDue(Exception):
    """The incident changed between the scan and the claim (acknowledged, closed, new severity): drop the claim."""


def _candidates(now):
    """Open incidents whose earliest unmet target is due soon or breached at `now`; later targets turn due soon
    later (every window starts at detection), so `sla_next_warn_at` finds them all."""
    steps = EscalationStep.objects.select_related("user", "team").order_by("order", "system__name", "pk")
    return (
        Incident.objects.filter(status__in=OPEN_STATUSES, sla_next_warn_at__lte=now)
        .select_related("commander")
        .prefetch_related(Prefetch("systems", queryset=AISystem.objects.prefetch_related(
            Prefetch("escalation_steps", queryset=steps))))
        .order_by("pk")
    )


def _sent_before(incidents) -> set[tuple]:
    """(incident id, target, stage, due_at) of the notices already claimed: skipped without trying the insert,
    so a breach that lasts for many runs does not log a unique violation each time."""
    return set(SlaNotice.objects.filter(incident__in=[i.pk for i in incidents])
               .values_list("incident_id", "target", "stage", "due_at"))


def _due_notices(incident, now, share):
    """(target, stage, due_at) of the incident's unmet targets that are due soon or breached at `now`."""
    found = []
    for target in sla.TARGETS:
        due_at = getattr(incident, sla.DUE_FIELD[target])
        state = sla.target_state(due_at=due_at, met_at=getattr(incident, sla.MET_BY[target]),
                                 detected_at=incident.detected_at, now=now, due_soon_share=share)
        if state in NOTIFY_STAGES:
            found.append((target, NOTIFY_STAGES[state], due_at))
    return found


def _add(emails: list[str], seen: set[str], email: str) -> None:
    if email and email.lower() not in seen:
        seen.add(email.lower())
        emails.append(email)


def sla_recipients(incident, *, officers=None) -> Recipients:
    """The escalation path of the incident's systems for its severity (user and team emails, by step order),
    then the commander; when that is nobody, the active compliance officers (`officers`, if already read)."""
    steps = sorted(
        (step for system in incident.systems.all() for step in system.escalation_steps.all()
         if step.severity == incident.severity),
        key=lambda step: (step.order, step.system.name, step.pk),
    )
    emails, seen = [], set()
    for step in steps:
        if step.user_id:
            if step.user.is_active:
                _add(emails, seen, step.user.email)
        else:
            _add(emails, seen, step.team.email)
    if incident.commander_id and incident.commander.is_active:
        _add(emails, seen, incident.commander.email)
    if emails:
        return Recipients(emails=emails, steps=steps)
    if officers is None:
        officers = compliance_officer_emails()
    return Recipients(emails=list(officers), steps=steps, fallback=True)


def compliance_officer_emails() -> list[str]:
    users = get_user_model().objects.filter(groups__name=roles.COMPLIANCE_OFFICER, is_active=True).exclude(email="")
    emails, seen = [], set()
    for email in users.order_by("username").values_list("email", flat=True):
        _add(emails, seen, email)
    return emails


def _duration(delta: timedelta) -> str:
    """A rounded-down duration for people: "2 d 3 h", "1 h 5 min", "0 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{value} {unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if value]
    return " ".join(parts) or "0 min"


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _message(incident, target, stage, due_at, now, recipients: Recipients) -> EmailMessage:
    severity = incident.severity.upper()
    stage_label = SlaNotice.Stage(stage).label.lower()
    subject = f"[{severity}] {incident.reference} {target} SLA {stage_label}"
    when = (f"Breached {_duration(now - due_at)} ago" if stage == SlaNotice.Stage.BREACHED
            else f"Due in {_duration(due_at - now)}")
    body = render_to_string("incidents/email/sla_notice.txt", {
        "incident": incident, "severity": severity, "target": target, "stage_label": stage_label,
        "due": _utc(due_at), "detected": _utc(incident.detected_at), "when": when, "recipients": recipients,
        "admin_path": f"/admin/incidents/incident/{incident.pk}/change/",
    }).strip() + "\n"
    return EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=recipients.emails)


def _still_due(incident, target, stage, due_at, now, share) -> bool:
    """Re-read the incident inside the claiming transaction: is this notice still the right one?"""
    row = Incident.objects.filter(pk=incident.pk).values(
        "status", "detected_at", sla.DUE_FIELD[target], sla.MET_BY[target]).first()
    if row is None or row["status"] not in OPEN_STATUSES or row[sla.DUE_FIELD[target]] != due_at:
        return False
    state = sla.target_state(due_at=due_at, met_at=row[sla.MET_BY[target]], detected_at=row["detected_at"],
                             now=now, due_soon_share=share)
    return NOTIFY_STAGES.get(state) == stage


def _claim_and_send(incident, target, stage, due_at, *, now, share, actor, recipients: Recipients):
    """Claim the notice, record it on the timeline and send the mail in one transaction; None when another run
    already claimed it or the incident moved on meanwhile."""
    try:
        with transaction.atomic():
            # A plain insert, not save_tracked: SlaNotice keeps no history, and the IntegrityError is the signal.
            notice = SlaNotice.objects.create(incident=incident, target=target, stage=stage, due_at=due_at,
                                              recipients=recipients.emails)
            if not _still_due(incident, target, stage, due_at, now, share):
                raise _NoLongerDue
            message = _message(incident, target, stage, due_at, now, recipients)
            nobody = not recipients.emails
            record_event(
                incident, TimelineEvent.Kind.SLA, actor=actor, flagged=nobody or recipients.fallback,
                summary=f"{target.capitalize()} SLA {SlaNotice.Stage(stage).label.lower()} (due {_utc(due_at)}): "
                        + ("nobody to notify" if nobody else f"notice sent to {len(recipients.emails)} recipient(s)"),
                payload={"notice": notice.pk, "target": target, "stage": stage, "due_at": due_at.isoformat(),
                         "recipients": recipients.emails, "fallback": recipients.fallback,
                         "subject": message.subject},
            )
            if not nobody:
                message.send(fail_silently=False)
    except (IntegrityError, _NoLongerDue):
        return None
    return notice


def sla_check(*, now=None, actor=None) -> SlaCheckResult:
    """Send the SLA notices due at `now` (default: now): one per open incident, unmet target, stage (due soon,
    breached) and due time, however many runs or hosts call this. Returns the notices this call sent; a notice
    whose mail could not be sent is left unclaimed (listed in `result.failed`) and retried by the next run."""
    now = now or timezone.now()
    share = settings.INCIDENT_SLA_DUE_SOON_SHARE
    incidents = list(_candidates(now))
    sent_before = _sent_before(incidents)
    result, officers = SlaCheckResult(), None
    for incident in incidents:
        due = [n for n in _due_notices(incident, now, share) if (incident.pk, *n) not in sent_before]
        if not due:
            continue
        recipients = sla_recipients(incident, officers=officers)
        if recipients.fallback:
            officers = recipients.emails
        for target, stage, due_at in due:
            try:
                notice = _claim_and_send(incident, target, stage, due_at, now=now, share=share, actor=actor,
                                         recipients=recipients)
            except Exception as exc:  # the mail server refused or is down: the claim rolled back, retry next run
                logger.exception("SLA notice %s %s %s not sent", incident.reference, target, stage)
                result.failed.append((incident.reference, target, stage, str(exc)))
                continue
            if notice is not None:
                notice.incident = incident
                result.append(notice)
    return result
