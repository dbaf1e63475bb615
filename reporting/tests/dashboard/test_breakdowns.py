"""The breakdowns of issue 14 on small hand-made data sets with known answers: the on-time filing rate, the mean
time to detect by incident class and by detection source, and the incidents by track and intent. Dismissed
incidents (not incidents after all) are left out of each, as from every other incident figure."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services as incident_services
from incidents.lifecycle import Status
from incidents.tests.factories import advance, open_incident, signed_validation
from portal.core import roles
from reporting import services as reporting_services
from reporting.dashboard import breakdowns, presenters, summaries
from reporting.tests.factories import breach_incident

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def submit(actor, incident, *, after_clock_start):
    notification = incident.obligations.get(key="gdpr.notification")
    reporting_services.obligation_submit(actor=actor, obligation=notification, expected_version=notification.version,
                                         submitted_at=notification.clock_starts_at + after_clock_start,
                                         authority_reference="SA-1")
    notification.refresh_from_db()
    return notification


def dismiss(actor, incident):
    incident_services.incident_transition(actor=actor, incident=incident, to=Status.DISMISSED,
                                          note="A planned exercise, not an incident.")


def close(incident, *, responder, compliance):
    advance(incident, responder, Status.RECOVERING)
    signed_validation(incident, engineering=responder, compliance=compliance)
    incident_services.incident_transition(actor=responder, incident=incident, to=Status.REVIEW)
    incident_services.review_record(actor=compliance, incident=incident, root_cause="A weak filter.")
    incident_services.incident_transition(actor=responder, incident=incident, to=Status.CLOSED)


# --- on-time filing ---------------------------------------------------------------------------------------------


@pytest.fixture
def filings(compliance):
    """Two GDPR notifications (72 h) submitted: one after 10 h (on time), one after 80 h (late); a third breach
    not submitted yet, whose open notification counts in neither."""
    now = timezone.now().replace(microsecond=0)
    on_time = submit(compliance, breach_incident(compliance, aware_at=now - 300 * HOUR, title="Reported in time"),
                     after_clock_start=10 * HOUR)
    late = submit(compliance, breach_incident(compliance, aware_at=now - 200 * HOUR, title="Reported late"),
                  after_clock_start=80 * HOUR)
    breach_incident(compliance, aware_at=now - 20 * HOUR, title="Not reported yet")
    return on_time, late


def test_the_on_time_rate_counts_filings_made_by_their_due_time(filings):
    on_time, late = filings
    assert on_time.submitted_at <= on_time.due_at and late.submitted_at > late.due_at
    figure = breakdowns.on_time_filing_direct()
    assert {k: figure[k] for k in ("submitted", "on_time", "late", "share")} == {
        "submitted": 2, "on_time": 1, "late": 1, "share": 0.5}
    (gdpr,) = figure["regimes"]
    assert (gdpr["key"], gdpr["submitted"], gdpr["on_time"], gdpr["share"]) == ("gdpr", 2, 1, 0.5)
    assert gdpr["label"] == breakdowns.regime_name("gdpr") != "gdpr"  # the regime's name, not its code


def test_the_on_time_rate_is_read_from_the_summaries_and_shown_as_n_of_m(client_as, filings):
    summaries.rebuild()
    assert summaries.read().on_time_filing() == breakdowns.on_time_filing_direct()
    response = client_as(roles.LEADERSHIP).get(reverse("dashboard:index"))
    (_, figure) = response.context["figures"]["evidence"]
    assert figure.id == "on-time-filing"
    assert figure.caption.startswith(
        "Of 2 obligations submitted that had a due time, 1 was submitted by it (50% on time)")
    assert figure.rows[0]["values"] == [2, 1]
    assert "regulatory filings on time" in response.content.decode()


def test_without_a_submission_the_page_says_none_was_submitted_and_draws_no_chart(client_as, compliance):
    breach_incident(compliance, aware_at=timezone.now() - 5 * HOUR, title="Not reported yet")
    response = client_as(roles.LEADERSHIP).get(reverse("dashboard:index"))
    assert breakdowns.on_time_filing_direct() == {"submitted": 0, "on_time": 0, "late": 0, "share": None,
                                                  "regimes": []}
    html = response.content.decode()
    assert "No obligations submitted yet." in html
    assert 'data-chart="on-time-filing"' not in html
    assert "on-time-filing" not in response.context["charts"]


# --- mean time to detect by class and source --------------------------------------------------------------------


@pytest.fixture
def detections(no_runbook_checklists, compliance):
    """Detected a day ago: prompt injection seen by monitoring after 10 h and reported by a user after 30 h; data
    poisoning seen by monitoring after 100 h, and another without a known start; a jailbreak found by the red team
    after 5 h, dismissed (an exercise)."""
    detected = timezone.now().replace(microsecond=0) - 24 * HOUR

    def incident(title, incident_class, source, took=None):
        start = {"occurred_at": detected - took} if took is not None else {}
        return open_incident(compliance, title=title, incident_class=incident_class, detection_source=source,
                             detected_at=detected, **start)

    incident("Injected bot", "prompt_injection", "monitoring", 10 * HOUR)
    incident("Injected mail agent", "prompt_injection", "user_report", 30 * HOUR)
    incident("Poisoned feed", "data_poisoning", "monitoring", 100 * HOUR)
    incident("Poisoned labels", "data_poisoning", "audit")
    dismiss(compliance, incident("Jailbreak drill", "jailbreak", "red_team", 5 * HOUR))


def test_mttd_by_class_is_the_mean_over_the_incidents_whose_start_is_known(detections):
    assert breakdowns.mttd_direct("incident_class") == [
        {"key": "prompt_injection", "label": "Prompt injection", "incidents": 2, "mttd": 20.0},
        {"key": "data_poisoning", "label": "Data poisoning", "incidents": 1, "mttd": 100.0},
    ]


def test_mttd_by_source_leaves_out_dismissed_incidents_and_sources_without_a_measure(detections):
    assert breakdowns.mttd_direct("detection_source") == [
        {"key": "monitoring", "label": "Monitoring / observability alert", "incidents": 2, "mttd": 55.0},
        {"key": "user_report", "label": "User or customer report", "incidents": 1, "mttd": 30.0},
    ]


def test_mttd_charts_name_each_class_with_its_count_and_the_unit_hours(client_as, detections):
    response = client_as(roles.LEADERSHIP).get(reverse("dashboard:index"))
    by_class, by_source = response.context["figures"]["detection"]
    assert by_class.labels == ["Prompt injection (2\N{NO-BREAK SPACE}incidents)",
                               "Data poisoning (1\N{NO-BREAK SPACE}incident)"]
    assert by_source.labels[0] == "Monitoring / observability alert (2\N{NO-BREAK SPACE}incidents)"
    chart = response.context["charts"]["mttd-by-class"]
    assert (chart["unit"], chart["horizontal"], chart["datasets"][0]["data"]) == ("hours", True, [20.0, 100.0])


# --- track and intent -------------------------------------------------------------------------------------------


def test_incidents_are_split_by_track_and_intent_all_and_open(no_runbook_checklists, compliance, responder):
    def incident(title, track, intent):
        return open_incident(compliance, title=title, track=track, intent=intent)

    incident("Injection", "security", "adversarial")
    close(incident("Extraction", "security", "adversarial"), responder=responder, compliance=compliance)
    incident("Drift", "safety", "unintentional")
    incident("Odd output", "safety", "unknown")
    dismiss(compliance, incident("Drill", "security", "adversarial"))

    split = {row["key"]: (row["incidents"], row["open"]) for row in breakdowns.track_intent_direct()}
    assert split == {
        "security/adversarial": (2, 1), "security/unintentional": (0, 0), "security/unknown": (0, 0),
        "safety/adversarial": (0, 0), "safety/unintentional": (1, 1), "safety/unknown": (1, 1),
    }
    labels = [row["label"] for row in breakdowns.track_intent_direct()]
    assert labels[0] == "Attack on an AI system (security) \N{MIDDLE DOT} Adversarial"
    assert not [label for label in labels if "_" in label or "/" in label]


# --- the page's words ---------------------------------------------------------------------------------------------


def test_every_figure_has_a_title_an_explanation_and_words_not_codes(client_as, detections, filings):
    response = client_as(roles.LEADERSHIP).get(reverse("dashboard:index"))
    figures = [figure for section in response.context["figures"].values() for figure in section]
    assert len(figures) == sum(len(builders) for builders in presenters.FIGURES.values()) == 15
    for figure in figures:
        assert figure.title and figure.caption.endswith(".") and len(figure.caption) > 40, figure.id
        assert not [label for label in figure.labels if "_" in label], figure.id

