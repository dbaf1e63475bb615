"""The notice to individuals (GDPR Art. 34, UK GDPR Art. 34): who is to be told, the record of the mail-merge
export, and the record that the notice was sent (ADR 0013, "The notice to individuals").

- **Who is to be told** (`notice_filters`): the incident's records with a contact channel (not "none", not
  unknown) in a state from which `notified` is the next step (upheld, redress accepted, redress declined:
  `remediation.states.MOVES`). It is a filter of the ledger's one filter language, so the admin's list, the API and
  a bulk change show and select the same records.
- **The export is recorded** (`affected_records_notice_export`): the file carries personal references and leaves
  the portal (to a mailing house), so each export leaves a timeline event naming who exported how many records, by
  which filter, as seen when.
- **The notice is recorded as sent** (`affected_records_notice_sent`) for exactly the records of the file, named by
  the record id and version the file carries: a bulk move to `notified` of named records, all or nothing (one
  record changed since the export refuses the whole recording, naming it). On request it also marks the incident's
  Art. 34 obligation ("communication to the data subjects") submitted, in the same transaction.

Only compliance officers export and record the notice: the notice is the organisation's regulatory communication,
and the file is a bulk extract of personal references meant to leave the portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import Incident, TimelineEvent
from incidents.services import record_event
from portal.core import inputs, roles
from remediation import selectors
from remediation.models import AffectedRecord, ContactChannel
from remediation.services.bulk import BulkResult, affected_records_bulk_change, predecessors
from remediation.states import State

NOTIFY_FROM = predecessors(State.NOTIFIED)  # upheld, redress accepted, redress declined
CHANNELS = tuple(c for c in ContactChannel.values if c != ContactChannel.NONE)
# The obligation a recorded notice can mark submitted: the regimes' "communication to the data subjects" stage
# (reporting/regimes/gdpr.yaml and uk_gdpr.yaml, Art. 34).
ART_34_STAGE = "data_subjects"
ART_34_REGIMES = ("gdpr", "uk_gdpr")


def require_compliance(actor, what: str) -> None:
    if roles.COMPLIANCE_OFFICER not in roles.user_roles(actor):
        raise ValidationError(f"Only a {roles.COMPLIANCE_OFFICER} can {what}: the notice to individuals is the "
                              "organisation's regulatory communication.", code="role")


def notice_filters(incident: Incident) -> dict:
    """The cleaned filter of the records to notify for `incident`."""
    return selectors.clean_filters({"incident": str(incident.pk), "state": ",".join(NOTIFY_FROM),
                                    "contact_channel": ",".join(CHANNELS)})


def notice_records(incident: Incident):
    """The records to notify for `incident` (`notice_filters`), in id order."""
    return selectors.ledger_records(notice_filters(incident)).order_by("pk")


def art_34_obligations(incident: Incident):
    """The incident's obligations to tell the data subjects (GDPR / UK GDPR Art. 34), open ones first."""
    from reporting.models import Obligation

    return (Obligation.objects.filter(incident=incident, stage=ART_34_STAGE, regime__in=ART_34_REGIMES)
            .order_by("status", "key"))


@dataclass(frozen=True)
class NoticeExport:
    filters: dict
    as_of: datetime
    count: int


@transaction.atomic
def affected_records_notice_export(*, actor, incident: Incident) -> NoticeExport:
    """Record that `actor` exports the mail-merge file of `incident` now: how many records, by which filter, as
    seen when (a timeline event). Returns the selection; the caller streams `notice_records(incident)`."""
    require_compliance(actor, "export the notice file")
    filters = notice_filters(incident)
    as_of = timezone.now()
    count = selectors.ledger_records(filters).count()
    words = selectors.describe_filters(filters)
    record_event(incident, TimelineEvent.Kind.COMMUNICATION, actor=actor,
                 summary=f"Notice to individuals: mail-merge file of {count:,} affected record"
                         f"{'s' if count != 1 else ''} exported ({words}, as seen at "
                         f"{as_of.astimezone(UTC).isoformat(timespec='seconds')})",
                 payload={"notice_export": count, "filters": {k: list(v) if isinstance(v, tuple) else v
                                                              for k, v in filters.items()},
                          "as_of": as_of.isoformat()})
    return NoticeExport(filters=filters, as_of=as_of, count=count)


