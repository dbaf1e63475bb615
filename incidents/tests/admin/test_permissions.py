"""Who may open and write which incident admin page: compliance officers and responders work on incidents, the
legal reviewer, leadership and the auditor read; nobody deletes an incident or rewrites the timeline."""

import pytest
from django.urls import reverse

from incidents.models import Incident, TimelineEvent
from incidents.tests.admin.helpers import admin_url, form_data, page_text
from portal.core import roles

WRITERS = [roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER, "admin"]
READERS = [roles.LEGAL_REVIEWER, roles.LEADERSHIP, roles.AUDITOR]
PAGES = ["changelist", "add", "change", "history", "delete"]
READ_ONLY_MODELS = ["timelineevent", "slanotice", "runbook", "runbookstep", "atlastechnique", "owasprisk",
                    "csfcategory", "evidence"]


def _url(page, incident):
    return admin_url("incident", page, None if page in ("changelist", "add") else incident.pk)


def _expected(role, page):
    if page == "delete":
        return 403  # records are kept: no role deletes an incident
    if page == "add":
        return 200 if role in WRITERS else 403
    return 200


@pytest.mark.parametrize("role", WRITERS + READERS)
def test_each_role_opens_only_the_incident_pages_its_permissions_allow(client_as, scene, role):
    client = client_as(role)
    statuses = {page: client.get(_url(page, scene.incident)).status_code for page in PAGES}
    assert statuses == {page: _expected(role, page) for page in PAGES}


def test_anonymous_visitors_are_sent_to_the_login_page(client_as, scene):
    client = client_as(None)
    for page in PAGES:
        response = client.get(_url(page, scene.incident))
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("admin:login")), page


@pytest.mark.parametrize("role", [roles.COMPLIANCE_OFFICER, roles.INCIDENT_RESPONDER])
def test_compliance_officers_and_responders_can_change_an_incident(client_as, scene, role):
    client = client_as(role)
    url = admin_url("incident", "change", scene.incident.pk)
    page = client.get(url)
    data = form_data(page)
    data["title"] = f"Changed by the {role}"

    response = client.post(url, data)

    assert 'name="_save"' in page.content.decode()
    assert response.status_code == 302, page_text(response)
    assert Incident.objects.get().title == f"Changed by the {role}"


@pytest.mark.parametrize("role", READERS)
def test_read_only_roles_see_the_change_page_without_a_save_button_or_lifecycle_control(client_as, scene, role):
    response = client_as(role).get(admin_url("incident", "change", scene.incident.pk))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="_save"' not in content
    assert 'name="move_to"' not in content
    assert "Prompt injection in the support bot" in page_text(response)


@pytest.mark.parametrize("role", READERS)
def test_a_post_from_a_read_only_role_is_refused_and_changes_nothing(client_as, compliance, scene, role):
    client = client_as(role)
    data = form_data(client_as(roles.COMPLIANCE_OFFICER).get(admin_url("incident", "change", scene.incident.pk)))
    data.update(title="Rewritten", move_to="triaged")
    events = TimelineEvent.objects.count()

    change = client.post(admin_url("incident", "change", scene.incident.pk), data)
    add = client.post(admin_url("incident", "add"), {**data, "title": "New"})

    assert (change.status_code, add.status_code) == (403, 403)
    incident = Incident.objects.get()
    assert (incident.title, incident.status, incident.version) == ("Prompt injection in the support bot",
                                                                   "detected", 1)
    assert TimelineEvent.objects.count() == events


def test_nobody_is_offered_a_delete_not_even_a_superuser(client_as, scene):
    client = client_as("admin")
    page = client.get(admin_url("incident", "change", scene.incident.pk)).content.decode()
    delete = client.post(admin_url("incident", "delete", scene.incident.pk), {"post": "yes"})
    listing = client.get(admin_url("incident", "changelist")).content.decode()

    assert admin_url("incident", "delete", scene.incident.pk) not in page
    assert delete.status_code == 403
    assert 'value="delete_selected"' not in listing
    assert Incident.objects.exists()


@pytest.mark.parametrize("role", [roles.INCIDENT_RESPONDER, roles.AUDITOR, "admin"])
def test_reference_pages_and_the_timeline_are_read_only_for_everybody(client_as, scene, evidence, role):
    client = client_as(role)
    for model_name in READ_ONLY_MODELS:
        pk = evidence.pk if model_name == "evidence" else _reference_pk(model_name, scene)

        listing = client.get(admin_url(model_name, "changelist"))
        page = client.get(admin_url(model_name, "change", pk))
        add = client.get(admin_url(model_name, "add"))
        post = client.post(admin_url(model_name, "change", pk), {"summary": "rewritten", "title": "rewritten"})
        delete = client.post(admin_url(model_name, "delete", pk), {"post": "yes"})

        assert (listing.status_code, page.status_code) == (200, 200), model_name
        assert 'name="_save"' not in page.content.decode(), model_name
        assert (add.status_code, post.status_code, delete.status_code) == (403, 403, 403), model_name


def _reference_pk(model_name, scene):
    from django.apps import apps

    from incidents.services import sla_check

    if model_name == "slanotice":
        sla_check()  # the incident's acknowledge target is breached: a notice is claimed and sent
    model = apps.get_model("incidents", model_name)
    return model.objects.order_by("pk").values_list("pk", flat=True).first()


@pytest.fixture
def evidence(scene, compliance):
    from incidents import services

    return services.evidence_add(actor=compliance, incident=scene.incident, title="Alert export",
                                 reference="siem://alerts/4711")
