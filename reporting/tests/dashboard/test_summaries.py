"""The summarised figures equal their direct computation (`selectors.*_direct`) after random writes through the
services; they are as old as their last rebuild, which the page and the CSV say."""

import random
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from incidents import services as incident_services
from incidents.lifecycle import Status
from incidents.models import ChecklistItem, DetectionSource, IncidentClass, Intent, Track
from incidents.tests.factories import advance, open_incident, signed_validation
from inventory import services as inventory_services
from inventory.tests.factories import AISystemFactory
from portal.core import roles
from reporting import services as reporting_services
from reporting.dashboard import breakdowns, selectors, summaries
from reporting.models import DashboardSummaryRow, DashboardSummaryState, Obligation
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db

TECHNIQUES = ["AML.T0051", "AML.T0051.000", "AML.T0015", "AML.T0024", "AML.T0024.000", "AML.T0043"]
CLASSES = [c for c in IncidentClass.values if c != IncidentClass.OTHER]


def summarised(now):
    """Every summarised figure, rebuilt now and read back as the page reads it."""
    summaries.rebuild(now=now)
    stored = summaries.read()
    return {"csf": selectors.csf_coverage(stored), "atlas": selectors.atlas_coverage(stored),
            "response_times": stored.response_times(now), "inference_logs": stored.inference_logs(),
            "submission": stored.submission(), "on_time_filing": stored.on_time_filing(),
            "mttd_by_class": stored.mttd_by("incident_class"), "mttd_by_source": stored.mttd_by("detection_source"),
            "track_intent": stored.track_intent()}


def direct(now):
    return {"csf": selectors.csf_coverage_direct(), "atlas": selectors.atlas_coverage_direct(),
            "response_times": selectors.response_times_by_month_direct(now=now),
            "inference_logs": selectors.inference_log_completeness_direct(),
            "submission": selectors.median_time_to_submission_direct(),
            "on_time_filing": breakdowns.on_time_filing_direct(),
            "mttd_by_class": breakdowns.mttd_direct("incident_class"),
            "mttd_by_source": breakdowns.mttd_direct("detection_source"),
            "track_intent": breakdowns.track_intent_direct()}


def assert_summaries_are_right(now):
    assert summarised(now) == direct(now)
    assert list(selectors.breached_incidents().order_by("pk")) == list(
        selectors.breached_incidents_direct().order_by("pk"))


