"""Containment actions: who may act (RACI of the target system, or a recorded emergency override), what the
action changes in the inventory (through the inventory services), and how it is reverted.

What an action changed is kept in the payload of its timeline event (`effects`), so reverting restores exactly
that: a component that was already disabled before the action stays disabled when the action is reverted.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import AUTHORITY_FOR, ContainmentAction, ContainmentKind, Incident, TimelineEvent
from incidents.services.records import lock, record_event
from incidents.services.response import moment, refresh_caller, require_open, require_user, who
from inventory import services as inventory
from inventory.models import AISystem, Component, ComponentStatus, Lifecycle, RaciAssignment, RaciRole, SystemComponent
from portal.core.history import save_tracked

Kind = TimelineEvent.Kind

# Kinds that act on one component of the system (the component is required).
COMPONENT_KINDS = (ContainmentKind.REVOKE_KEY, ContainmentKind.DISABLE_TOOL, ContainmentKind.ISOLATE_VECTOR_STORE,
                   ContainmentKind.ROLLBACK)
# Kinds that switch their component off in the inventory.
DISABLING_KINDS = (ContainmentKind.REVOKE_KEY, ContainmentKind.DISABLE_TOOL, ContainmentKind.ISOLATE_VECTOR_STORE,
                   ContainmentKind.SUSPEND_ENDPOINT)
AUTHORITY_ROLES = (RaciRole.ACCOUNTABLE, RaciRole.RESPONSIBLE)


# --- authority ---------------------------------------------------------------------------------------------

def _assignment_label(assignment: RaciAssignment) -> str:
    kind = "user" if assignment.user_id else "team"
    return f"{assignment.assignee_label} ({kind}, {assignment.get_role_display()})"


def containment_authority(*, actor, kind: str, system: AISystem) -> tuple[RaciAssignment | None, list]:
    """The RACI assignment that lets `actor` perform `kind` on `system` (Responsible or Accountable, directly or
    as a member of the assigned team), or None; and every holder of that authority, for the refusal message.
    Superusers hold no implicit authority."""
    holders = list(
        RaciAssignment.objects.filter(system=system, activity=AUTHORITY_FOR[kind], role__in=AUTHORITY_ROLES)
        .select_related("user", "team").order_by("role", "id")  # accountable before responsible
    )
    mine = set(
        RaciAssignment.objects.filter(pk__in=[h.pk for h in holders])
        .filter(Q(user=actor) | Q(team__members=actor)).values_list("pk", flat=True)
    )
    direct = [h for h in holders if h.pk in mine and h.user_id == actor.pk]
    via_team = [h for h in holders if h.pk in mine and h.user_id != actor.pk]
    return next(iter(direct + via_team), None), holders


def _authority_text(assignment: RaciAssignment, actor) -> str:
    how = f"as {who(actor)}" if assignment.user_id else f"as member of team {assignment.team.name}"
    text = (f"{assignment.get_role_display()} for '{assignment.get_activity_display()}' on {assignment.system} "
            f"({how})")
    return text[:200]


# --- validation of the target --------------------------------------------------------------------------------

def _link(system: AISystem, component: Component) -> SystemComponent | None:
    return SystemComponent.objects.select_for_update().filter(system=system, component=component).first()


def _check_target(kind, system, component, rollback_to) -> SystemComponent | None:
    """Refuse a target that does not fit the kind; the link of the target component to the system."""
    label = ContainmentKind(kind).label
    if kind in COMPONENT_KINDS and component is None:
        raise ValidationError({"target_component": f"'{label}' acts on a component: name the target component."})
    if rollback_to is not None and kind != ContainmentKind.ROLLBACK:
        raise ValidationError({"rollback_to": f"A rollback target is only given for a rollback, not '{label}'."})
    link = None
    if component is not None:
        link = _link(system, component)
        if link is None:
            raise ValidationError({"target_component": f"{component} is not part of {system}; name a component "
                                                       "the system uses."})
    if kind != ContainmentKind.ROLLBACK:
        return link
    if rollback_to is None:
        raise ValidationError({"rollback_to": "A rollback needs the known-good component to roll back to."})
    if rollback_to.pk == component.pk:
        raise ValidationError({"rollback_to": "A rollback needs a different component than the one rolled back."})
    if rollback_to.kind != component.kind:
        raise ValidationError({"rollback_to": (
            f"{rollback_to} is a {rollback_to.get_kind_display().lower()}; a rollback of {component} needs a "
            f"{component.get_kind_display().lower()}."
        )})
    if not rollback_to.known_good:
        raise ValidationError({"rollback_to": f"{rollback_to} is not marked known-good; only a verified version "
                                              "can be rolled back to."})
    if rollback_to.status != ComponentStatus.ACTIVE:
        raise ValidationError({"rollback_to": f"{rollback_to} is {rollback_to.get_status_display().lower()}; "
                                              "it cannot take over."})
    if not link.is_active:
        raise ValidationError({"target_component": f"{component} is not in active use by {system}; there is "
                                                   "nothing to roll back."})
    return link


# --- effects on the inventory (through the inventory services) -----------------------------------------------

def _effect(target: str, obj, field: str, before, after) -> dict:
    return {"target": target, "pk": obj.pk, "label": str(obj), "field": field, "from": before, "to": after}


def _apply_effects(*, actor, kind, system, component, rollback_to, link) -> list[dict]:
    effects = []
    if kind in DISABLING_KINDS and component is not None:
        locked = Component.objects.select_for_update().get(pk=component.pk)
        if locked.status != ComponentStatus.DISABLED:
            effects.append(_effect("component", locked, "status", locked.status, ComponentStatus.DISABLED))
            inventory.component_update(actor=actor, component=locked, status=ComponentStatus.DISABLED)
        component.refresh_from_db(fields=["status"])
    elif kind == ContainmentKind.SUSPEND_ENDPOINT:
        locked = AISystem.objects.select_for_update().get(pk=system.pk)
        if locked.lifecycle != Lifecycle.SUSPENDED:
            effects.append(_effect("system", locked, "lifecycle", locked.lifecycle, Lifecycle.SUSPENDED))
            inventory.ai_system_update(actor=actor, system=locked, lifecycle=Lifecycle.SUSPENDED)
        system.refresh_from_db(fields=["lifecycle"])
    elif kind == ContainmentKind.ROLLBACK:
        effects.append(_effect("link", link, "is_active", True, False))
        inventory.system_component_update(actor=actor, link=link, is_active=False)
        standby = _link(system, rollback_to)
        if standby is None:
            standby = inventory.system_component_attach(actor=actor, system=system, component=rollback_to,
                                                        usage=link.usage, is_active=True)
            effects.append(_effect("link", standby, "is_active", None, True))
        elif not standby.is_active:
            effects.append(_effect("link", standby, "is_active", False, True))
            inventory.system_component_update(actor=actor, link=standby, is_active=True)
    return effects


def _set(*, actor, target: str, obj, field: str, value) -> None:
    if target == "component":
        inventory.component_update(actor=actor, component=obj, **{field: value})
    elif target == "system":
        inventory.ai_system_update(actor=actor, system=obj, **{field: value})
    else:
        inventory.system_component_update(actor=actor, link=obj, **{field: value})


_TARGET_MODELS = {"component": Component, "system": AISystem, "link": SystemComponent}


def _undo_effects(*, actor, effects: list[dict]) -> tuple[list[dict], list[dict]]:
    """Put back what an action changed, newest first; skip what someone changed since (it is not ours to undo).
    A link the action attached goes back to standby (inactive) rather than away."""
    restored, skipped = [], []
    for effect in reversed(effects):
        obj = _TARGET_MODELS[effect["target"]].objects.select_for_update().filter(pk=effect["pk"]).first()
        if obj is None or getattr(obj, effect["field"]) != effect["to"]:
            skipped.append(effect)
            continue
        before = bool(effect["from"]) if effect["target"] == "link" else effect["from"]
        _set(actor=actor, target=effect["target"], obj=obj, field=effect["field"], value=before)
        restored.append({**effect, "restored_to": before})
    return restored, skipped


# --- services ------------------------------------------------------------------------------------------------

@transaction.atomic
def containment_record(*, actor, incident: Incident, kind: str, target_system: AISystem, target_component=None,
                       rollback_to=None, description: str = "", performed_at=None, override_reason: str = "",
                       outcome: str = "") -> ContainmentAction:
    """Record a containment action and apply its effect on the inventory.

    The actor needs to be Responsible or Accountable for the matching RACI activity on the target system, or
    to give an emergency `override_reason`, which is kept on the action and flags its timeline event."""
    require_user(actor, "A containment action")
    if kind not in ContainmentKind.values:
        raise ValidationError({"kind": f"Unknown containment kind {kind!r}; one of "
                                       f"{', '.join(ContainmentKind.values)}."})
    if target_system is None:
        raise ValidationError({"target_system": "Name the AI system the action is taken on."})
    performed_at = moment(performed_at, "performed_at")
    locked = lock(incident)  # the status read below cannot change under us (closing waits for this)
    require_open(locked, "containment")
    override_reason = (override_reason or "").strip()
    assignment, holders = containment_authority(actor=actor, kind=kind, system=target_system)
    if assignment is None and not override_reason:
        activity = AUTHORITY_FOR[kind]
        if holders:
            held_by = ", ".join(_assignment_label(h) for h in holders)
            message = (f"{who(actor)} is not Responsible or Accountable for '{activity.label}' on {target_system}; "
                       f"it is held by {held_by}. Ask them to act, or record an emergency override reason.")
        else:
            message = (f"Nobody holds '{activity.label}' on {target_system}: no one is Responsible or Accountable "
                       "for it in the system's RACI. The system's Accountable owner or a compliance officer can "
                       "assign it (RACI assignments of the AI system); until then, act only with an emergency "
                       "override reason.")
        raise ValidationError({"override_reason": message})
    link = _check_target(kind, target_system, target_component, rollback_to)

    action = ContainmentAction(
        incident=locked, kind=kind, target_system=target_system, target_component=target_component,
        rollback_to=rollback_to, description=(description or "").strip(), performed_by=actor,
        performed_at=performed_at, authority=_authority_text(assignment, actor) if assignment else "",
        override_reason=override_reason, outcome=(outcome or "").strip(),
    )
    save_tracked(action, actor=actor)
    effects = _apply_effects(actor=actor, kind=kind, system=target_system, component=target_component,
                             rollback_to=rollback_to, link=link)
    if override_reason:
        summary = f"EMERGENCY OVERRIDE by {who(actor)}: {action} - {override_reason}"
    else:
        summary = f"{action} by {who(actor)} ({action.authority})"
    record_event(locked, Kind.CONTAINMENT, actor=actor, summary=summary, flagged=bool(override_reason), payload={
        "event": "recorded", "action": action.pk, "kind": kind, "system": target_system.pk,
        "component": getattr(target_component, "pk", None), "rollback_to": getattr(rollback_to, "pk", None),
        "performed_at": performed_at.isoformat(), "authority": action.authority,
        "override": bool(override_reason), "override_reason": override_reason, "effects": effects,
    })
    return action


@transaction.atomic
def containment_revert(*, actor, action: ContainmentAction, reason: str) -> ContainmentAction:
    """Undo a containment action: restore what it changed in the inventory and record who, when and why."""
    require_user(actor, "Reverting a containment action")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the containment action is reverted."})
    locked = ContainmentAction.objects.select_for_update(of=("self",)).select_related("reverted_by").get(pk=action.pk)
    if locked.reverted_at is not None:
        raise ValidationError({"action": (
            f"'{locked}' was already reverted by {who(locked.reverted_by)} at {locked.reverted_at:%Y-%m-%d %H:%M} "
            "UTC; an action is reverted once."
        )})
    recorded = (TimelineEvent.objects.filter(incident_id=locked.incident_id, kind=Kind.CONTAINMENT,
                                             payload__event="recorded", payload__action=locked.pk)
                .order_by("id").first())
    restored, skipped = _undo_effects(actor=actor, effects=recorded.payload.get("effects", []) if recorded else [])
    locked.reverted_at, locked.reverted_by, locked.revert_reason = timezone.now(), actor, reason.strip()
    save_tracked(locked, actor=actor, update_fields=["reverted_at", "reverted_by", "revert_reason"])
    summary = f"Reverted: {locked} by {who(actor)} - {locked.revert_reason}"
    if skipped:
        summary += f" ({len(skipped)} change(s) left as they are: changed since by someone else)"
    record_event(locked.incident, Kind.CONTAINMENT, actor=actor, summary=summary, flagged=bool(skipped), payload={
        "event": "reverted", "action": locked.pk, "reason": locked.revert_reason, "restored": restored,
        "skipped": skipped,
    })
    refresh_caller(action, locked)
    return locked
