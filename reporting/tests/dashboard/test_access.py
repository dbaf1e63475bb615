"""The dashboard and its CSV are for leadership, compliance and legal; responders and auditors are refused."""

import pytest
from django.urls import reverse

from portal.core import roles

pytestmark = pytest.mark.django_db

URLS = ["dashboard:index", "dashboard:metrics_csv"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("role", [roles.LEADERSHIP, roles.COMPLIANCE_OFFICER, roles.LEGAL_REVIEWER, "admin"])
def test_leadership_compliance_legal_and_superusers_see_it(client_as, role, url):
    assert client_as(role).get(reverse(url)).status_code == 200


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("role", [roles.INCIDENT_RESPONDER, roles.AUDITOR])
def test_responders_and_auditors_are_refused(client_as, role, url):
    assert client_as(role).get(reverse(url)).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_anonymous_visitors_are_sent_to_the_admin_login(client_as, url):
    response = client_as(None).get(reverse(url))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={reverse(url)}"


def test_a_responder_who_also_leads_sees_it(client_as, role_users):
    from django.contrib.auth.models import Group

    responder = role_users[roles.INCIDENT_RESPONDER]
    responder.groups.add(Group.objects.get(name=roles.LEADERSHIP))
    assert client_as(roles.INCIDENT_RESPONDER).get(reverse("dashboard:index")).status_code == 200


def test_only_get_is_allowed(client_as):
    assert client_as(roles.LEADERSHIP).post(reverse("dashboard:index")).status_code == 405


def test_the_admin_header_links_to_the_dashboard(client_as):
    page = client_as(roles.LEADERSHIP).get(reverse("admin:index")).content.decode()
    assert f'<a href="{reverse("dashboard:index")}">Governance dashboard</a>' in page