class RandomWrites:
    """Writes through the services, chosen by a seeded random generator: open incidents (some GDPR breaches,
    some months back), move them along the lifecycle (triage, contain, recover, review, close, dismiss), change
    their facts and ATLAS techniques, complete and reopen checklist steps, submit obligations, change systems."""

    def __init__(self, seed, *, compliance, responder):
        self.rng = random.Random(seed)
        self.compliance, self.responder = compliance, responder
        self.now = timezone.now().replace(microsecond=0)
        self.incidents = []
        self.systems = []

    def moment(self, days_back=400):
        return self.now - timedelta(days=self.rng.randint(0, days_back), minutes=self.rng.randint(0, 1440))

    def open(self):
        detected = self.moment()
        techniques = self.rng.sample(TECHNIQUES, self.rng.randint(0, 3))
        fields = {"title": f"Random {len(self.incidents)}", "severity": self.rng.choice(["p0", "p1", "p2", "p3"]),
                  "detected_at": detected, "atlas_techniques": techniques,
                  "complete_inference_logs": self.rng.choice([True, False, None]),
                  **self.kind(len(self.incidents))}
        if self.rng.random() < 0.3:
            fields["occurred_at"] = detected - timedelta(hours=self.rng.randint(0, 48))
        if self.rng.random() < 0.3:
            fields.pop("detected_at")
            incident = breach_incident(self.compliance, aware_at=detected, **fields)
        else:
            incident = open_incident(self.compliance, incident_class=self.rng.choice(CLASSES), **fields)
        self.incidents.append(incident)

    @staticmethod
    def kind(n):
        """Track, intent and detection source taken in turn (not drawn: the seeded draws stay as they were)."""
        return {"track": Track.values[n % 2], "intent": Intent.values[n % 3],
                "detection_source": DetectionSource.values[n % len(DetectionSource.values)]}

    def later(self, incident, hours):
        return min(incident.detected_at + timedelta(hours=hours), self.now)

    def transition(self):
        incident = self.rng.choice(self.incidents)
        incident.refresh_from_db()
        actor = self.responder
        if incident.status == Status.DETECTED:
            if self.rng.random() < 0.2:
                incident_services.incident_transition(actor=actor, incident=incident, to=Status.DISMISSED,
                                                      note="Not an incident.")
            else:
                incident_services.incident_transition(actor=actor, incident=incident, to=Status.TRIAGED,
                                                      at=self.later(incident, self.rng.uniform(0.1, 5)))
        elif incident.status == Status.TRIAGED:
            incident_services.incident_transition(actor=actor, incident=incident, to=Status.CONTAINED,
                                                  at=self.later(incident, self.rng.uniform(1, 50)))
        elif incident.status in (Status.CONTAINED, Status.INVESTIGATING):
            advance(incident, actor, Status.RECOVERING)
        elif incident.status == Status.RECOVERING:
            signed_validation(incident, engineering=actor, compliance=self.compliance)
            incident_services.incident_transition(actor=actor, incident=incident, to=Status.REVIEW,
                                                  at=self.later(incident, self.rng.uniform(5, 200)))
        elif incident.status == Status.REVIEW:
            incident_services.review_record(actor=self.compliance, incident=incident, root_cause="A weak filter.")
            incident_services.incident_transition(actor=actor, incident=incident, to=Status.CLOSED)

    def update(self):
        incident = self.rng.choice(self.incidents)
        incident.refresh_from_db()
        changes = self.rng.choice([
            {"atlas_techniques": self.rng.sample(TECHNIQUES, self.rng.randint(0, 3))},
            {"complete_inference_logs": self.rng.choice([True, False, None])},
            {"severity": self.rng.choice(["p0", "p1", "p2", "p3"])},
            {"occurred_at": incident.detected_at - timedelta(hours=self.rng.randint(0, 72))},
            {"detected_at": self.moment()},
        ])
        if "detected_at" in changes and incident.occurred_at and incident.occurred_at > changes["detected_at"]:
            return
        if "detected_at" in changes and (incident.acknowledged_at or incident.aware_at != incident.detected_at):
            return
        incident_services.incident_update(actor=self.compliance, incident=incident,
                                          expected_version=incident.version, **changes)

    def checklist(self):
        item = ChecklistItem.objects.filter(incident__in=self.incidents).order_by("?").first()
        if item is None or not item.incident.is_open:
            return
        if item.done_at:
            incident_services.checklist_item_reopen(actor=self.responder, item=item)
        else:
            incident_services.checklist_item_complete(actor=self.responder, item=item)

    def submit(self):
        obligation = (Obligation.objects.filter(status=Obligation.Status.OPEN, clock_starts_at__isnull=False)
                      .order_by("?").first())
        if obligation is None:
            return
        submitted = min(obligation.clock_starts_at + timedelta(hours=self.rng.randint(1, 120)), self.now)
        reporting_services.obligation_submit(actor=self.compliance, obligation=obligation, submitted_at=submitted,
                                             authority_reference="SA-1", expected_version=obligation.version)

    def system(self):
        if not self.systems or self.rng.random() < 0.5:
            n = len(self.systems)
            self.systems.append(AISystemFactory(actor=self.compliance, slug=f"random-{n}", name=f"Random {n}"))
            return
        system = self.rng.choice(self.systems)
        system.refresh_from_db()
        inventory_services.ai_system_update(actor=self.compliance, system=system,
                                            inference_logging=not system.inference_logging)

    def step(self):
        action = self.rng.choices([self.open, self.transition, self.update, self.checklist, self.submit,
                                   self.system], weights=[3, 4, 2, 2, 2, 1])[0]
        if action is not self.open and not self.incidents:
            action = self.open
        action()


