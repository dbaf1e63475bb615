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
from reporting.profile import DEFAULT_NAME, organisation_profile

pytestmark = pytest.mark.django_db

PASSWORD = "demo-password-for-tests"


@pytest.fixture(scope="module")
def organisation_file(tmp_path_factory):
    """Where the seed writes the demo organisation (a fresh file; the tests' settings name none)."""
    return tmp_path_factory.mktemp("demo") / "demo-organisation.env"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, organisation_file):
    """What `seed_demo` printed; the demo stays seeded for the module's tests, then is rolled back. Seeded as
    after `make run`: the organisation is the shipped placeholder."""
    out = io.StringIO()
    with django_db_blocker.unblock(), override_settings(DEMO_PASSWORD=PASSWORD):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(ORGANISATION_NAME=DEFAULT_NAME, DEMO_ORGANISATION_FILE=str(organisation_file)):
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


# --- the demo tells the truth (issue 14, item 5) ----------------------------------------------------------------

LIFECYCLE = ["detected", "triaged", "contained", "investigating", "recovering", "review", "closed"]


def test_closed_incidents_happened_over_days_in_lifecycle_order(demo):
    from datetime import timedelta

    from incidents.models import Incident

    closed = Incident.objects.filter(status="closed")
    assert closed.count() >= 10
    opened_at = []
    for incident in closed:
        events = list(incident.timeline.order_by("at", "id"))
        assert events[-1].at - events[0].at > timedelta(days=1), incident.reference
        changes = [e for e in events if e.kind == "status_change"]
        assert [e.payload["to"] for e in changes] == LIFECYCLE[1:]
        times = [events[0].at, *(e.at for e in changes)]
        assert times == sorted(times) and len(set(times)) == len(times), incident.reference
        assert changes[-1].at == incident.closed_at
        assert not incident.checklist.filter(done_at=None).exists()  # every runbook step ticked on the way
        history = list(incident.history.order_by("history_id").values_list("history_date", flat=True))
        assert history == sorted(history) and history[-1] == incident.closed_at
        opened_at.append(events[0].at)
    assert max(opened_at) - min(opened_at) > timedelta(days=150)  # spread over months, not one seed run


def test_demo_reviews_say_what_happened_in_each_incident(demo):
    from incidents.models import PostIncidentReview

    reviews = list(PostIncidentReview.objects.all())
    assert len(reviews) >= 10
    assert len({r.root_cause for r in reviews}) == len(reviews)
    assert not any("Recorded in the review" in r.root_cause for r in reviews)
    closed = [r for r in reviews if r.incident.status == "closed"]
    assert all(r.what_worked and r.lessons and r.incident.review.action_items.exists() for r in closed)


def test_monthly_response_times_follow_no_arithmetic_pattern(demo):
    from itertools import pairwise

    from incidents.metrics import incident_metrics
    from incidents.models import Incident

    for measure in ("mttd", "mtta", "mttc", "mttr"):
        values = [incident_metrics(i)[measure] for i in Incident.objects.filter(status="closed")
                  .exclude(occurred_at=None).order_by("detected_at")]
        steps = {b - a for a, b in pairwise(values)}
        assert len(steps) == len(values) - 1, measure  # no constant step between months


def test_demo_responder_contains_the_open_incidents_without_an_override(demo):
    from incidents import services
    from incidents.models import Incident
    from inventory.models import Component

    responder = get_user_model().objects.get(username="responder")
    leak = Incident.objects.get(title="Refund tool leaked other customers' account numbers")
    injection = Incident.objects.get(title="Indirect prompt injection via knowledge-base article")
    ranker = Incident.objects.get(title="CV ranker down-ranked applicants over 50")
    support = AISystem.objects.get(slug="support-assistant")
    actions = [
        services.containment_record(actor=responder, incident=leak, kind="disable_tool", target_system=support,
                                    target_component=Component.objects.get(name="refund-api-tool"),
                                    description="Refund tool removed from the registry."),
        services.containment_record(actor=responder, incident=injection, kind="isolate_vector_store",
                                    target_system=support,
                                    target_component=Component.objects.get(name="knowledge-base-index")),
        services.containment_record(actor=responder, incident=injection, kind="update_guardrail",
                                    target_system=support, description="Block answers quoting KB instructions."),
        services.containment_record(actor=responder, incident=ranker, kind="suppress_output",
                                    target_system=AISystem.objects.get(slug="cv-screening")),
    ]
    assert all(not a.override_reason for a in actions)
    assert not leak.timeline.filter(kind="containment", flagged=True).exists()


