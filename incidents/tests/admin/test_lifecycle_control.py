"""The change page's optimistic lock and lifecycle control: a stale form is refused naming who changed the
incident; "move to" offers the allowed next states and a refused move says which ones are allowed."""

from incidents import services
from incidents.models import Incident, TimelineEvent
from incidents.tests.admin.helpers import admin_url, form_data, page_text
from incidents.tests.factories import advance
from portal.core import roles
from portal.core.display import moment_text

Kind = TimelineEvent.Kind


def _page(client, incident):
    url = admin_url("incident", "change", incident.pk)
    return url, form_data(client.get(url))


def test_a_stale_form_is_refused_naming_who_changed_the_incident_and_nothing_is_overwritten(
    client_as, compliance, responder, scene
):
    client = client_as(roles.COMPLIANCE_OFFICER)
    url, data = _page(client, scene.incident)
    services.incident_update(actor=responder, incident=scene.incident, expected_version=1, title="Responder's title")
    changed_at = Incident.history.latest("history_date").history_date
    records = Incident.history.count()
    data.update(title="Compliance title", severity="p0")

    response = client.post(url, data)

    assert response.status_code == 200
    error = " ".join(response.context["adminform"].form.non_field_errors())
    assert f"{scene.incident.reference} was changed by responder at {moment_text(changed_at, seconds=True)}" in error
    assert "now version 2; your copy is version 1" in error
    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.version) == ("Responder's title", "p1", 2)
    assert Incident.history.count() == records
    assert not TimelineEvent.objects.filter(actor=compliance, kind=Kind.UPDATED).exists()


def test_a_stale_form_cannot_move_the_incident_either(client_as, responder, scene):
    client = client_as(roles.COMPLIANCE_OFFICER)
    url, data = _page(client, scene.incident)
    services.incident_update(actor=responder, incident=scene.incident, summary="Seen in two tenants.")
    data.update(move_to="triaged", note="Taking it.")

    response = client.post(url, data)

    assert response.status_code == 200
    assert "was changed by responder" in page_text(response)
    assert Incident.objects.get().status == "detected"


def test_the_move_to_control_offers_only_the_allowed_next_states(client_as, scene):
    response = client_as(roles.INCIDENT_RESPONDER).get(admin_url("incident", "change", scene.incident.pk))

    choices = [value for value, _ in response.context["adminform"].form.fields["move_to"].choices]
    assert choices == ["", "triaged", "dismissed"]
    assert "Allowed next states from detected: triaged, dismissed (not an incident)." in page_text(response)


def test_moving_an_incident_records_the_status_change_with_its_note(client_as, responder, scene):
    client = client_as(roles.INCIDENT_RESPONDER)
    url, data = _page(client, scene.incident)
    data.update(move_to="triaged", note="Confirmed: the injected prompt exfiltrates ticket data.", severity="p0")

    response = client.post(url, data)

    assert response.status_code == 302, page_text(response)
    incident = Incident.objects.get()
    assert (incident.status, incident.severity, incident.version) == ("triaged", "p0", 3)
    assert incident.acknowledged_at is not None
    event = TimelineEvent.objects.filter(kind=Kind.STATUS_CHANGE).get()
    assert event.summary == "Detected -> Triaged: Confirmed: the injected prompt exfiltrates ticket data."
    assert (event.actor, event.source) == (responder, "admin")
    record = incident.history.latest("history_date")
    assert (record.status, record.history_user, record.history_source) == ("triaged", responder, "admin")


def test_a_target_the_lifecycle_does_not_allow_is_a_form_error_naming_the_allowed_states(client_as, scene):
    client = client_as(roles.COMPLIANCE_OFFICER)
    url, data = _page(client, scene.incident)
    data.update(move_to="closed", title="Not saved either")

    response = client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["move_to"]
    assert errors == ["An incident cannot go from detected to closed; allowed next states from detected: triaged, "
                      "dismissed (not an incident)."]
    incident = Incident.objects.get()
    assert (incident.status, incident.title) == ("detected", "Prompt injection in the support bot")


def test_a_move_refused_by_its_guard_says_what_is_missing_and_which_states_are_allowed(
    client_as, compliance, scene
):
    advance(scene.incident, compliance, "recovering")
    client = client_as(roles.COMPLIANCE_OFFICER)
    url, data = _page(client, scene.incident)
    data.update(move_to="review", users_affected="40")

    response = client.post(url, data)

    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["move_to"]
    assert error.startswith("Moving from recovering to post-incident review needs a recovery validation signed off")
    assert error.endswith("The allowed next states from recovering: investigating, post-incident review.")
    incident = Incident.objects.get()
    assert (incident.status, incident.users_affected) == ("recovering", None)  # the whole submission rolled back


def test_dismissing_needs_a_note_saying_why(client_as, scene):
    client = client_as(roles.COMPLIANCE_OFFICER)
    url, data = _page(client, scene.incident)
    data.update(move_to="dismissed")

    refused = client.post(url, data)
    data.update(note="A red-team exercise, announced beforehand.")
    dismissed = client.post(url, data)

    assert "needs a note saying why this is not an incident" in " ".join(
        refused.context["adminform"].form.errors["move_to"])
    assert dismissed.status_code == 302, page_text(dismissed)
    assert Incident.objects.get().status == "dismissed"


def test_a_note_without_a_move_goes_to_the_timeline(client_as, compliance, scene):
    client = client_as(roles.COMPLIANCE_OFFICER)
    url, data = _page(client, scene.incident)
    data.update(note="Vendor contacted about the jailbreak pattern.")

    response = client.post(url, data)

    assert response.status_code == 302, page_text(response)
    note = TimelineEvent.objects.get(kind=Kind.NOTE)
    assert (note.summary, note.actor, note.source) == ("Vendor contacted about the jailbreak pattern.", compliance,
                                                       "admin")
    assert Incident.objects.get().status == "detected"
