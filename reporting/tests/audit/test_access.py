"""Who may open the audit pages and exports: legal reviewers, auditors, compliance officers and superusers; other
roles get 403, anonymous visitors the admin login."""

import pytest
from django.urls import reverse

from reporting.tests.audit.conftest import AUDITOR, COMPLIANCE, LEADERSHIP, LEGAL, RESPONDER

pytestmark = pytest.mark.django_db


def _urls(scene):
    reference = scene.incident.reference
    return [
        reverse("audit:index"),
        reverse("audit:index") + "?q=AIIR",
        reverse("audit:incident", args=[reference]),
        reverse("audit:system", args=[scene.system.slug]),
        reverse("audit:document", args=[scene.document.pk]),
        reverse("audit:incident_bundle_csv", args=[reference]),
    ]


@pytest.mark.parametrize("role", [LEGAL, AUDITOR, COMPLIANCE, "admin"])
def test_legal_auditors_compliance_and_superusers_may_read_every_audit_page(client_as, scene, role):
    client = client_as(role)
    for url in _urls(scene):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", [RESPONDER, LEADERSHIP])
def test_other_roles_are_refused_with_403(client_as, scene, role):
    client = client_as(role)
    for url in [*_urls(scene), reverse("audit:incident_bundle_pdf", args=[scene.incident.reference])]:
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_admin_login(client_as, scene):
    client = client_as(None)
    for url in [*_urls(scene), reverse("audit:incident_bundle_pdf", args=[scene.incident.reference])]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login") + "?next=")


def test_a_staff_user_without_a_role_is_refused(client, scene):
    from portal.tests.factories import make_user

    client.force_login(make_user("intern"))
    assert client.get(reverse("audit:index")).status_code == 403


def test_the_pages_only_answer_get(client_as, scene):
    response = client_as(LEGAL).post(reverse("audit:incident", args=[scene.incident.reference]))
    assert response.status_code == 405


def test_unknown_records_are_404(client_as, scene):
    client = client_as(LEGAL)
    for url in (reverse("audit:incident", args=["AIIR-1999-0001"]), reverse("audit:system", args=["nope"]),
                reverse("audit:document", args=[999_999]),
                reverse("audit:incident_bundle_csv", args=["AIIR-1999-0001"])):
        assert client.get(url).status_code == 404, url


def test_the_pages_are_not_cached(client_as, scene):
    response = client_as(AUDITOR).get(reverse("audit:incident", args=[scene.incident.reference]))
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
