"""SLA maths without a database: due times per severity, the business calendar, and target states."""

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import override_settings

from incidents import sla
from incidents.services import sla_due_times
from portal.core.businesstime import BusinessCalendar

SlaState = sla.SlaState
UTC_CALENDAR = BusinessCalendar()
WEDNESDAY = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
FRIDAY_EVENING = datetime(2026, 3, 6, 19, 30, tzinfo=UTC)
SHARE = 0.25


def _due(severity, detected_at, calendar=UTC_CALENDAR):
    return sla.due_times(severity, detected_at, settings.INCIDENT_SLA, calendar)


@pytest.mark.parametrize(
    ("severity", "acknowledge", "contain", "resolve"),
    [
        ("p0", timedelta(minutes=15), timedelta(hours=4), timedelta(hours=24)),
        ("p1", timedelta(hours=1), timedelta(hours=24), timedelta(hours=72)),
        ("p2", timedelta(hours=4), timedelta(hours=72), timedelta(days=14)),
    ],
)
def test_p0_to_p2_targets_count_minutes_from_detection(severity, acknowledge, contain, resolve):
    due = _due(severity, WEDNESDAY)
    assert due == {"acknowledge_due_at": WEDNESDAY + acknowledge, "contain_due_at": WEDNESDAY + contain,
                   "resolve_due_at": WEDNESDAY + resolve}


def test_p3_is_acknowledged_by_the_end_of_the_next_business_day():
    due = _due("p3", WEDNESDAY)
    assert due["acknowledge_due_at"] == datetime(2026, 3, 5, 17, tzinfo=UTC)  # Thursday
    assert due["contain_due_at"] == datetime(2026, 3, 11, 17, tzinfo=UTC)  # five business days: next Wednesday
    assert due["resolve_due_at"] == WEDNESDAY + timedelta(days=30)


def test_p3_detected_on_friday_evening_is_due_at_the_end_of_monday():
    assert _due("p3", FRIDAY_EVENING)["acknowledge_due_at"] == datetime(2026, 3, 9, 17, tzinfo=UTC)


def test_p3_detected_on_saturday_is_due_on_monday():
    saturday = datetime(2026, 3, 7, 11, tzinfo=UTC)
    assert _due("p3", saturday)["acknowledge_due_at"] == datetime(2026, 3, 9, 17, tzinfo=UTC)


def test_a_holiday_monday_moves_the_p3_deadline_to_tuesday():
    calendar = BusinessCalendar(holidays=frozenset({date(2026, 3, 9)}))
    assert _due("p3", FRIDAY_EVENING, calendar)["acknowledge_due_at"] == datetime(2026, 3, 10, 17, tzinfo=UTC)


def test_business_days_are_counted_in_the_business_time_zone():
    # Thursday 23:30 UTC is already Friday morning in Tokyo: the next business day there is Monday.
    late_thursday = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    tokyo = BusinessCalendar(time_zone="Asia/Tokyo")
    assert _due("p3", late_thursday)["acknowledge_due_at"] == datetime(2026, 3, 6, 17, tzinfo=UTC)
    assert _due("p3", late_thursday, tokyo)["acknowledge_due_at"] == datetime(2026, 3, 9, 8, tzinfo=UTC)


def test_the_end_of_day_follows_daylight_saving_time():
    # Europe switches to summer time on Sunday 29 March 2026: Monday 17:00 in Berlin is 15:00 UTC.
    berlin = BusinessCalendar(time_zone="Europe/Berlin")
    due = _due("p3", datetime(2026, 3, 27, 16, tzinfo=UTC), berlin)["acknowledge_due_at"]
    assert due == datetime(2026, 3, 30, 15, tzinfo=UTC)
    assert due.astimezone(ZoneInfo("Europe/Berlin")).time() == time(17, 0)


@override_settings(BUSINESS_TIME_ZONE="America/New_York", BUSINESS_DAY_END_HOUR=18,
                   BUSINESS_HOLIDAYS=["2026-03-09"])
