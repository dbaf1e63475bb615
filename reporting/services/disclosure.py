"""Disclosure decisions: recorded by a compliance officer, approved (or returned) by a legal reviewer who is not
the person who decided. The rules live here, so the admin, the API and commands all obey them."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import TimelineEvent
from incidents.services import record_event
from portal.core import roles
from portal.core.concurrency import check_version
from portal.core.display import field_labels
from portal.core.history import save_tracked
from reporting.models import Audience, Decision, DisclosureDecision

Status = DisclosureDecision.Status
EDITABLE = ("audience", "decision", "rationale", "legal_basis", "shareable_summary", "privileged_analysis",
            "revisit_by", "obligation")


def _require(actor, role, what):
    if role not in roles.user_roles(actor):
        raise ValidationError(f"Only a {role} can {what}.", code="role")


def _check(decision: DisclosureDecision):
    errors = {}
    if not decision.rationale.strip():
        errors["rationale"] = "Give the reasons for the decision."
    if not decision.legal_basis.strip():
        errors["legal_basis"] = "Name the legal basis (e.g. GDPR Art. 33(1), SEC Item 1.05, contract clause)."
    if decision.decision == Decision.DEFER and not decision.revisit_by:
        errors["revisit_by"] = "A deferred decision needs the date by which it is taken again."
    if decision.audience in (Audience.PUBLIC, Audience.AIID) and decision.decision == Decision.DISCLOSE \
            and not decision.shareable_summary.strip():
        to = "the public" if decision.audience == Audience.PUBLIC else "the AI Incident Database"
        errors["shareable_summary"] = f"A disclosure to {to} needs the shareable summary that will be published."
    if decision.obligation_id and decision.obligation.incident_id != decision.incident_id:
        errors["obligation"] = "The obligation belongs to another incident."
    if errors:
        raise ValidationError(errors)


def _event(decision, actor, summary, **payload):
    record_event(decision.incident, TimelineEvent.Kind.COMMUNICATION, actor=actor, summary=summary[:300],
                 payload={"disclosure_decision": decision.pk, "audience": decision.audience,
                          "decision": decision.decision, "status": decision.status, **payload})


@transaction.atomic
def disclosure_record(*, actor, incident, audience: str, decision: str, rationale: str, legal_basis: str,
                      shareable_summary: str = "", privileged_analysis: str = "", revisit_by=None,
                      obligation=None) -> DisclosureDecision:
    """A compliance officer records a disclosure decision; it awaits a legal reviewer's approval."""
    _require(actor, roles.COMPLIANCE_OFFICER, "record a disclosure decision")
    record = DisclosureDecision(
        incident=incident, audience=audience, decision=decision, rationale=rationale.strip(),
        legal_basis=legal_basis.strip(), shareable_summary=shareable_summary.strip(),
        privileged_analysis=privileged_analysis.strip(), revisit_by=revisit_by, obligation=obligation,
        decided_by=actor, decided_at=timezone.now(),
    )
    _check(record)
    save_tracked(record, actor=actor)
    _event(record, actor, f"Disclosure decision recorded: {record.get_decision_display()} to "
                          f"{record.get_audience_display().lower()} (awaiting legal approval)")
    return record


def _locked(decision, expected_version, *, required=False):
    locked = DisclosureDecision.objects.select_for_update().select_related("incident").get(pk=decision.pk)
    check_version(locked, expected_version, label=f"Disclosure decision {locked.pk} of {locked.incident.reference}",
                  required=required)
    return locked


@transaction.atomic
def disclosure_update(*, actor, decision, expected_version=None, changes=None, **fields) -> DisclosureDecision:
    """Change a decision that is not approved yet (a returned one goes back to awaiting approval).

    The new values come as keyword arguments or in `changes`; a change of the `decision` field itself can only
    come in `changes` (the keyword `decision` names the record)."""
    changes = {**fields, **(changes or {})}
    _require(actor, roles.COMPLIANCE_OFFICER, "change a disclosure decision")
    locked = _locked(decision, expected_version)
    if unknown := set(changes) - set(EDITABLE):
        raise ValidationError(dict.fromkeys(sorted(unknown), "Cannot be changed here."))
    if locked.status == Status.APPROVED:
        raise ValidationError("An approved decision is final; record a new decision to change course.")
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        value = changes[name]
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    was_returned = locked.status == Status.REJECTED
    locked.status = Status.PROPOSED
    locked.decided_by, locked.decided_at = actor, timezone.now()
    _check(locked)
    locked.version += 1
    save_tracked(locked, actor=actor)
    _event(locked, actor, f"Disclosure decision changed ({field_labels(DisclosureDecision, changed)})"
                          + (", resubmitted for legal approval" if was_returned else ""), fields=changed)
    decision.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def disclosure_approve(*, actor, decision, expected_version=None, note: str = "") -> DisclosureDecision:
    """A legal reviewer approves; never the person who decided (two-person rule). The approval is bound to the
    version the reviewer read (`expected_version`, required): a decision changed since is refused, naming who
    changed what and when, so nobody approves a text they did not see."""
    _require(actor, roles.LEGAL_REVIEWER, "approve a disclosure decision")
    locked = _locked(decision, expected_version, required=True)
    if locked.decided_by_id == actor.pk:
        raise ValidationError("The person who decided cannot approve the same decision: a second person must.",
                              code="two_person")
    if locked.status != Status.PROPOSED:
        raise ValidationError(f"Only a decision awaiting approval can be approved (this one is "
                              f"{locked.get_status_display().lower()}).")
    locked.status, locked.approved_by, locked.approved_at = Status.APPROVED, actor, timezone.now()
    locked.review_note = note.strip()
    locked.version += 1
    save_tracked(locked, actor=actor)
    _event(locked, actor, f"Disclosure decision approved by legal: {locked.get_decision_display()} to "
                          f"{locked.get_audience_display().lower()}")
    decision.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def disclosure_return(*, actor, decision, note: str, expected_version=None) -> DisclosureDecision:
    """A legal reviewer returns the decision to compliance with a note, bound to the version read (as approving)."""
    _require(actor, roles.LEGAL_REVIEWER, "return a disclosure decision")
    locked = _locked(decision, expected_version, required=True)
    if not note.strip():
        raise ValidationError({"review_note": "Say what needs to change."})
    if locked.status != Status.PROPOSED:
        raise ValidationError("Only a decision awaiting approval can be returned.")
    locked.status, locked.review_note = Status.REJECTED, note.strip()
    locked.version += 1
    save_tracked(locked, actor=actor)
    _event(locked, actor, f"Disclosure decision returned by legal: {note.strip()}")
    decision.__dict__.update(locked.__dict__)
    return locked