def test_demo_documents_name_the_demo_organisation_and_its_dpo(demo, organisation_file):
    from reporting.models import Document

    notifications = Document.objects.filter(kind="regulatory_notification")
    assert notifications.exists()
    for document in notifications:
        organisation = document.render_context["organisation"]
        assert organisation["name"] == "Northwind Financial plc" and "placeholder" not in organisation
        assert "dpo@northwind.example" in organisation["contact"]
    assert "Demo organisation: Northwind Financial plc" in demo


def test_the_demo_organisation_file_gives_the_next_start_a_real_profile(demo, organisation_file):
    values = dict(line.split("=", 1) for line in organisation_file.read_text().splitlines()
                  if line and not line.startswith("#"))
    with override_settings(**values):
        profile = organisation_profile()
    assert not profile.is_placeholder
    assert profile.name == "Northwind Financial plc" and "Data Protection Officer" in profile.contact


def test_a_configured_organisation_is_left_as_it_is(demo, tmp_path):
    written = tmp_path / "demo-organisation.env"
    out = io.StringIO()
    with override_settings(ORGANISATION_NAME="Acme Bank AG", DEMO_ORGANISATION_FILE=str(written)):
        call_command("seed_demo", stdout=out)
    assert not written.exists() and "Demo organisation" not in out.getvalue()


def test_admin_home_lists_the_users_own_recent_work(demo, client):
    from html import escape

    from incidents.models import TimelineEvent
    from inventory.models import InventoryEvent

    def panel_for(user):
        client.force_login(user)
        page = client.get("/admin/").content.decode()
        panel = page[page.index('id="recent-actions-module"'):]
        return panel[:panel.index("</div>")]

    User = get_user_model()
    for username in ("responder", "compliance", "legal"):
        user = User.objects.get(username=username)
        newest = TimelineEvent.objects.filter(actor=user).latest("at", "id")
        panel = panel_for(user)
        assert escape(newest.summary[:100]) in panel, username
        assert f"/admin/incidents/incident/{newest.incident_id}/change/" in panel
        assert "None yet" not in panel
    admin_user = User.objects.get(username="admin")
    registered = InventoryEvent.objects.filter(actor=admin_user).latest("at", "id")
    assert escape(registered.summary[:100]) in panel_for(admin_user)
    assert "None yet" in panel_for(User.objects.get(username="leadership"))  # a read-only role changed nothing


def test_audit_trail_verifies_after_seeding(demo):
    out = io.StringIO()
    call_command("verify_audit_trail", "--jobs", "1", "--no-record", stdout=out)
    assert "history chains verify" in out.getvalue()


def test_the_demo_ledger_of_the_credit_drift_is_worked_through_varied_states(demo):
    from incidents import blast
    from incidents.models import Incident
    from remediation.models import AffectedRecord, AffectedRecordImport
    from remediation.states import State

    incident = Incident.objects.get(title="Credit model drift after bureau format change")
    records = AffectedRecord.objects.filter(incident=incident)
    assert records.count() == 360 and incident.is_open
    assert set(records.values_list("state", flat=True)) == set(State.values)  # every state shown
    assert AffectedRecordImport.objects.get(incident=incident).created == 360
    moved = records.exclude(state=State.IDENTIFIED)
    assert all(r.history.first().history_user.username in ("responder", "compliance") for r in moved)
    decisions = blast.blast_figure(incident, "decisions_affected")
    assert (decisions.value, decisions.source, decisions.entered) == (300, "ledger", 1800)
