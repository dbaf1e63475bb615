"""Recovery validation: test outcomes, and the two-person sign-off before a system returns to production.

An engineering lead (incident responder) and a compliance lead (compliance officer) sign off, two different
people, once every test passed or does not apply. Changing an outcome afterwards clears both sign-offs. The
lifecycle guard (`recovering -> review`) reads `is_signed and all_tests_passed`.

Every change bumps the validation's `version`; a sign-off names the version the signer saw and is refused,
naming who changed what and when, if the validation changed since.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import Incident, Outcome, RecoveryValidation, TimelineEvent
from incidents.services.records import record_event
from incidents.services.response import refresh_caller, require_open, require_user, who
from portal.core import roles
from portal.core.concurrency import check_version
from portal.core.history import save_tracked

Kind = TimelineEvent.Kind
FIELDS = RecoveryValidation.OUTCOME_FIELDS

# as_role -> (the role that may sign, the field prefix on RecoveryValidation, a readable name)
SIGNOFF_ROLES = {
    "engineering": (roles.INCIDENT_RESPONDER, "engineering", "engineering lead"),
    "compliance": (roles.COMPLIANCE_OFFICER, "compliance", "compliance lead"),
}


def _check_outcomes(outcomes: dict) -> dict:
    errors = {}
    for name, value in outcomes.items():
        if name not in FIELDS:
            errors[name] = f"Unknown test {name!r}; the tests are {', '.join(FIELDS)}."
        elif value not in Outcome.values:
            errors[name] = f"{value!r} is not an outcome; one of {', '.join(Outcome.values)}."
    if errors:
        raise ValidationError(errors)
    return outcomes


def _outcome_text(validation) -> str:
    return ", ".join(f"{name} {getattr(validation, f'get_{name}_display')().lower()}" for name in FIELDS)


def _lock(validation) -> RecoveryValidation:
    return (RecoveryValidation.objects.select_for_update(of=("self",))
            .select_related("incident", "engineering_signoff_by", "compliance_signoff_by").get(pk=validation.pk))


def _label(validation) -> str:
    return f"Recovery validation {validation.pk} of {validation.incident.reference}"


def _signers(validation) -> dict:
    return {role: who(getattr(validation, f"{role}_signoff_by"))
            for role in SIGNOFF_ROLES if getattr(validation, f"{role}_signoff_by_id")}


@transaction.atomic
def recovery_validation_record(*, actor, incident: Incident, functional: str = Outcome.PENDING,
                               stress: str = Outcome.PENDING, bias: str = Outcome.PENDING,
                               security: str = Outcome.PENDING, notes: str = "") -> RecoveryValidation:
    """Start a recovery validation of the incident with its test outcomes (pending until run)."""
    require_user(actor, "A recovery validation")
    require_open(incident, "recovery validation")
    outcomes = _check_outcomes({"functional": functional, "stress": stress, "bias": bias, "security": security})
    validation = save_tracked(RecoveryValidation(incident=incident, notes=(notes or "").strip(), **outcomes),
                              actor=actor)
    record_event(incident, Kind.RECOVERY, actor=actor,
                 summary=f"Recovery validation recorded: {_outcome_text(validation)}",
                 payload={"validation": validation.pk, "outcomes": outcomes})
    return validation


@transaction.atomic
def recovery_validation_update(*, actor, validation: RecoveryValidation, expected_version=None,
                               **outcomes) -> RecoveryValidation:
    """Change test outcomes (and `notes`). A changed outcome clears the sign-offs: they were given for other
    results. With `expected_version`, a validation changed since that version is refused."""
    require_user(actor, "A recovery validation")
    notes = outcomes.pop("notes", None)
    _check_outcomes(outcomes)
    locked = _lock(validation)
    check_version(locked, expected_version, label=_label(locked))
    require_open(locked.incident, "recovery validation")
    changed = [name for name, value in outcomes.items() if getattr(locked, name) != value]
    before = {name: getattr(locked, name) for name in changed}
    for name in changed:
        setattr(locked, name, outcomes[name])
    fields = list(changed)
    if notes is not None and notes.strip() != locked.notes:
        locked.notes = notes.strip()
        fields.append("notes")
    if not fields:
        return locked
    cleared = _signers(locked) if changed else {}
    for role in cleared:
        setattr(locked, f"{role}_signoff_by", None)
        setattr(locked, f"{role}_signoff_at", None)
        fields += [f"{role}_signoff_by", f"{role}_signoff_at"]
    locked.version += 1
    save_tracked(locked, actor=actor, update_fields=[*fields, "version"])
    summary = "Recovery validation updated: " + (
        ", ".join(f"{name} {before[name]} -> {getattr(locked, name)}" for name in changed) or "notes")
    if cleared:
        summary += "; sign-offs cleared (" + ", ".join(f"{role}: {name}" for role, name in cleared.items()) + ")"
    record_event(locked.incident, Kind.RECOVERY, actor=actor, summary=summary, flagged=bool(cleared), payload={
        "validation": locked.pk, "changed": {n: [before[n], getattr(locked, n)] for n in changed},
        "signoffs_cleared": cleared,
    })
    refresh_caller(validation, locked)
    return locked


@transaction.atomic
def recovery_signoff(*, actor, validation: RecoveryValidation, as_role: str,
                     expected_version=None) -> RecoveryValidation:
    """Sign off a validation as engineering lead (incident responder) or compliance lead (compliance officer).
    Superusers may sign in either role, but never both on the same validation (two-person rule). The sign-off is
    bound to the version of the validation the signer saw (`expected_version`, required): outcomes changed since
    are refused, naming who changed what and when."""
    require_user(actor, "A recovery sign-off")
    if as_role not in SIGNOFF_ROLES:
        raise ValidationError({"as_role": f"Unknown sign-off role {as_role!r}; one of {', '.join(SIGNOFF_ROLES)}."})
    group, prefix, title = SIGNOFF_ROLES[as_role]
    if group not in roles.user_roles(actor):
        raise ValidationError({"as_role": f"{who(actor)} cannot sign off as {title}: it needs the {group} role."})
    locked = _lock(validation)
    check_version(locked, expected_version, label=_label(locked), required=True)
    require_open(locked.incident, "a recovery sign-off")
    signed_by = getattr(locked, f"{prefix}_signoff_by")
    if signed_by is not None:
        raise ValidationError({"as_role": (
            f"{who(signed_by)} already signed off as {title} at "
            f"{getattr(locked, f'{prefix}_signoff_at'):%Y-%m-%d %H:%M} UTC."
        )})
    other = "compliance" if prefix == "engineering" else "engineering"
    if getattr(locked, f"{other}_signoff_by_id") == actor.pk:
        raise ValidationError({"as_role": (
            f"Two-person rule: {who(actor)} already signed off as {SIGNOFF_ROLES[other][2]}; the {title} "
            "sign-off must come from a different person."
        )})
    if not locked.all_tests_passed:
        open_tests = [f"{name} ({getattr(locked, name)})" for name in FIELDS
                      if getattr(locked, name) not in (Outcome.PASSED, Outcome.NOT_APPLICABLE)]
        raise ValidationError({"as_role": (
            "Sign-off needs every test passed or not applicable; still open: " + ", ".join(open_tests) + "."
        )})
    setattr(locked, f"{prefix}_signoff_by", actor)
    setattr(locked, f"{prefix}_signoff_at", timezone.now())
    locked.version += 1
    save_tracked(locked, actor=actor, update_fields=[f"{prefix}_signoff_by", f"{prefix}_signoff_at", "version"])
    summary = f"Recovery validation signed off by {who(actor)} as {title}"
    if locked.is_signed:
        summary += "; both sign-offs given, the system may return to production"
    record_event(locked.incident, Kind.RECOVERY, actor=actor, summary=summary,
                 payload={"validation": locked.pk, "as_role": as_role, "signed": locked.is_signed,
                          "version_seen": int(expected_version)})
    refresh_caller(validation, locked)
    return locked
