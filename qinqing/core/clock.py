"""One clock for every deadline: working days, calendar days and hours, and service hours.

Working days follow the holiday/调休 table (`qinqing.core.calendar`). A result that had to count
days of a year the table does not cover yet is computed on weekends alone and is `provisional`.
Pauses (补正, waiting for the enterprise) are intervals; each moves a deadline by the time it lasted,
counted in the limit's own unit. All wall-clock reasoning is in settings.TIME_ZONE (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from qinqing.core import calendar

END_OF_DAY = dt.time(23, 59, 59)
# A service calendar that skips every day would never end a deadline.
_MAX_DAYS = 3660


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    CALENDAR_HOURS = "calendar_hours"
    SERVICE_MINUTES = "service_minutes"
    SERVICE_HOURS = "service_hours"


DAY_UNITS = frozenset({Unit.WORKING_DAYS, Unit.CALENDAR_DAYS})
SERVICE_UNITS = frozenset({Unit.SERVICE_MINUTES, Unit.SERVICE_HOURS})
_SECONDS = {Unit.CALENDAR_HOURS: 3600, Unit.SERVICE_MINUTES: 60, Unit.SERVICE_HOURS: 3600}


@dataclass(frozen=True)
class Duration:
    """An amount of time in one unit: `Duration(3, Unit.SERVICE_MINUTES)`."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a duration is never negative")
        object.__setattr__(self, "unit", Unit(self.unit))


@dataclass(frozen=True)
class ServiceHours:
    """When the service desk's clock runs: daily opening hours, and which days it skips."""

    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(21, 0)
    skip_holidays: bool = False
    skip_weekends: bool = False

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError("service hours must open before they close")

    def needs_table(self) -> bool:
        """Tell whether this policy reads the holiday table (and so may be provisional)."""
        return self.skip_holidays or self.skip_weekends

    def is_service_day(self, day: dt.date) -> bool:
        if self.skip_holidays and calendar.is_holiday(day):
            return False
        if self.skip_weekends and day.weekday() >= 5:
            return calendar.is_makeup_workday(day)
        return True


@dataclass(frozen=True)
class Pause:
    """A stretch during which the clock stood still; `end=None` while it lasts."""

    start: dt.datetime
    end: dt.datetime | None = None


@dataclass(frozen=True)
class Deadline:
    """When time runs out, and whether that counted days the holiday table does not cover yet."""

    at: dt.datetime
    provisional: bool = False


def service_hours() -> ServiceHours:
    """The platform's service hours from settings.QINQING_SERVICE_HOURS."""
    conf = getattr(settings, "QINQING_SERVICE_HOURS", {})
    return ServiceHours(
        opens=dt.time.fromisoformat(str(conf.get("opens", "09:00"))),
        closes=dt.time.fromisoformat(str(conf.get("closes", "21:00"))),
        skip_holidays=bool(conf.get("skip_holidays", False)),
        skip_weekends=bool(conf.get("skip_weekends", False)),
    )


def local(moment: dt.datetime) -> dt.datetime:
    """`moment` on the platform's wall clock (settings.TIME_ZONE)."""
    return timezone.localtime(moment, timezone.get_default_timezone())


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=timezone.get_default_timezone())


def _uncovered(first: dt.date, last: dt.date) -> bool:
    return any(not calendar.covers(year) for year in range(first.year, last.year + 1))


def provisional_between(start: dt.datetime, end: dt.datetime) -> bool:
    """Tell whether working days between two moments fall in a year the holiday table does not cover."""
    return _uncovered(local(start).date(), local(max(start, end)).date())


# Adding.


