"""Containment: authority from the RACI of the target system or a recorded emergency override, effects on the
inventory through its services, and reverting exactly what an action changed."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import services
from incidents.models import ContainmentAction, TimelineEvent
from incidents.tests.factories import advance, open_incident, signed_validation
from inventory import services as inventory
from inventory.models import Activity, InventoryEvent, RaciRole, SystemComponent
from inventory.tests.factories import ComponentFactory, make_small_inventory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(role_users):
    """Support bot: the ML platform team (with the responder) is Responsible for revoking keys, the compliance
    officer Accountable; the legal reviewer is only Consulted. Nobody is assigned to roll back."""
    admin, responder, compliance = role_users["admin"], role_users["incident responder"], \
        role_users["compliance officer"]
    inv = make_small_inventory(actor=admin, members=[responder])
    key = ComponentFactory(actor=admin, kind="credential", name="openai-key")
    inventory.system_component_attach(actor=admin, system=inv.system, component=key, usage="vendor API key")
    for role, who in ((RaciRole.RESPONSIBLE, {"team": inv.team}), (RaciRole.ACCOUNTABLE, {"user": compliance}),
                      (RaciRole.CONSULTED, {"user": role_users["legal reviewer"]})):
        inventory.raci_assign(actor=admin, system=inv.system, activity=Activity.REVOKE_KEY, role=role, **who)
    incident = open_incident(compliance, systems=[inv.system])
    return SimpleNamespace(inv=inv, system=inv.system, key=key, incident=incident, responder=responder,
                           compliance=compliance, admin=admin, legal=role_users["legal reviewer"])


def _revoke(s, actor, **extra):
    return services.containment_record(actor=actor, incident=s.incident, kind="revoke_key", target_system=s.system,
                                       target_component=s.key, **extra)


def _events(incident):
    return list(TimelineEvent.objects.filter(incident=incident, kind=TimelineEvent.Kind.CONTAINMENT).order_by("id"))


def test_a_team_member_responsible_for_the_activity_acts_and_the_key_is_disabled_through_inventory(scene):
    action = _revoke(scene, scene.responder, description="Key rotated at the vendor.")
    assert action.performed_by == scene.responder and not action.is_override
    assert action.authority == "Responsible for 'Revoke an API key' on Support bot (as member of team ML platform)"
    assert action.history.get().history_user == scene.responder
    scene.key.refresh_from_db()
    assert scene.key.status == "disabled" and scene.key.history.first().history_user == scene.responder
    assert InventoryEvent.objects.filter(component=scene.key, kind="component_updated",
                                         actor=scene.responder).exists()
    (event,) = _events(scene.incident)
    assert event.actor == scene.responder and not event.flagged
    assert event.payload["effects"][0] | {"pk": None, "label": ""} == {
        "target": "component", "pk": None, "label": "", "field": "status", "from": "active", "to": "disabled"}


def test_the_accountable_user_acts_in_person(scene):
    action = _revoke(scene, scene.compliance)
    assert action.authority.startswith("Accountable for 'Revoke an API key' on Support bot (as compliance)")


@pytest.mark.parametrize("who", ["legal", "admin"])
def test_without_authority_the_action_is_refused_naming_the_activity_and_who_holds_it(scene, who):
    """Consulted is not authority, and a superuser holds none implicitly."""
    with pytest.raises(ValidationError) as excinfo:
        _revoke(scene, getattr(scene, who))
    message = excinfo.value.message_dict["override_reason"][0]
    assert "'Revoke an API key' on Support bot" in message
    assert "compliance (user, Accountable)" in message and "ML platform (team, Responsible)" in message
    assert "emergency override" in message
    scene.key.refresh_from_db()
    assert scene.key.status == "active" and not ContainmentAction.objects.exists() and not _events(scene.incident)


def test_an_emergency_override_is_recorded_and_flags_the_timeline_event(scene):
    action = _revoke(scene, scene.admin, override_reason="Key is being abused right now; owners unreachable.")
    assert action.is_override and action.authority == ""
    assert action.override_reason == "Key is being abused right now; owners unreachable."
    (event,) = _events(scene.incident)
    assert event.flagged and "EMERGENCY OVERRIDE" in event.summary and "owners unreachable" in event.summary
    assert event.payload["override"] is True and event.payload["override_reason"] == action.override_reason


def test_when_nobody_holds_the_authority_the_refusal_says_so_and_who_can_assign_it(scene):
    with pytest.raises(ValidationError) as excinfo:
        services.containment_record(actor=scene.responder, incident=scene.incident, kind="disable_tool",
                                    target_system=scene.system, target_component=scene.inv.tool)
    message = excinfo.value.message_dict["override_reason"][0]
    assert message.startswith("Nobody holds") and "compliance officer can assign it" in message
    assert "Ask them" not in message


@pytest.mark.parametrize("kind", ["revoke_key", "disable_tool", "isolate_vector_store", "rollback"])
def test_kinds_acting_on_a_component_need_one(scene, kind):
    with pytest.raises(ValidationError) as excinfo:
        services.containment_record(actor=scene.admin, incident=scene.incident, kind=kind,
                                    target_system=scene.system, override_reason="test")
    assert "name the target component" in excinfo.value.message_dict["target_component"][0]


def test_the_component_must_belong_to_the_target_system(scene):
    with pytest.raises(ValidationError) as excinfo:
        services.containment_record(actor=scene.admin, incident=scene.incident, kind="disable_tool",
                                    target_system=scene.system, target_component=scene.inv.tool, override_reason="x")
    assert "is not part of Support bot" in excinfo.value.message_dict["target_component"][0]
    assert not ContainmentAction.objects.exists()


@pytest.mark.parametrize(("field", "value", "words"), [
    ("kind", "unplug", "Unknown containment kind"),
    ("performed_at", "future", "in the future"),
])
def test_bad_input_is_refused_naming_the_field(scene, field, value, words):
    extra = {"performed_at": timezone.now() + timedelta(hours=1)} if value == "future" else {field: value}
    kwargs = {"kind": "suppress_output", **extra}
    with pytest.raises(ValidationError) as excinfo:
        services.containment_record(actor=scene.responder, incident=scene.incident, target_system=scene.system,
                                    override_reason="x", **kwargs)
    assert words in excinfo.value.message_dict[field][0]


@pytest.mark.parametrize("status", ["closed", "dismissed"])
def test_a_closed_or_dismissed_incident_refuses_new_containment(scene, status):
    if status == "dismissed":
        services.incident_transition(actor=scene.compliance, incident=scene.incident, to="dismissed",
                                     note="Red-team exercise.")
    else:
        advance(scene.incident, scene.responder, "recovering")
        signed_validation(scene.incident, engineering=scene.responder, compliance=scene.compliance)
        services.incident_transition(actor=scene.compliance, incident=scene.incident, to="review")
        services.review_record(actor=scene.compliance, incident=scene.incident, root_cause="Leaked key.")
        services.incident_transition(actor=scene.compliance, incident=scene.incident, to="closed")
    with pytest.raises(ValidationError) as excinfo:
        _revoke(scene, scene.responder)
    assert f"is {status}" in excinfo.value.message_dict["incident"][0]


def test_reverting_restores_the_component_records_who_and_why_and_cannot_happen_twice(scene):
    action = _revoke(scene, scene.responder)
    reverted = services.containment_revert(actor=scene.compliance, action=action, reason="Key rotated; re-enabled.")
    assert reverted.reverted_by == scene.compliance and reverted.reverted_at is not None
    assert reverted.revert_reason == "Key rotated; re-enabled." and action.reverted_at == reverted.reverted_at
    assert reverted.history.first().history_user == scene.compliance
    scene.key.refresh_from_db()
    assert scene.key.status == "active" and scene.key.history.first().history_user == scene.compliance
    _recorded, revert_event = _events(scene.incident)
    assert revert_event.actor == scene.compliance and revert_event.payload["event"] == "reverted"
    assert revert_event.payload["restored"][0]["restored_to"] == "active"
    with pytest.raises(ValidationError) as excinfo:
        services.containment_revert(actor=scene.compliance, action=action, reason="again")
    assert "already reverted by compliance" in excinfo.value.message_dict["action"][0]


def test_reverting_needs_a_reason(scene):
    action = _revoke(scene, scene.responder)
    with pytest.raises(ValidationError) as excinfo:
        services.containment_revert(actor=scene.responder, action=action, reason=" ")
    assert "why" in excinfo.value.message_dict["reason"][0]


def test_reverting_leaves_a_component_that_was_already_disabled_before_the_action(scene):
    inventory.component_update(actor=scene.admin, component=scene.key, status="disabled")
    action = _revoke(scene, scene.responder)
    services.containment_revert(actor=scene.responder, action=action, reason="Done.")
    scene.key.refresh_from_db()
    assert scene.key.status == "disabled"


def test_suspending_the_endpoint_without_a_component_suspends_the_system_and_revert_restores_it(scene):
    inventory.ai_system_update(actor=scene.admin, system=scene.system, lifecycle="production")
    inventory.raci_assign(actor=scene.admin, system=scene.system, activity=Activity.SUSPEND_ENDPOINT,
                          role=RaciRole.ACCOUNTABLE, user=scene.responder)
    action = services.containment_record(actor=scene.responder, incident=scene.incident, kind="suspend_endpoint",
                                         target_system=scene.system)
    scene.system.refresh_from_db()
    assert scene.system.lifecycle == "suspended" and scene.system.history.first().history_user == scene.responder
    services.containment_revert(actor=scene.responder, action=action, reason="Fixed.")
    scene.system.refresh_from_db()
    assert scene.system.lifecycle == "production"


def test_suspending_an_endpoint_component_disables_it(scene):
    endpoint = ComponentFactory(actor=scene.admin, kind="endpoint", name="chat-endpoint")
    inventory.system_component_attach(actor=scene.admin, system=scene.system, component=endpoint)
    services.containment_record(actor=scene.admin, incident=scene.incident, kind="suspend_endpoint",
                                target_system=scene.system, target_component=endpoint, override_reason="Abuse.")
    endpoint.refresh_from_db()
    scene.system.refresh_from_db()
    assert endpoint.status == "disabled" and scene.system.lifecycle == "development"


@pytest.fixture
def rollback(scene):
    """The support model v1.0 in use; a known-good v0.9 not attached; the responder Responsible for rollback."""
    inventory.raci_assign(actor=scene.admin, system=scene.system, activity=Activity.ROLLBACK_MODEL,
                          role=RaciRole.RESPONSIBLE, user=scene.responder)
    good = ComponentFactory(actor=scene.admin, kind="model", name="support-llm", version="0.9", known_good=True)
    return SimpleNamespace(model=scene.inv.model, good=good, link=scene.inv.link)


def _rollback(scene, to, component=None):
    return services.containment_record(actor=scene.responder, incident=scene.incident, kind="rollback",
                                       target_system=scene.system, target_component=component or scene.inv.model,
                                       rollback_to=to)


def _active(system, component):
    return SystemComponent.objects.get(system=system, component=component).is_active


def test_rollback_switches_to_the_known_good_version_and_revert_switches_back(scene, rollback):
    action = _rollback(scene, rollback.good)
    assert not _active(scene.system, rollback.model) and _active(scene.system, rollback.good)
    attached = SystemComponent.objects.get(system=scene.system, component=rollback.good)
    assert attached.usage == "primary model" and attached.history.first().history_user == scene.responder
    services.containment_revert(actor=scene.responder, action=action, reason="v1.0 patched.")
    assert _active(scene.system, rollback.model) and not _active(scene.system, rollback.good)
    # a second rollback re-activates the standby link instead of attaching again
    _rollback(scene, rollback.good)
    assert _active(scene.system, rollback.good) and SystemComponent.objects.filter(component=rollback.good).count() == 1


def test_rollback_needs_a_known_good_component_of_the_same_kind(scene, rollback):
    unverified = ComponentFactory(actor=scene.admin, kind="model", name="support-llm", version="0.8")
    for target, words in ((None, "needs the known-good component"), (unverified, "not marked known-good"),
                          (scene.inv.dataset, "needs a model"), (rollback.model, "different component")):
        with pytest.raises(ValidationError) as excinfo:
            _rollback(scene, target)
        assert words in excinfo.value.message_dict["rollback_to"][0]
    assert _active(scene.system, rollback.model) and not ContainmentAction.objects.exists()


def test_a_rollback_target_is_refused_for_other_kinds(scene, rollback):
    with pytest.raises(ValidationError) as excinfo:
        _revoke(scene, scene.responder, rollback_to=rollback.good)
    assert "only given for a rollback" in excinfo.value.message_dict["rollback_to"][0]
