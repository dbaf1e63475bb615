"""Inventory services: invariants as clear errors, history with the acting user, a timeline event per write."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from inventory import services
from inventory.models import AISystem, Component, ComponentDependency, InventoryEvent, RaciAssignment
from inventory.tests.factories import AISystemFactory, ComponentFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice")


def _messages(excinfo):
    return excinfo.value.message_dict


def test_creating_a_system_leaves_history_with_the_actor_and_a_timeline_event(alice):
    system = services.ai_system_create(actor=alice, name="Chat", slug="chat", purpose="Answers.",
                                       jurisdictions=["DE", "US-CA"])
    created, with_places = system.history.order_by("history_id")
    assert created.history_user == alice and created.history_type == "+" and created.history_source == "service"
    # The jurisdictions (many-to-many) are set after the row exists: a second row records them, same actor.
    assert with_places.history_user == alice
    assert sorted(with_places.jurisdictions.values_list("jurisdiction__code", flat=True)) == ["DE", "US-CA"]
    event = InventoryEvent.objects.get(system=system)
    assert event.kind == "system_registered" and event.actor == alice
    assert sorted(system.jurisdictions.values_list("code", flat=True)) == ["DE", "US-CA"]


def test_updating_risk_class_records_who_and_a_risk_event(alice):
    system = AISystemFactory()
    services.ai_system_update(actor=alice, system=system, risk_class="high_risk_annex_iii",
                              annex_iii_area="employment", risk_rationale="Recruitment (Annex III 4(a)).")
    latest = system.history.first()
    assert latest.history_user == alice and latest.risk_class == "high_risk_annex_iii"
    kinds = set(InventoryEvent.objects.filter(system=system).values_list("kind", flat=True))
    assert {"system_updated", "risk_classified"} <= kinds


def test_an_update_that_changes_nothing_writes_nothing(alice):
    system = AISystemFactory(name="Same")
    before = (system.history.count(), InventoryEvent.objects.count())
    services.ai_system_update(actor=alice, system=system, name="Same")
    assert (system.history.count(), InventoryEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"risk_class": "high_risk_annex_iii", "risk_rationale": "x"}, "annex_iii_area", "Annex III area"),
        ({"risk_class": "high_risk_annex_i", "risk_rationale": "x"}, "annex_i_product", "Annex I product"),
        ({"risk_class": "minimal", "annex_iii_area": "employment", "risk_rationale": "x"}, "annex_iii_area",
         "only set for the high-risk Annex III"),
        ({"risk_class": "gpai"}, "risk_rationale", "needs its rationale"),
        ({"personal_data_categories": ["dna"]}, "personal_data_categories", "Unknown personal-data categories: dna"),
        ({"log_retention_days": 30}, "log_retention_days", "needs inference logging"),
        ({"risk_class": "very_high", "risk_rationale": "x"}, "risk_class", "not a valid choice"),
    ],
)
def test_system_rules_are_refused_naming_the_field(alice, fields, field, words):
    with pytest.raises(ValidationError) as excinfo:
        services.ai_system_create(actor=alice, name="S", slug="s", purpose="p", **fields)
    assert words in " ".join(_messages(excinfo)[field])
    assert not AISystem.objects.exists() and not AISystem.history.exists()


def test_unknown_jurisdiction_is_refused_and_nothing_is_kept(alice):
    with pytest.raises(ValidationError) as excinfo:
        services.ai_system_create(actor=alice, name="S", slug="s", purpose="p", jurisdictions=["DE", "XX"])
    assert "XX" in _messages(excinfo)["jurisdictions"][0]
    assert not AISystem.objects.exists()


def test_disableable_component_needs_its_procedure(alice):
    with pytest.raises(ValidationError) as excinfo:
        services.component_create(actor=alice, kind="tool", name="refund", disableable=True)
    assert "disable procedure" in _messages(excinfo)["disable_procedure"][0]


def test_duplicate_component_is_refused_with_a_readable_message(alice):
    ComponentFactory(kind="model", name="m", version="1")
    with pytest.raises(ValidationError) as excinfo:
        services.component_create(actor=alice, kind="model", name="m", version="1")
    assert "already exists" in str(excinfo.value)


def test_bad_hashes_are_refused(alice):
    with pytest.raises(ValidationError) as excinfo:
        services.component_create(actor=alice, kind="model", name="m", hashes=[{"alg": "SHA-256", "content": "abc"}])
    assert "64 hexadecimal" in _messages(excinfo)["hashes"][0]


def test_only_one_accountable_per_system_and_activity_naming_the_holder(alice):
    system = AISystemFactory()
    services.raci_assign(actor=alice, system=system, activity="revoke_key", role="accountable", user=alice)
    services.raci_assign(actor=alice, system=system, activity="revoke_key", role="responsible", team=TeamFactory())
    with pytest.raises(ValidationError) as excinfo:
        services.raci_assign(actor=alice, system=system, activity="revoke_key", role="accountable",
                             team=TeamFactory(name="SecOps"))
    assert "alice is already Accountable for 'Revoke an API key'" in _messages(excinfo)["role"][0]
    assert RaciAssignment.objects.filter(role="accountable").count() == 1


def test_changing_a_responsible_into_a_second_accountable_is_refused(alice):
    system = AISystemFactory()
    services.raci_assign(actor=alice, system=system, activity="own_system", role="accountable", user=alice)
    other = services.raci_assign(actor=alice, system=system, activity="own_system", role="responsible",
                                 team=TeamFactory())
    with pytest.raises(ValidationError):
        services.raci_update(actor=alice, assignment=other, role="accountable")


def test_raci_needs_exactly_one_assignee(alice):
    system = AISystemFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.raci_assign(actor=alice, system=system, activity="own_system", role="informed")
    assert "exactly one assignee" in str(excinfo.value)
    with pytest.raises(ValidationError):
        services.raci_assign(actor=alice, system=system, activity="own_system", role="informed", user=alice,
                             team=TeamFactory())


def test_a_component_cannot_depend_on_itself(alice):
    a = ComponentFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.dependency_add(actor=alice, component=a, depends_on=a)
    assert "itself" in _messages(excinfo)["depends_on"][0]


def test_a_dependency_closing_a_cycle_is_refused_naming_both_components(alice):
    a, b, c = (ComponentFactory(name=n) for n in "abc")
    services.dependency_add(actor=alice, component=a, depends_on=b)
    services.dependency_add(actor=alice, component=b, depends_on=c)
    with pytest.raises(ValidationError) as excinfo:
        services.dependency_add(actor=alice, component=c, depends_on=a)
    message = _messages(excinfo)["depends_on"][0]
    assert "would make a cycle" in message and "a " in message and "c " in message
    assert ComponentDependency.objects.count() == 2


def test_a_component_in_use_cannot_be_deleted(alice):
    component = ComponentFactory()
    services.system_component_attach(actor=alice, system=AISystemFactory(), component=component)
    with pytest.raises(ValidationError) as excinfo:
        services.component_delete(actor=alice, component=component)
    assert "is used by AI systems" in str(excinfo.value)
    assert Component.objects.filter(pk=component.pk).exists()


def test_deleting_a_system_leaves_a_deletion_row_per_record_with_the_actor(alice):
    system = AISystemFactory()
    link = services.system_component_attach(actor=alice, system=system, component=ComponentFactory())
    raci = services.raci_assign(actor=alice, system=system, activity="own_system", role="accountable", user=alice)
    keys = ((AISystem, system.pk), (type(link), link.pk), (RaciAssignment, raci.pk))
    services.ai_system_delete(actor=alice, system=system)
    for model, pk in keys:
        row = model.history.filter(id=pk).first()
        assert row.history_type == "-" and row.history_user == alice
    assert InventoryEvent.objects.filter(kind="system_deleted", actor=alice).exists()


def test_escalation_steps_are_ordered_per_severity(alice):
    system = AISystemFactory()
    services.escalation_step_create(actor=alice, system=system, severity="p0", order=1,
                                    acknowledge_within_minutes=15, user=alice)
    with pytest.raises(ValidationError) as excinfo:
        services.escalation_step_create(actor=alice, system=system, severity="p0", order=1,
                                        acknowledge_within_minutes=30, team=TeamFactory())
    assert "already has a step at this order" in str(excinfo.value)
    with pytest.raises(ValidationError) as excinfo:
        services.escalation_step_create(actor=alice, system=system, severity="p1", order=0,
                                        acknowledge_within_minutes=30, user=alice)
    assert "numbered from 1" in _messages(excinfo)["order"][0]


def test_every_service_write_leaves_an_event_with_the_actor(alice):
    team = services.team_create(actor=alice, name="T")
    system = services.ai_system_create(actor=alice, name="S", slug="s", purpose="p", owner_team=team)
    a = services.component_create(actor=alice, kind="model", name="a")
    b = services.component_create(actor=alice, kind="dataset", name="b")
    services.component_update(actor=alice, component=a, known_good=True)
    edge = services.dependency_add(actor=alice, component=a, depends_on=b, relation="trained_on")
    link = services.system_component_attach(actor=alice, system=system, component=a)
    services.system_component_update(actor=alice, link=link, usage="primary")
    step = services.escalation_step_create(actor=alice, system=system, severity="p1", order=1,
                                           acknowledge_within_minutes=60, team=team)
    services.escalation_step_update(actor=alice, step=step, acknowledge_within_minutes=30)
    services.dependency_remove(actor=alice, edge=edge)
    services.system_component_detach(actor=alice, link=link)
    services.escalation_step_delete(actor=alice, step=step)
    services.team_update(actor=alice, team=team, email="t@example.org")
    assert InventoryEvent.objects.count() == 14
    assert not InventoryEvent.objects.exclude(actor=alice).exists()
    for model in (AISystem, Component, ComponentDependency):
        assert not model.history.exclude(history_user=alice).exists()


def test_inventory_events_are_append_only(alice):
    event = InventoryEvent.objects.create(kind="team_changed", summary="x")
    event.summary = "changed"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_changing_only_jurisdictions_leaves_a_history_row_with_the_new_list(alice):
    system = AISystemFactory(jurisdictions=["DE"])
    services.ai_system_update(actor=alice, system=system, jurisdictions=["DE", "FR"])
    latest = system.history.first()
    assert latest.history_user == alice
    assert sorted(latest.jurisdictions.values_list("jurisdiction__code", flat=True)) == ["DE", "FR"]


def test_changing_team_members_leaves_a_history_row_naming_the_actor(alice):
    team = TeamFactory()
    services.team_update(actor=alice, team=team, members=[alice])
    latest = team.history.first()
    assert latest.history_user == alice
    assert list(latest.members.values_list("user__username", flat=True)) == ["alice"]
