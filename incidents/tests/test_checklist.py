"""The runbook checklist: completing and reopening a step say who and when, in history and on the timeline."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.models import ChecklistItem, Runbook, RunbookStep, TimelineEvent
from incidents.tests.factories import checklist_item, open_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def responder(role_users):
    return role_users["incident responder"]


@pytest.fixture
def item(role_users):
    incident = open_incident(role_users["compliance officer"])
    return checklist_item(incident, actor=role_users["compliance officer"])


def _checklist_events(incident):
    return list(TimelineEvent.objects.filter(incident=incident, kind=TimelineEvent.Kind.CHECKLIST).order_by("id"))


def test_completing_a_step_records_who_when_and_notes_with_history_and_a_timeline_event(item, responder):
    done = services.checklist_item_complete(actor=responder, item=item, notes="Tool switched off at 10:02.")
    assert done.done_by == responder and done.done_at is not None
    assert done.notes == "Tool switched off at 10:02."
    assert item.done_by == responder  # the caller's object sees the saved state
    latest = done.history.first()
    assert latest.history_user == responder and latest.done_at == done.done_at
    (event,) = _checklist_events(item.incident)
    assert event.actor == responder and event.payload["done"] is True and item.title in event.summary


def test_completing_a_completed_step_is_refused_naming_who_did_it(item, responder, role_users):
    services.checklist_item_complete(actor=responder, item=item)
    with pytest.raises(ValidationError) as excinfo:
        services.checklist_item_complete(actor=role_users["compliance officer"], item=item)
    message = excinfo.value.message_dict["done_at"][0]
    assert "already completed by responder" in message and "reopen it first" in message
    assert ChecklistItem.objects.get(pk=item.pk).done_by == responder
    assert len(_checklist_events(item.incident)) == 1


def test_reopening_clears_who_when_and_notes_and_leaves_history(item, responder, role_users):
    compliance = role_users["compliance officer"]
    services.checklist_item_complete(actor=responder, item=item, notes="Done.")
    reopened = services.checklist_item_reopen(actor=compliance, item=item)
    assert (reopened.done_at, reopened.done_by, reopened.notes) == (None, None, "")
    history = list(reopened.history.order_by("history_id"))
    assert [h.history_user for h in history[-2:]] == [responder, compliance]
    assert history[-2].done_by_id == responder.pk and history[-1].done_by_id is None
    _done, reopen_event = _checklist_events(item.incident)
    assert reopen_event.actor == compliance and reopen_event.payload["done"] is False
    assert reopen_event.payload["previous"]["notes"] == "Done."
    # and it can be completed again
    assert services.checklist_item_complete(actor=compliance, item=item).done_by == compliance


def test_reopening_an_open_step_is_refused(item, responder):
    with pytest.raises(ValidationError) as excinfo:
        services.checklist_item_reopen(actor=responder, item=item)
    assert "not completed" in excinfo.value.message_dict["done_at"][0]
    assert item.history.count() == 1


def test_a_step_needs_a_person_as_actor(item):
    with pytest.raises(ValidationError) as excinfo:
        services.checklist_item_complete(actor=None, item=item)
    assert "signed-in user" in excinfo.value.message_dict["actor"][0]


def test_steps_copied_from_the_runbook_can_be_worked(responder):
    runbook = Runbook.objects.update_or_create(incident_class="jailbreak",
                                               defaults={"title": "Jailbreak", "version": "9"})[0]
    runbook.steps.all().delete()
    RunbookStep.objects.create(runbook=runbook, order=1, phase="triage", title="Confirm the jailbreak")
    RunbookStep.objects.create(runbook=runbook, order=2, phase="contain", title="Tighten the guardrail")
    incident = open_incident(responder, incident_class="jailbreak")
    first, second = incident.checklist.all()
    services.checklist_item_complete(actor=responder, item=second)
    assert [i.done_by for i in incident.checklist.all()] == [None, responder]
    assert first.runbook_version == "9"