def test_the_services_use_the_configured_business_calendar():
    calendar = BusinessCalendar.from_settings()
    assert calendar.time_zone == "America/New_York" and calendar.holidays == frozenset({date(2026, 3, 9)})
    # Saturday 02:00 UTC is Friday evening in New York; Monday is a holiday, so Tuesday 18:00 EDT.
    due = sla_due_times("p3", datetime(2026, 3, 7, 2, tzinfo=UTC))
    assert due["acknowledge_due_at"] == datetime(2026, 3, 10, 22, tzinfo=UTC)


def test_the_calendar_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        UTC_CALENDAR.end_of_business_day_after(datetime(2026, 3, 6, 12), 1)


def test_an_unknown_target_rule_is_refused():
    with pytest.raises(ValueError, match="Unknown SLA target rule"):
        sla.due_time({"hours": 1}, WEDNESDAY, UTC_CALENDAR)


def _state(now, *, met_at=None, due_at=WEDNESDAY + timedelta(hours=1)):
    return sla.target_state(due_at=due_at, met_at=met_at, detected_at=WEDNESDAY, now=now, due_soon_share=SHARE)


@pytest.mark.parametrize(
    ("minutes_after_detection", "state"),
    [
        (0, SlaState.ON_TRACK),
        (44, SlaState.ON_TRACK),
        (45, SlaState.DUE_SOON),  # a quarter of the hour left
        (59, SlaState.DUE_SOON),
        (60, SlaState.DUE_SOON),  # due at this very moment: not yet breached
        (61, SlaState.BREACHED),
        (60 * 24, SlaState.BREACHED),
    ],
)
def test_an_unmet_p1_acknowledge_target_at_chosen_moments(minutes_after_detection, state):
    assert _state(WEDNESDAY + timedelta(minutes=minutes_after_detection)) == state


def test_a_met_target_is_met_or_met_late_whatever_the_time():
    much_later = WEDNESDAY + timedelta(days=3)
    assert _state(much_later, met_at=WEDNESDAY + timedelta(minutes=30)) == SlaState.MET
    assert _state(much_later, met_at=WEDNESDAY + timedelta(minutes=90)) == SlaState.MISSED


def test_a_target_without_due_time_has_no_state():
    assert _state(WEDNESDAY, due_at=None) is None


def test_the_worst_state_wins():
    assert sla.overall_state([SlaState.MET, SlaState.BREACHED, SlaState.ON_TRACK]) == SlaState.BREACHED
    assert sla.overall_state([SlaState.MET, SlaState.DUE_SOON, None]) == SlaState.DUE_SOON
    assert sla.overall_state([None, None]) is None


def _incident(status="detected", **stamps):
    fields = {"status": status, "detected_at": WEDNESDAY, **_due("p1", WEDNESDAY)}
    fields.update(dict.fromkeys(sla.MET_BY.values()))
    return SimpleNamespace(**{**fields, **stamps})


def test_the_next_deadline_is_the_earliest_unmet_target_and_warns_at_the_due_soon_moment():
    incident = _incident()
    assert sla.next_deadline(incident, SHARE) == (WEDNESDAY + timedelta(hours=1), WEDNESDAY + timedelta(minutes=45))
    acknowledged = _incident(acknowledged_at=WEDNESDAY + timedelta(minutes=5))
    assert sla.next_deadline(acknowledged, SHARE) == (WEDNESDAY + timedelta(hours=24),
                                                      WEDNESDAY + timedelta(hours=18))


def test_the_stored_warn_moment_and_the_target_state_agree():
    due, warn = sla.next_deadline(_incident(), SHARE)
    assert _state(warn - timedelta(microseconds=1), due_at=due) == SlaState.ON_TRACK
    assert _state(warn, due_at=due) == SlaState.DUE_SOON


def test_closed_dismissed_or_fully_met_incidents_have_no_next_deadline():
    assert sla.next_deadline(_incident(status="closed"), SHARE) == (None, None)
    assert sla.next_deadline(_incident(status="dismissed"), SHARE) == (None, None)
    done = {name: WEDNESDAY + timedelta(minutes=10) for name in sla.MET_BY.values()}
    assert sla.next_deadline(_incident(status="review", **done), SHARE) == (None, None)
