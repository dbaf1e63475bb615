"""Business-day arithmetic on aware datetimes, per a configurable calendar (time zone, weekend, holidays).

Pure functions: the calendar is passed in, so tests and the regulatory clock can use their own.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str = "UTC"
    day_end: time = time(17, 0)
    weekend: frozenset[int] = frozenset({5, 6})  # Saturday, Sunday (date.weekday())
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls):
        from django.conf import settings

        return cls(
            time_zone=settings.BUSINESS_TIME_ZONE,
            day_end=time(settings.BUSINESS_DAY_END_HOUR, 0),
            holidays=frozenset(date.fromisoformat(d) for d in settings.BUSINESS_HOLIDAYS),
        )

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def end_of_business_day_after(self, moment: datetime, days: int = 1) -> datetime:
        """The end of the `days`-th business day after the local date of `moment`, in UTC.

        Detected on Friday at 16:00 with days=1: Monday at the end of the business day (a holiday Monday: Tuesday).
        """
        if moment.tzinfo is None:
            raise ValueError("An aware datetime is required.")
        zone = ZoneInfo(self.time_zone)
        day = moment.astimezone(zone).date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        return datetime.combine(day, self.day_end, tzinfo=zone).astimezone(UTC)
