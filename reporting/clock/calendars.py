"""Calendar arithmetic for the regulatory clock: US federal holidays, business days, months, working days.

- US federal holidays follow 5 U.S.C. 6103(a) with the observed-day rule of 5 U.S.C. 6103(b) and Executive Order
  11582 (a holiday on a Saturday is observed on the Friday before, on a Sunday on the Monday after). Juneteenth
  National Independence Day is a holiday from 2021 (Pub. L. 117-17). Inauguration Day (6103(c)) is a holiday only
  for federal employees in the Washington, DC area, so it is left out.
- SEC business days exclude Saturdays, Sundays and federal holidays, the days the Commission is closed (Exchange
  Act Rule 0-2, 17 CFR 240.0-2; EDGAR hours, Regulation S-T Rule 12, 17 CFR 232.12; Form 8-K General Instruction
  B.1).
- Member-State holidays (the DORA weekend/holiday relief, Del. Reg. (EU) 2025/301 Art. 5(4): "a bank holiday in
  the Member State of the financial entity") are the national public holidays of the `holidays` package, with its
  bank-holiday category where it has one; regional holidays are not included (pass them in).
- Months end on the same-numbered day, clamped to the last day of a shorter month (Reg. (EEC, Euratom) No 1182/71
  Art. 3(2)(c)): 31 January + 1 month = 28 February (29 in a leap year).
"""

import calendar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_data

SATURDAY, SUNDAY = 5, 6
JUNETEENTH_FIRST_YEAR = 2021


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (Monday = 0) of the month; n = -1 for the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """5 U.S.C. 6103(b): Saturday -> the Friday before, Sunday -> the Monday after."""
    if day.weekday() == SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == SUNDAY:
        return day + timedelta(days=1)
    return day


def _legal_holidays(year: int) -> list[tuple[date, str]]:
    """The holidays of 5 U.S.C. 6103(a) in `year`, on their legal (not observed) dates."""
    holidays = [
        (date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, 0, 3), "Birthday of Martin Luther King, Jr."),
        (_nth_weekday(year, 2, 0, 3), "Washington's Birthday"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 10, 0, 2), "Columbus Day"),
        (date(year, 11, 11), "Veterans Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    if year >= JUNETEENTH_FIRST_YEAR:
        holidays.append((date(year, 6, 19), "Juneteenth National Independence Day"))
    return holidays


@lru_cache(maxsize=64)
def us_federal_holidays(year: int) -> dict[date, str]:
    """{observed date: name} of the US federal holidays observed in `year`.

    New Year's Day on a Saturday is observed on 31 December of the year before, so it belongs to that year.
    """
    observed = {}
    for source_year in (year, year + 1):
        for day, name in _legal_holidays(source_year):
            if _observed(day).year == year:
                observed[_observed(day)] = name
    return dict(sorted(observed.items()))


def is_us_business_day(day: date) -> bool:
    """Not a Saturday, Sunday or US federal holiday (observed)."""
    return day.weekday() < SATURDAY and day not in us_federal_holidays(day.year)


def add_us_business_days(moment: datetime, days: int, *, time_zone: str, cutoff: time) -> datetime:
    """The `cutoff` time (local to `time_zone`) of the `days`-th US business day after the local date of `moment`.

    The day of `moment` itself never counts; when it is not a business day, the first business day after it is day
    one, which is Form 8-K General Instruction B.1 ("the four business day period shall begin to run on, and
    include, the first business day thereafter"). The result is in UTC.
    """
    if moment.tzinfo is None:
        raise ValueError("An aware datetime is required.")
    zone = ZoneInfo(time_zone)
    day = moment.astimezone(zone).date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_us_business_day(day):
            remaining -= 1
    return datetime.combine(day, cutoff, tzinfo=zone).astimezone(UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus calendar months, same time of day, clamped to the end of a shorter month (1182/71 Art. 3(2)(c))."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def is_working_day(day: date, holidays: frozenset[date] | set[date] = frozenset()) -> bool:
    """Not a Saturday, Sunday or one of `holidays` (e.g. the bank holidays of a Member State)."""
    return day.weekday() < SATURDAY and day not in holidays


def next_working_day(day: date, holidays: frozenset[date] | set[date] = frozenset()) -> date:
    """The first working day after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=256)
def _member_state_calendar(country: str, year: int) -> dict[date, str]:
    try:
        base = holiday_data.country_holidays(country, years=year)
    except NotImplementedError:  # a country the package does not know
        return {}
    categories = [c for c in ("public", "bank") if c in base.supported_categories]
    return dict(holiday_data.country_holidays(country, years=year, categories=categories, language="en_US")
                if "en_US" in base.supported_languages else
                holiday_data.country_holidays(country, years=year, categories=categories))


def member_state_holidays(country: str | None, year: int) -> frozenset[date]:
    """The national public (and bank) holidays of `country` (ISO 3166-1) in `year`; empty when no country."""
    if not country:
        return frozenset()
    return frozenset(_member_state_calendar(country, year))


def member_state_holiday_name(country: str | None, day: date) -> str:
    """The name of the holiday on `day` in `country`, or ""."""
    if not country:
        return ""
    return _member_state_calendar(country, day.year).get(day, "")
