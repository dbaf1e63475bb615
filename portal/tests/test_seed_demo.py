"""`seed_demo`: one login per role, a living inventory, idempotent, refuses production mode.

The demo is seeded once for the module (`demo`, in a transaction rolled back after the module's tests; each test
runs in a savepoint inside it), since seeding takes seconds: the tests read what one run of the command made.
"""

import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from inventory.models import AISystem, RiskClass
from inventory.selectors import system_readiness_gaps
from portal.core import roles

pytestmark = pytest.mark.django_db

PASSWORD = "demo-password-for-tests"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """What `seed_demo` printed; the demo stays seeded for the module's tests, then is rolled back."""
    out = io.StringIO()
    with django_db_blocker.unblock(), override_settings(DEMO_PASSWORD=PASSWORD):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _row_counts():
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in ("inventory", "incidents", "reporting", "auth")
    }


def test_demo_users_are_named_after_their_roles_and_can_log_in(demo, client):
    User = get_user_model()
    for username, role in [("compliance", roles.COMPLIANCE_OFFICER), ("responder", roles.INCIDENT_RESPONDER),
                           ("legal", roles.LEGAL_REVIEWER), ("leadership", roles.LEADERSHIP),
                           ("auditor", roles.AUDITOR)]:
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.is_staff and not user.is_superuser
        assert client.login(username=username, password=PASSWORD)
    assert User.objects.get(username="admin").is_superuser


def test_seed_demo_prints_the_logins(demo):
    for username in ("compliance", "responder", "legal", "leadership", "auditor", "admin"):
        assert username in demo
    assert PASSWORD in demo


def test_running_seed_demo_twice_changes_nothing(demo):
    first = _row_counts()
    history_first = AISystem.history.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _row_counts() == first
    assert AISystem.history.count() == history_first


def test_demo_inventory_is_alive_and_attributed(demo):
    systems = {s.slug: s for s in AISystem.objects.all()}
    assert {s.risk_class for s in systems.values()} >= {RiskClass.HIGH_RISK_ANNEX_III, RiskClass.TRANSPARENCY}
    assert system_readiness_gaps(systems["support-assistant"]) == []
    assert system_readiness_gaps(systems["cv-screening"])  # a system with gaps to show
    row = systems["credit-scoring"].history.first()
    assert row.history_user.username == "admin" and row.history_source == "command"


def test_seed_demo_refuses_production_mode(settings):
    before = _row_counts()
    settings.PRODUCTION_MODE = True
    with pytest.raises(CommandError, match="refuses to run in production mode"):
        call_command("seed_demo")
    assert _row_counts() == before


def test_demo_incidents_cover_every_state_and_keep_their_history(demo):
    from incidents.lifecycle import Status
    from incidents.models import Incident

    assert set(Incident.objects.values_list("status", flat=True)) == set(Status.values)
    override = Incident.objects.get(status="investigating").timeline.filter(flagged=True)
    assert override.exists()  # an emergency-override containment is visible
    for incident in Incident.objects.all():
        assert incident.history.exists() and incident.timeline.exists() and incident.checklist.exists()


def test_demo_reporting_has_obligations_in_every_status_documents_and_decisions(demo):
    from datetime import timedelta

    from django.utils import timezone

    from reporting.models import DisclosureDecision, Document, Obligation
    from reporting.selectors import deadline_board

    assert set(Obligation.objects.values_list("status", flat=True)) == set(Obligation.Status.values)
    assert Obligation.objects.filter(status="not_applicable", closed_by_clock=True).exists()
    assert Obligation.objects.filter(status="not_applicable", closed_by_clock=False).exists()
    board = list(deadline_board())
    now = timezone.now()
    assert any(o.due_at and o.due_at < now for o in board)  # overdue
    assert any(o.due_at and now <= o.due_at <= now + timedelta(hours=24) for o in board)
    kinds = set(Document.objects.values_list("kind", flat=True))
    assert kinds == {"regulatory_notification", "disclosure_decision", "post_incident_report"}
    assert Document.objects.filter(version=2, supersedes__isnull=False).exists()
    assert set(DisclosureDecision.objects.values_list("status", flat=True)) >= {"approved", "proposed"}
    for document in Document.objects.all():
        assert document.history.get().history_user.username == "compliance"
