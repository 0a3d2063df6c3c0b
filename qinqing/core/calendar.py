"""Working-day arithmetic over the holiday/调休 table; never plain weekday arithmetic."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from qinqing.core.models import CalendarDay

WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"


_CACHE_SECONDS = 60.0
_cache: dict[str, object] = {"loaded": 0.0, "days": None}

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _overrides() -> dict[dt.date, bool]:
    # Other server processes see an administrator's edit within a minute.
    days = _cache["days"]
    if days is None or time.monotonic() - float(_cache["loaded"]) > _CACHE_SECONDS:  # type: ignore[arg-type]
        days = {day.date: day.kind == CalendarDay.Kind.WORKDAY for day in CalendarDay.objects.all()}
        _cache["days"] = days
        _cache["loaded"] = time.monotonic()
    return days  # type: ignore[return-value]


def invalidate() -> None:
    """Forget cached calendar days after the table changes."""
    _cache["days"] = None


def is_working_day(day: dt.date) -> bool:
    """Tell whether a date is a working day, honouring holidays and make-up workdays."""
    override = _overrides().get(day)
    if override is not None:
        return override
    return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """Return the end of the `days`-th working day after `start` (local time)."""
    local = timezone.localtime(start)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    if days == 0:
        while not is_working_day(day):
            day += dt.timedelta(days=1)
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local.tzinfo)
    return end


def add_limit(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """Apply a time limit in working or calendar days."""
    if unit == WORKING_DAYS:
        return add_working_days(start, amount)
    local = timezone.localtime(start)
    day = local.date() + dt.timedelta(days=amount)
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local.tzinfo)


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Count working days strictly after `start`'s date up to and including `end`'s date."""
    first = timezone.localtime(start).date()
    last = timezone.localtime(end).date()
    count = 0
    day = first
    while day < last:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def seed_from_chinese_calendar(years: range) -> int:
    """Fill the table from the chinese-calendar package for the years it knows."""
    import chinese_calendar

    created = 0
    for year in years:
        day = dt.date(year, 1, 1)
        while day.year == year:
            try:
                detail = chinese_calendar.get_holiday_detail(day)
                working = chinese_calendar.is_workday(day)
            except NotImplementedError:
                break
            is_weekend = day.weekday() >= 5
            holiday, name = detail
            label = HOLIDAY_NAMES.get(str(name), str(name)) if name else ""
            if is_weekend and working:
                _, was_created = CalendarDay.objects.update_or_create(
                    date=day, defaults={"kind": CalendarDay.Kind.WORKDAY, "name": label}
                )
                created += was_created
            elif not is_weekend and not working and holiday:
                _, was_created = CalendarDay.objects.update_or_create(
                    date=day, defaults={"kind": CalendarDay.Kind.HOLIDAY, "name": label}
                )
                created += was_created
            day += dt.timedelta(days=1)
    invalidate()
    return created