def _sent_at(value) -> datetime:
    if value is None:
        return timezone.now()
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise ValidationError({"sent_at": "Give when the notice was sent, with its time zone."})
    if problem := inputs.moment_out_of_range(value):
        raise ValidationError({"sent_at": problem})
    if value > timezone.now():
        raise ValidationError({"sent_at": "The notice cannot have been sent in the future."})
    return value


def _check_obligation(incident: Incident, obligation, obligation_version):
    if obligation is None:
        return None
    from reporting.models import Obligation

    if not isinstance(obligation, Obligation):
        found = art_34_obligations(incident).filter(pk=obligation).first() if (
            isinstance(obligation, int) and not isinstance(obligation, bool)
            and 0 < obligation <= selectors.MAX_ID) else None
        if found is None:
            raise ValidationError({"obligation": f"{str(obligation)[:40]!r} is not an obligation of "
                                                 f"{incident.reference} to tell the data subjects (Art. 34)."})
        obligation = found
    elif obligation.incident_id != incident.pk or obligation.stage != ART_34_STAGE:
        raise ValidationError({"obligation": f"{obligation} is not an obligation of {incident.reference} to tell "
                                             "the data subjects (Art. 34)."})
    if obligation.status != Obligation.Status.OPEN:
        raise ValidationError({"obligation": f"{obligation} is {obligation.get_status_display().lower()} "
                                             "already; record the notice without it."})
    if obligation_version is None:
        raise ValidationError({"obligation_version": "Send the version of the obligation you read."})
    return obligation


@transaction.atomic
def affected_records_notice_sent(*, actor, incident: Incident, records, sent_at=None, note: str = "",
                                 obligation=None, obligation_version=None) -> BulkResult:
    """Record that the notice was sent to the people of `records` ([(id, version)] as the mail-merge file carries
    them): each moves to `notified`, all or nothing (a record changed since the export, of another incident, or
    no longer to be notified refuses the whole recording, naming it). With `obligation` (an Art. 34 obligation of
    the incident, or its id) and the `obligation_version` read, the obligation is marked submitted at `sent_at`."""
    require_compliance(actor, "record the notice to individuals")
    sent_at = _sent_at(sent_at)
    obligation = _check_obligation(incident, obligation, obligation_version)
    pairs = records if isinstance(records, list | tuple) else None
    ids = [item.get("id") if isinstance(item, dict) else item[0] if isinstance(item, list | tuple) and item else None
           for item in pairs or []]
    ids = [pk for pk in ids if isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk <= selectors.MAX_ID]
    if ids:
        outside = list(AffectedRecord.objects.filter(pk__in=ids).exclude(incident=incident)
                       .values_list("pk", flat=True).order_by("pk")[:10])
        if outside:
            raise ValidationError({"records": f"The record(s) {', '.join(map(str, outside))} are not records of "
                                              f"{incident.reference}; nothing was changed."})
        unchannelled = list(AffectedRecord.objects.filter(pk__in=ids).exclude(contact_channel__in=CHANNELS)
                            .values_list("external_id", flat=True).order_by("pk")[:10])
        if unchannelled:
            raise ValidationError({"records": f"{', '.join(unchannelled)} have no contact channel: they were not in "
                                              "the notice file; nothing was changed."})
    try:
        result = affected_records_bulk_change(actor=actor, action="move", to=State.NOTIFIED, records=records,
                                              note=note or f"Notice to individuals sent "
                                                           f"{sent_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "state" in exc.error_dict:  # the named records cannot move to notified
            raise ValidationError({"records": exc.error_dict["state"]}) from exc
        raise
    summary = (f"Notice to individuals recorded as sent at {sent_at.astimezone(UTC).isoformat(timespec='minutes')}: "
               f"{result.changed:,} affected record{'s' if result.changed != 1 else ''} moved to notified")
    if obligation is not None:
        from reporting.services import obligation_submit

        obligation_submit(actor=actor, obligation=obligation, submitted_at=sent_at,
                          expected_version=obligation_version)
        summary += f"; {obligation} marked submitted"
    record_event(incident, TimelineEvent.Kind.COMMUNICATION, actor=actor, summary=summary,
                 payload={"notice_sent": result.changed, "sent_at": sent_at.isoformat(),
                          **({"obligation": obligation.pk} if obligation is not None else {})})
    return result
