"""Calendar arithmetic: US federal holidays with the observed-day rule, SEC business days, months with clamping."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from reporting.clock.calendars import (
    add_months,
    add_us_business_days,
    is_us_business_day,
    is_working_day,
    next_working_day,
    us_federal_holidays,
)

NEW_YORK_CUTOFF = {"time_zone": "America/New_York", "cutoff": time(17, 30)}


def test_2026_has_the_eleven_federal_holidays_with_july_4_observed_on_friday():
    assert us_federal_holidays(2026) == {
        date(2026, 1, 1): "New Year's Day",
        date(2026, 1, 19): "Birthday of Martin Luther King, Jr.",
        date(2026, 2, 16): "Washington's Birthday",
        date(2026, 5, 25): "Memorial Day",
        date(2026, 6, 19): "Juneteenth National Independence Day",
        date(2026, 7, 3): "Independence Day",  # 4 July 2026 is a Saturday
        date(2026, 9, 7): "Labor Day",
        date(2026, 10, 12): "Columbus Day",
        date(2026, 11, 11): "Veterans Day",
        date(2026, 11, 26): "Thanksgiving Day",
        date(2026, 12, 25): "Christmas Day",
    }


@pytest.mark.parametrize(
    ("observed", "name"),
    [
        (date(2027, 6, 18), "Juneteenth National Independence Day"),  # Saturday -> Friday
        (date(2027, 7, 5), "Independence Day"),  # Sunday -> Monday
        (date(2027, 12, 24), "Christmas Day"),  # Saturday -> Friday
        (date(2027, 12, 31), "New Year's Day"),  # 1 January 2028 is a Saturday: observed in 2027
        (date(2021, 6, 18), "Juneteenth National Independence Day"),  # the first one, observed on Friday
        (date(2023, 1, 2), "New Year's Day"),  # Sunday -> Monday
    ],
)
def test_weekend_holidays_are_observed_on_the_nearest_weekday(observed, name):
    assert us_federal_holidays(observed.year)[observed] == name


def test_a_new_years_day_observed_in_december_belongs_to_the_year_before():
    assert date(2022, 1, 1) not in us_federal_holidays(2022)
    assert date(2021, 12, 31) in us_federal_holidays(2021)
    assert len(us_federal_holidays(2022)) == 10  # New Year's Day 2022 was observed on 31 December 2021


def test_juneteenth_is_a_holiday_only_from_2021():
    assert "Juneteenth National Independence Day" not in us_federal_holidays(2020).values()
    assert len(us_federal_holidays(2020)) == 10


def test_inauguration_day_is_not_a_federal_business_holiday():
    assert is_us_business_day(date(2033, 1, 20))  # a Thursday, Inauguration Day


@pytest.mark.parametrize(
    ("determined_at", "due_at", "why"),
    [  # 17:30 in New York is 22:30 UTC in winter (EST) and 21:30 UTC in summer (EDT)
        (datetime(2026, 3, 2, 15, 0, tzinfo=UTC), datetime(2026, 3, 6, 22, 30, tzinfo=UTC), "Monday -> Friday, EST"),
        (datetime(2026, 3, 5, 15, 0, tzinfo=UTC), datetime(2026, 3, 11, 21, 30, tzinfo=UTC), "across a weekend, EDT"),
        (datetime(2026, 3, 7, 15, 0, tzinfo=UTC), datetime(2026, 3, 12, 21, 30, tzinfo=UTC), "Saturday: Monday is 1"),
        (datetime(2026, 3, 3, 4, 0, tzinfo=UTC), datetime(2026, 3, 6, 22, 30, tzinfo=UTC), "still Monday in New York"),
        (datetime(2026, 11, 25, 20, 0, tzinfo=UTC), datetime(2026, 12, 2, 22, 30, tzinfo=UTC), "Thanksgiving"),
        (datetime(2026, 12, 22, 15, 0, tzinfo=UTC), datetime(2026, 12, 29, 22, 30, tzinfo=UTC), "Christmas"),
        (datetime(2026, 7, 1, 15, 0, tzinfo=UTC), datetime(2026, 7, 8, 21, 30, tzinfo=UTC), "July 4 observed Friday"),
        (datetime(2027, 7, 1, 15, 0, tzinfo=UTC), datetime(2027, 7, 8, 21, 30, tzinfo=UTC), "July 4 observed Monday"),
        (datetime(2026, 6, 17, 15, 0, tzinfo=UTC), datetime(2026, 6, 24, 21, 30, tzinfo=UTC), "Juneteenth"),
        (datetime(2033, 1, 18, 15, 0, tzinfo=UTC), datetime(2033, 1, 24, 22, 30, tzinfo=UTC), "Inauguration Day"),
    ],
)
def test_four_business_days_end_at_1730_new_york_time(determined_at, due_at, why):
    assert add_us_business_days(determined_at, 4, **NEW_YORK_CUTOFF) == due_at, why


def test_business_days_need_an_aware_datetime():
    with pytest.raises(ValueError, match="aware"):
        add_us_business_days(datetime(2026, 3, 2, 15, 0), 4, **NEW_YORK_CUTOFF)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2027, 1, 31, 10, 0, tzinfo=UTC), 1, datetime(2027, 2, 28, 10, 0, tzinfo=UTC)),  # non-leap year
        (datetime(2028, 1, 31, 10, 0, tzinfo=UTC), 1, datetime(2028, 2, 29, 10, 0, tzinfo=UTC)),  # leap year
        (datetime(2027, 3, 31, 23, 59, tzinfo=UTC), 1, datetime(2027, 4, 30, 23, 59, tzinfo=UTC)),
        (datetime(2026, 12, 15, 8, 0, tzinfo=UTC), 1, datetime(2027, 1, 15, 8, 0, tzinfo=UTC)),  # across a year
        (datetime(2027, 1, 31, 10, 0, tzinfo=UTC), 13, datetime(2028, 2, 29, 10, 0, tzinfo=UTC)),
        (datetime(2027, 2, 28, 10, 0, tzinfo=UTC), 1, datetime(2027, 3, 28, 10, 0, tzinfo=UTC)),  # no end-of-month snap
    ],
)
def test_months_end_on_the_same_day_clamped_to_the_end_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("day", "holidays", "expected"),
    [
        (date(2027, 3, 5), frozenset(), date(2027, 3, 8)),  # Friday -> Monday
        (date(2027, 3, 6), frozenset(), date(2027, 3, 8)),  # Saturday -> Monday
        (date(2027, 3, 6), frozenset({date(2027, 3, 8)}), date(2027, 3, 9)),  # holiday Monday -> Tuesday
        (date(2027, 3, 2), frozenset(), date(2027, 3, 3)),
    ],
)
def test_next_working_day_skips_weekends_and_the_given_holidays(day, holidays, expected):
    assert next_working_day(day, holidays) == expected
    assert is_working_day(expected, holidays)
    assert all(not is_working_day(day + timedelta(days=n), holidays) for n in range(1, (expected - day).days))
