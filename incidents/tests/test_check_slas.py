"""`check_slas`: one notice per incident, target, stage and due time, to the escalation path, exactly once."""

import smtplib
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import CommandError, call_command
from django.db import connection

from incidents import services
from incidents.models import SlaNotice, TimelineEvent
from incidents.services import sla_notices
from inventory import services as inventory_services
from inventory.tests.factories import AISystemFactory, TeamFactory

pytestmark = pytest.mark.django_db

DETECTED = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday; P1 acknowledge due 10:00, due soon from 09:45


def _user(name, **fields):
    return get_user_model().objects.create_user(name, email=f"{name}@example.org", **fields)


def _commander():
    return get_user_model().objects.filter(username="ic").first() or _user("ic")


def _open(severity="p1", detected_at=DETECTED, **fields):
    """An incident detected at DETECTED, commanded by `ic` unless `commander` says otherwise."""
    base = {"title": "Prompt injection in the support bot", "track": "security", "incident_class": "prompt_injection"}
    fields.setdefault("commander", _commander())
    return services.incident_open(actor=None, severity=severity, detected_at=detected_at, **{**base, **fields})


def _check(at: datetime, *args) -> str:
    out = StringIO()
    call_command("check_slas", "--at", at.isoformat(), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def path():
    """Support bot: P1 step 1 carol, step 2 the ops team, P0 step 1 dave; Search: P1 step 1 the ops team too."""
    carol, dave = _user("carol", first_name="Carol", last_name="Crane"), _user("dave")
    ops = TeamFactory(name="Ops", email="ops@example.org")
    bot, search = AISystemFactory(name="Support bot"), AISystemFactory(name="Search")
    step = inventory_services.escalation_step_create
    step(actor=None, system=bot, severity="p1", order=1, acknowledge_within_minutes=15, user=carol)
    step(actor=None, system=bot, severity="p1", order=2, acknowledge_within_minutes=45, team=ops)
    step(actor=None, system=bot, severity="p0", order=1, acknowledge_within_minutes=5, user=dave)
    step(actor=None, system=search, severity="p1", order=1, acknowledge_within_minutes=30, team=ops)
    return bot, search


def test_running_twice_sends_one_notice_per_breach():
    incident = _open()
    first = _check(DETECTED + timedelta(minutes=65))
    second = _check(DETECTED + timedelta(minutes=66))
    assert [m.subject for m in mail.outbox] == [f"[P1] {incident.reference} acknowledge SLA breached"]
    assert SlaNotice.objects.filter(incident=incident, target="acknowledge", stage="breached").count() == 1
    assert f"{incident.reference} acknowledge breached (due 2026-03-04 10:00 UTC)" in first
    assert "1 SLA notice(s) sent" in first and "0 SLA notice(s) sent" in second


def test_due_soon_then_breached_each_send_their_own_notice():
    incident = _open()
    _check(DETECTED + timedelta(minutes=40))  # on track: nothing
    _check(DETECTED + timedelta(minutes=50))
    _check(DETECTED + timedelta(minutes=55))
    _check(DETECTED + timedelta(minutes=61))
    assert [m.subject for m in mail.outbox] == [f"[P1] {incident.reference} acknowledge SLA due soon",
                                                f"[P1] {incident.reference} acknowledge SLA breached"]
    assert "Due in 10 min" in mail.outbox[0].body and "Breached 1 min ago" in mail.outbox[1].body


def test_recipients_come_from_the_escalation_path_for_the_severity_then_the_commander(path):
    erin = _user("erin")
    incident = _open(systems=path, commander=erin)
    _check(DETECTED + timedelta(minutes=61))
    expected = ["ops@example.org", "carol@example.org", "erin@example.org"]  # by step order, once each; no P0 dave
    assert mail.outbox[0].to == expected
    assert SlaNotice.objects.get(incident=incident).recipients == expected
    event = incident.timeline.get(kind=TimelineEvent.Kind.SLA)
    assert event.payload["recipients"] == expected and event.payload["fallback"] is False
    assert event.actor is None and event.source == "command" and not event.flagged


def test_the_notice_says_what_is_due_when_and_who_is_on_the_path(path):
    incident = _open(systems=path)
    _check(DETECTED + timedelta(hours=2, minutes=30))
    body = mail.outbox[0].body
    assert f"{incident.reference}: Prompt injection in the support bot" in body
    assert "Due:       2026-03-04 10:00 UTC (acknowledge)" in body
    assert "Breached 1 h 30 min ago" in body
    assert "1. Carol Crane <carol@example.org>, acknowledge within 15 min (Support bot)" in body
    assert "2. Ops <ops@example.org>, acknowledge within 45 min (Support bot)" in body
    assert f"/admin/incidents/incident/{incident.pk}/change/" in body
    assert "dave" not in body


def test_a_p0_incident_goes_to_the_p0_path(path):
    incident = _open("p0", systems=path[:1])
    _check(DETECTED + timedelta(minutes=20))
    assert mail.outbox[0].subject == f"[P0] {incident.reference} acknowledge SLA breached"
    assert mail.outbox[0].to == ["dave@example.org", "ic@example.org"]


def test_without_a_path_or_commander_the_compliance_officers_are_told_and_the_notice_says_so(role_users):
    incident = _open(commander=None)
    _user("gone", is_active=False).groups.add(role_users["compliance officer"].groups.get())
    _check(DETECTED + timedelta(minutes=61))
    assert mail.outbox[0].to == ["compliance@example.org"]
    assert "goes to the compliance officers" in mail.outbox[0].body
    event = incident.timeline.get(kind=TimelineEvent.Kind.SLA)
    assert event.payload["fallback"] is True and event.flagged


def test_with_nobody_at_all_the_notice_is_recorded_and_flagged_without_mail():
    incident = _open(commander=None)
    out = _check(DETECTED + timedelta(minutes=61))
    assert mail.outbox == []
    assert "-> nobody" in out
    event = incident.timeline.get(kind=TimelineEvent.Kind.SLA)
    assert event.flagged and event.payload["recipients"] == []


def test_acknowledged_and_dismissed_incidents_get_no_acknowledge_notice():
    acknowledged = _open()
    services.incident_transition(actor=None, incident=acknowledged, to="triaged", at=DETECTED + timedelta(minutes=5))
    dismissed = _open("p0")
    services.incident_transition(actor=None, incident=dismissed, to="dismissed", note="A red-team exercise.")
    _check(DETECTED + timedelta(hours=2))
    assert mail.outbox == [] and not SlaNotice.objects.exists()
    _check(DETECTED + timedelta(hours=20))  # 4 of the 24 hours to contain the P1 left
    assert [m.subject for m in mail.outbox] == [f"[P1] {acknowledged.reference} contain SLA due soon"]


def test_several_breached_targets_send_one_notice_each():
    incident = _open("p0")
    _check(DETECTED + timedelta(hours=5))
    assert sorted(m.subject for m in mail.outbox) == [f"[P0] {incident.reference} acknowledge SLA breached",
                                                      f"[P0] {incident.reference} contain SLA breached"]


def test_a_new_due_time_after_a_severity_change_sends_a_new_notice():
    incident = _open("p2")
    _check(DETECTED + timedelta(hours=4, minutes=1))
    services.incident_update(actor=None, incident=incident, severity="p1")
    _check(DETECTED + timedelta(hours=4, minutes=2))
    assert [m.subject for m in mail.outbox] == [f"[P2] {incident.reference} acknowledge SLA breached",
                                                f"[P1] {incident.reference} acknowledge SLA breached"]


def test_a_failed_send_rolls_the_claim_back_and_the_next_run_retries(monkeypatch, role_users):
    incident = _open()
    with monkeypatch.context() as patch:
        patch.setattr(EmailMessage, "send", lambda self, **kw: (_ for _ in ()).throw(smtplib.SMTPException("down")))
        with pytest.raises(CommandError, match="1 could not be sent"):
            _check(DETECTED + timedelta(minutes=61))
    assert not SlaNotice.objects.exists() and not incident.timeline.filter(kind="sla").exists()
    _check(DETECTED + timedelta(minutes=62))
    assert len(mail.outbox) == 1 and SlaNotice.objects.count() == 1


def test_a_notice_another_host_claimed_first_is_skipped(monkeypatch):
    incident = _open()
    SlaNotice.objects.create(incident=incident, target="acknowledge", stage="breached",
                             due_at=incident.acknowledge_due_at)
    monkeypatch.setattr(sla_notices, "_sent_before", lambda incidents: set())  # as if scanned before that claim
    assert services.sla_check(now=DETECTED + timedelta(minutes=61)) == []
    assert mail.outbox == []


def test_an_incident_acknowledged_between_scan_and_claim_gets_no_stale_notice(monkeypatch):
    incident = _open()
    scan = sla_notices._candidates

    def scan_then_acknowledge(now):
        found = list(scan(now))
        services.incident_transition(actor=None, incident=incident, to="triaged", at=DETECTED + timedelta(minutes=61))
        return found

    monkeypatch.setattr(sla_notices, "_candidates", scan_then_acknowledge)
    assert services.sla_check(now=DETECTED + timedelta(minutes=62)) == []
    assert mail.outbox == [] and not SlaNotice.objects.exists()


def test_the_acting_user_is_recorded_on_the_timeline(role_users):
    incident = _open()
    _check(DETECTED + timedelta(minutes=61), "--user", "compliance")
    assert incident.timeline.get(kind="sla").actor == role_users["compliance officer"]


def test_a_p3_detected_on_friday_evening_warns_on_monday_morning():
    friday = datetime(2026, 3, 6, 19, 30, tzinfo=UTC)  # acknowledge due Monday 17:00
    incident = _open("p3", detected_at=friday)
    _check(datetime(2026, 3, 7, 12, tzinfo=UTC))
    assert mail.outbox == []
    _check(datetime(2026, 3, 9, 9, tzinfo=UTC))
    assert [m.subject for m in mail.outbox] == [f"[P3] {incident.reference} acknowledge SLA due soon"]
    assert "Due:       2026-03-09 17:00 UTC" in mail.outbox[0].body


@pytest.mark.parametrize("incidents", [1, 3])
def test_a_run_with_nothing_new_to_send_reads_at_a_constant_query_count(path, incidents, django_assert_num_queries):
    for _ in range(incidents):
        _open(systems=path)
    assert len(services.sla_check(now=DETECTED + timedelta(minutes=61))) == incidents
    with django_assert_num_queries(4):  # incidents, their systems, escalation steps, notices already sent
        assert services.sla_check(now=DETECTED + timedelta(minutes=62)) == []


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00"])
def test_at_must_be_an_iso_8601_moment(value):
    with pytest.raises(CommandError, match="--at"):
        call_command("check_slas", "--at", value, stdout=StringIO())


def test_a_naive_at_is_read_as_utc():
    _open()
    assert "1 SLA notice(s) sent at 2026-03-04 10:01 UTC" in _check(datetime(2026, 3, 4, 10, 1))


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="Concurrent claims need PostgreSQL (SQLite serialises writers on one file lock).")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_checks_on_postgresql_send_each_notice_once(monkeypatch, path):
    incidents = [_open("p0", systems=path[:1]), _open("p1", systems=path), _open("p2")]
    hosts = 2
    both_scanned = threading.Barrier(hosts, timeout=10)
    real_sent_before = sla_notices._sent_before

    def sent_before_then_wait(found):  # both hosts scan before either claims: a true race on every notice
        seen = real_sent_before(found)
        both_scanned.wait()
        return seen

    monkeypatch.setattr(sla_notices, "_sent_before", sent_before_then_wait)
    results, errors = [], []

    def host():
        try:
            results.append(services.sla_check(now=DETECTED + timedelta(hours=5)))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=host) for _ in range(hosts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    # P0: acknowledge and contain breached; P1 and P2: acknowledge breached.
    assert sum(len(r) for r in results) == 4 == SlaNotice.objects.count() == len(mail.outbox)
    assert TimelineEvent.objects.filter(kind="sla").count() == 4
    assert {n.incident_id for n in SlaNotice.objects.all()} == {i.pk for i in incidents}
