"""A user that any record names is deactivated, not deleted: the admin's delete page and bulk action show what names
them and offer deactivation, and nothing is deleted. Deactivation is logged (who, when) as an admin log entry."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services as incident_services
from incidents.tests.factories import open_incident
from inventory import services as inventory_services
from inventory.models import Team
from inventory.tests.factories import AISystemFactory, TeamFactory
from portal.core import roles, tokens, users
from portal.core.models import ApiToken
from portal.core.references import ReferencedError
from reporting import services as reporting_services
from reporting.models import DocumentKind
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def admin_user(role_users):
    return role_users["admin"]


@pytest.fixture
def admin_client(client_as):
    return client_as("admin")


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", is_staff=True)


def _delete_url(user):
    return reverse("admin:auth_user_delete", args=[user.pk])


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _refusal(user) -> str:
    with pytest.raises(ReferencedError) as excinfo:
        users.user_delete_check(user=user)
    return excinfo.value.messages[0]


# --- what names a user -------------------------------------------------------------------------------------------

def _commander(bob, admin):
    incident = open_incident(admin, commander=bob)
    return f"incidents (commander) {incident.reference}"


def _containment(bob, admin):
    incident = open_incident(admin)
    incident_services.containment_record(actor=bob, incident=incident, kind="maintenance_banner",
                                         target_system=AISystemFactory(actor=admin), override_reason="Drill.")
    return f"containment actions (performed by) on incidents {incident.reference}"


def _raci(bob, admin):
    inventory_services.raci_assign(actor=admin, system=AISystemFactory(actor=admin, name="Chat"),
                                   activity="own_system", role="accountable", user=bob)
    return "RACI assignments (user) on AI systems Chat"


def _escalation(bob, admin):
    inventory_services.escalation_step_create(actor=admin, system=AISystemFactory(actor=admin, name="Chat"),
                                              severity="p0", order=1, acknowledge_within_minutes=15, user=bob)
    return "escalation steps (user) on AI systems Chat"


def _token(bob, admin):
    tokens.api_token_create(actor=admin, user=bob, name="Datadog", scopes=["alert_intake"])
    return "API tokens (user) Datadog"


def _team(bob, admin):
    TeamFactory(actor=admin, name="Night shift", members=[bob])
    return "teams (members) Night shift"


def _history(bob, admin):
    AISystemFactory(actor=bob)
    return "history rows of AI systems (1)"


@pytest.mark.parametrize("reference", [_commander, _containment, _raci, _escalation, _token, _team, _history],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_user_any_record_names_is_not_deleted_and_the_refusal_names_the_record(bob, admin_user, reference):
    expected = reference(bob, admin_user)

    message = _refusal(bob)

    assert message.startswith("User 'bob' is named by ")
    assert expected in message
    assert message.endswith("; deactivate the user instead (Active: off): they can no longer sign in or use their "
                            "API tokens, and every record keeps naming them.")


def test_obligations_documents_and_disclosure_decisions_name_the_user_by_incident(role_users, monkeypatch):
    from reporting.services import documents

    monkeypatch.setattr(documents, "render_pdf", lambda **kwargs: b"%PDF-1.7 stub")
    compliance = role_users[roles.COMPLIANCE_OFFICER]
    incident = breach_incident(compliance)
    obligation = incident.obligations.order_by("pk").first()
    reporting_services.obligation_submit(actor=compliance, obligation=obligation,
                                         expected_version=obligation.version)
    reporting_services.document_issue(actor=compliance, kind=DocumentKind.REGULATORY_NOTIFICATION,
                                      obligation=obligation, expected_version=obligation.version)
    reporting_services.disclosure_record(actor=compliance, incident=incident, audience="regulator",
                                         decision="disclose", rationale="Breach.", legal_basis="GDPR Art. 33")

    message = _refusal(compliance)

    ref = incident.reference
    for named in (f"obligations (submitted by) on incidents {ref}", f"documents (issued by) on incidents {ref}",
                  f"disclosure decisions (decided by) on incidents {ref}"):
        assert named in message


def test_finding_what_names_a_user_costs_the_same_queries_for_one_incident_or_many(bob, admin_user):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            users.user_referrers(bob)
        return len(captured)

    open_incident(admin_user, commander=bob)
    few = queries()
    for _ in range(4):
        open_incident(admin_user, commander=bob)
    assert queries() == few


# --- the admin ----------------------------------------------------------------------------------------------------

def test_the_delete_page_of_a_named_user_shows_the_refusal_and_offers_deactivating(admin_client, bob, admin_user):
    incident = open_incident(admin_user, commander=bob)

    response = admin_client.get(_delete_url(bob))

    assert response.status_code == 200
    assert response.templates[0].name == "admin/delete_refused.html"
    text = response.content.decode()
    assert f"incidents (commander) {incident.reference}" in text
    assert "Deactivate instead" in text and "Are you sure" not in text


def test_confirming_the_delete_of_a_named_user_deletes_nothing(admin_client, bob, admin_user):
    _token(bob, admin_user)
    _team(bob, admin_user)
    logged = LogEntry.objects.count()

    response = admin_client.post(_delete_url(bob), {"post": "yes"})

    assert response.status_code == 200
    assert User.objects.filter(pk=bob.pk).exists()
    assert ApiToken.objects.filter(user=bob).exists()  # would have gone with the user (CASCADE)
    assert list(Team.objects.get(name="Night shift").members.all()) == [bob]  # would have gone without history
    assert LogEntry.objects.count() == logged


def test_the_bulk_delete_of_users_deletes_none_when_one_is_named(admin_client, bob, admin_user):
    spare = User.objects.create_user("spare")
    _raci(bob, admin_user)

    response = admin_client.post(reverse("admin:auth_user_changelist"), {
        "action": "delete_selected", "_selected_action": [bob.pk, spare.pk], "post": "yes"}, follow=True)

    [message] = _messages(response)
    assert message.startswith("Nothing was deleted: User 'bob' is named by RACI assignments (user) on AI systems Chat")
    assert "Use the action 'Deactivate selected users" in message
    assert User.objects.filter(pk__in=[bob.pk, spare.pk]).count() == 2


def test_a_user_nothing_names_is_deleted(admin_client):
    mistake = User.objects.create_user("typo")

    assert "Are you sure" in admin_client.get(_delete_url(mistake)).content.decode()
    response = admin_client.post(_delete_url(mistake), {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=mistake.pk).exists()


def test_deactivating_from_the_refusal_logs_who_did_it_and_when(admin_client, bob, admin_user):
    _token(bob, admin_user)

    response = admin_client.post(reverse("admin:auth_user_changelist"), {
        "action": "deactivate_selected", "_selected_action": [bob.pk]}, follow=True)

    assert _messages(response)[0].startswith("Deactivated: bob.")
    assert not User.objects.get(pk=bob.pk).is_active
    entry = LogEntry.objects.get(object_id=str(bob.pk), action_flag=CHANGE)
    assert (entry.user, entry.get_change_message()) == (admin_user, users.DEACTIVATED)
    assert entry.action_time is not None
    history = admin_client.get(reverse("admin:auth_user_history", args=[bob.pk]))
    assert users.DEACTIVATED in history.content.decode()


def test_nobody_deactivates_their_own_account(admin_client, admin_user):
    response = admin_client.post(reverse("admin:auth_user_changelist"), {
        "action": "deactivate_selected", "_selected_action": [admin_user.pk]}, follow=True)

    assert _messages(response) == ["Not deactivated: You cannot deactivate your own account; ask another superuser."]
    assert User.objects.get(pk=admin_user.pk).is_active