def add(start: dt.datetime, duration: Duration, *, policy: ServiceHours | None = None) -> Deadline:
    """Return the moment `duration` after `start`.

    Day units end at 23:59:59 local time of the last day; a zero working-day limit ends on the
    first working day from `start`'s date. Hours and minutes are exact to the second.
    """
    if duration.unit is Unit.WORKING_DAYS:
        return _add_working_days(start, duration.amount)
    if duration.unit is Unit.CALENDAR_DAYS:
        return Deadline(_end_of(local(start).date() + dt.timedelta(days=duration.amount)))
    time = dt.timedelta(seconds=duration.amount * _SECONDS[duration.unit])
    return _add_time(start, duration.unit, time, policy or service_hours())


def _add_working_days(start: dt.datetime, days: int) -> Deadline:
    first = day = local(start).date()
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    if days == 0:
        while not calendar.is_working_day(day):
            day += dt.timedelta(days=1)
    return Deadline(_end_of(day), _uncovered(first, day))


def _window(day: dt.date, policy: ServiceHours) -> tuple[dt.datetime, dt.datetime] | None:
    if not policy.is_service_day(day):
        return None
    zone = timezone.get_default_timezone()
    return dt.datetime.combine(day, policy.opens, tzinfo=zone), dt.datetime.combine(day, policy.closes, tzinfo=zone)


def _add_service(start: dt.datetime, remaining: dt.timedelta, policy: ServiceHours) -> Deadline:
    moment = local(start)
    if not remaining:
        return Deadline(moment)
    first = day = moment.date()
    for _ in range(_MAX_DAYS):
        window = _window(day, policy)
        if window is not None:
            begin = max(moment, window[0])
            if begin < window[1]:
                if remaining <= window[1] - begin:
                    at = begin + remaining
                    return Deadline(at, policy.needs_table() and _uncovered(first, day))
                remaining -= window[1] - begin
        day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time(0), tzinfo=moment.tzinfo)
    raise ValueError("the service hours never open")


# Measuring.


