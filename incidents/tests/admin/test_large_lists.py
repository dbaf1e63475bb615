"""What keeps the incident and evidence lists cheap on large tables shows on the page: an estimated count is said
to be one, and the filters offer fixed or cached choices that filter correctly."""

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.tests.admin.helpers import admin_url
from incidents.tests.factories import open_incident
from portal.core import roles


def test_an_estimated_count_is_said_to_be_about_that_many(client_as, scene, monkeypatch):
    monkeypatch.setattr("portal.core.pagination.estimated_count", lambda queryset: (123456, True))

    page = client_as(roles.AUDITOR).get(admin_url("incident", "changelist")).content.decode()

    assert "about 123456</span> incidents" in page


def test_an_exact_count_is_shown_as_it_is(client_as, scene):
    page = client_as(roles.AUDITOR).get(admin_url("incident", "changelist")).content.decode()

    assert "1 incident" in page and "about" not in page.split('class="paginator"')[1]


def test_the_affected_system_filter_offers_every_system_and_lists_the_incidents_affecting_it(client_as, compliance,
                                                                                            scene):
    from inventory.tests.factories import AISystemFactory

    unused = AISystemFactory(actor=compliance, name="Unused system")
    open_incident(compliance, title="Elsewhere")
    client = client_as(roles.AUDITOR)

    response = client.get(f"{admin_url('incident', 'changelist')}?system={scene.system.pk}")
    choices = [str(c["display"]) for spec in response.context["cl"].filter_specs for c in spec.choices(
        response.context["cl"]) if spec.title == "affected system"]

    assert [i.title for i in response.context["cl"].result_list] == [scene.incident.title]
    assert unused.name in choices and scene.system.name in choices


def test_the_evidence_register_filters_by_content_type_from_a_cached_list(client_as, compliance, scene):
    cache.clear()
    services.evidence_add(actor=compliance, incident=scene.incident, title="Log",
                          file=SimpleUploadedFile("log.txt", b"line\n", content_type="text/plain"))
    services.evidence_add(actor=compliance, incident=scene.incident, title="Ticket", reference="jira://SEC-1")
    client = client_as(roles.AUDITOR)

    response = client.get(f"{admin_url('evidence', 'changelist')}?content_type=text/plain")
    choices = [str(c["display"]) for spec in response.context["cl"].filter_specs for c in spec.choices(
        response.context["cl"]) if spec.title == "content type"]

    assert [e.title for e in response.context["cl"].result_list] == ["Log"]
    assert "text/plain" in choices