@pytest.mark.parametrize("seed", [13, 2026])
def test_each_summary_equals_the_direct_computation_after_random_writes(seed, compliance, role_users):
    writes = RandomWrites(seed, compliance=compliance, responder=role_users[roles.INCIDENT_RESPONDER])
    assert_summaries_are_right(writes.now)
    for _batch in range(4):
        for _ in range(12):
            writes.step()
        assert_summaries_are_right(timezone.now())
    counted = selectors.inference_log_completeness_direct()["incidents"]
    assert counted > 5 and any(row["incidents"] for row in selectors.csf_coverage_direct())
    assert any(row["incidents"] for row in selectors.atlas_coverage_direct())


def test_the_summaries_equal_the_direct_computation_on_the_known_scenes(incident_scene, obligation_scene):
    assert_summaries_are_right(incident_scene.now)
    stored = summaries.read()
    assert {row["key"]: row["incidents"] for row in selectors.csf_coverage(stored)}["RS"] == 2
    assert stored.submission() == {"submitted": 3, "median_hours": 30.0}


def test_a_summary_keeps_its_figures_until_the_next_rebuild(compliance):
    open_incident(compliance, title="Before", complete_inference_logs=True)
    summaries.rebuild()
    open_incident(compliance, title="After", complete_inference_logs=False)
    assert summaries.read().inference_logs()["incidents"] == 1
    summaries.rebuild()
    assert summaries.read().inference_logs() == selectors.inference_log_completeness_direct()


def test_an_older_rebuild_never_replaces_a_newer_one(compliance):
    now = timezone.now()
    summaries.rebuild(now=now)
    summaries.rebuild(now=now - timedelta(minutes=5))
    assert DashboardSummaryState.objects.get().as_of == now
    assert set(DashboardSummaryRow.objects.values_list("as_of", flat=True)) == {now}


def test_the_command_rebuilds_every_summary(compliance, capsys):
    open_incident(compliance, title="Loaded", complete_inference_logs=True)
    call_command("rebuild_dashboard_summaries")
    assert "Dashboard summaries rebuilt as of" in capsys.readouterr().out
    assert summaries.read().inference_logs()["complete"] == 1


def test_the_scheduled_task_rebuilds_the_summaries(settings, compliance):
    from reporting.tasks import rebuild_dashboard_summaries

    assert settings.CELERY_BEAT_SCHEDULE["dashboard-summaries"]["task"] == "reporting.tasks.rebuild_dashboard_summaries"
    open_incident(compliance, title="Scheduled", complete_inference_logs=False)
    rebuild_dashboard_summaries()
    assert summaries.read().inference_logs()["incomplete"] == 1


def test_the_page_and_the_csv_say_when_the_summaries_were_built(client_as, compliance):
    open_incident(compliance, title="Shown")
    built = timezone.now() - timedelta(minutes=7)
    summaries.rebuild(now=built)
    client = client_as(roles.LEADERSHIP)
    html = client.get(reverse("dashboard:index")).content.decode()
    assert f"as of {built.astimezone(UTC):%Y-%m-%d %H:%M} UTC" in html
    lines = client.get(reverse("dashboard:metrics_csv")).content.decode().splitlines()
    stamp = built.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    csf_rows = [line for line in lines if line.startswith("csf_coverage,incidents,")]
    assert csf_rows and all(line.endswith(stamp) for line in csf_rows)
    live_rows = [line for line in lines if line.startswith("open_incidents_by_severity,")]
    assert live_rows and not any(line.endswith(stamp) for line in live_rows)


def test_a_bulk_load_ends_with_the_summaries_rebuilt(compliance):
    from portal.core.scale import after_bulk_load

    open_incident(compliance, title="Bulk", complete_inference_logs=True)
    assert summaries.read() is None
    assert "reporting.dashboard.summaries.rebuild_after_bulk_load" in after_bulk_load()
    assert summaries.read().inference_logs() == selectors.inference_log_completeness_direct()