def _merged(pauses: Iterable[Pause], now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Pauses as sorted, non-overlapping closed intervals; an ongoing pause lasts until `now`."""
    spans = sorted((p.start, p.end if p.end is not None else max(now, p.start)) for p in pauses)
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _day_counts(unit: Unit, day: dt.date) -> bool:
    return unit is Unit.CALENDAR_DAYS or calendar.is_working_day(day)


def _service_time(start: dt.datetime, end: dt.datetime, policy: ServiceHours) -> dt.timedelta:
    total = dt.timedelta(0)
    day, last = local(start).date(), local(end).date()
    while day <= last:
        window = _window(day, policy)
        if window is not None:
            begin, finish = max(start, window[0]), min(end, window[1])
            if begin < finish:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total


def measure(start: dt.datetime, end: dt.datetime, unit: Unit | str, pauses: Iterable[Pause] = (), *,
            policy: ServiceHours | None = None, now: dt.datetime | None = None) -> tuple[int, bool]:
    """Return (whole units counted from `start` to `end` outside `pauses`, provisional)."""
    unit = Unit(unit)
    if end <= start:
        return 0, False
    spans = _merged(pauses, now or timezone.now())
    if unit in DAY_UNITS:
        first, last = local(start).date(), local(end).date()
        paused = {day for begin, finish in spans for day in _days_after(local(begin).date(), local(finish).date())}
        count = sum(1 for day in _days_after(first, last) if day not in paused and _day_counts(unit, day))
        return count, unit is Unit.WORKING_DAYS and _uncovered(first, last)
    counted, provisional = _counted_time(start, end, unit, spans, policy or service_hours())
    return counted // dt.timedelta(seconds=_SECONDS[unit]), provisional


def _counted_time(start: dt.datetime, end: dt.datetime, unit: Unit, spans: list[tuple[dt.datetime, dt.datetime]],
                  policy: ServiceHours) -> tuple[dt.timedelta, bool]:
    """The time the clock of a continuous `unit` runs from `start` to `end` outside `spans`."""
    if end <= start:
        return dt.timedelta(0), False
    inside = [(max(start, b), min(end, f)) for b, f in spans if min(end, f) > max(start, b)]
    if unit is Unit.CALENDAR_HOURS:
        return (end - start) - sum((f - b for b, f in inside), dt.timedelta(0)), False
    counted = _service_time(start, end, policy) - sum((_service_time(b, f, policy) for b, f in inside), dt.timedelta(0))
    return counted, policy.needs_table() and _uncovered(local(start).date(), local(end).date())


def _add_time(start: dt.datetime, unit: Unit, time: dt.timedelta, policy: ServiceHours) -> Deadline:
    if unit is Unit.CALENDAR_HOURS:
        return Deadline(local(start + time))
    return _add_service(start, time, policy)


def _days_after(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    """Dates strictly after `first` up to and including `last`."""
    day = first
    while day < last:
        day += dt.timedelta(days=1)
        yield day


def counted(start: dt.datetime, end: dt.datetime, unit: Unit | str, pauses: Iterable[Pause] = (), *,
            policy: ServiceHours | None = None, now: dt.datetime | None = None) -> dt.timedelta:
    """The exact time the clock of an hour or minute `unit` ran from `start` to `end` outside `pauses`."""
    unit = Unit(unit)
    if unit in DAY_UNITS:
        raise ValueError("counted() measures hours and minutes; use elapsed() for days")
    spans = _merged(pauses, now or timezone.now())
    return _counted_time(start, end, unit, spans, policy or service_hours())[0]


def elapsed(start: dt.datetime, end: dt.datetime, unit: Unit | str, pauses: Iterable[Pause] = (), *,
            policy: ServiceHours | None = None, now: dt.datetime | None = None) -> int:
    """Count whole units from `start` to `end`, leaving out paused time.

    Day units count the days strictly after `start`'s date up to and including `end`'s date
    (working days only for WORKING_DAYS); hours and minutes are floored.
    """
    return measure(start, end, unit, pauses, policy=policy, now=now)[0]


# Deadlines with pauses.


def deadline(start: dt.datetime, limit: Duration, pauses: Iterable[Pause] = (), *,
             policy: ServiceHours | None = None, now: dt.datetime | None = None) -> Deadline:
    """Return when `limit` from `start` runs out, each pause moving it by the time it lasted.

    Overlapping pauses count once, in whatever order they were recorded; an ongoing pause counts
    until `now` (default: the current time), so the result is the deadline if the clock resumed now.
    """
    base = add(start, limit, policy=policy)
    spans = _merged(pauses, now or timezone.now())
    return _moved(base, limit.unit, spans, policy or service_hours())


def _moved(base: Deadline, unit: Unit, spans: list[tuple[dt.datetime, dt.datetime]],
           policy: ServiceHours) -> Deadline:
    """`base` moved by the time the clock of `unit` would have run during `spans`."""
    if unit in DAY_UNITS:
        measured = [measure(begin, finish, unit, policy=policy) for begin, finish in spans]
        days = sum(amount for amount, _ in measured)
        provisional = base.provisional or any(uncertain for _, uncertain in measured)
        if days == 0:
            return Deadline(base.at, provisional)
        moved = add(base.at, Duration(days, unit), policy=policy)
        return Deadline(moved.at, provisional or moved.provisional)
    # Hours and minutes move by the exact paused time, so a short pause is never rounded away.
    counted = [_counted_time(begin, finish, unit, [], policy) for begin, finish in spans]
    time = sum((amount for amount, _ in counted), dt.timedelta(0))
    provisional = base.provisional or any(uncertain for _, uncertain in counted)
    if not time:
        return Deadline(base.at, provisional)
    moved = _add_time(base.at, unit, time, policy)
    return Deadline(moved.at, provisional or moved.provisional)


def extend(due: dt.datetime, unit: Unit | str, pause: Pause, *, policy: ServiceHours | None = None,
           now: dt.datetime | None = None) -> Deadline:
    """Move an already computed deadline `due` by the time one pause lasted (resuming a paused clock)."""
    end = pause.end or now or timezone.now()
    return _moved(Deadline(due), Unit(unit), [(pause.start, max(pause.start, end))], policy or service_hours())
