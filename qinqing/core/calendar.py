"""The holiday/调休 table: which dates are worked, and which years the State Council's notices cover.

Deadline arithmetic lives in `qinqing.core.clock`; this module only reads and fills the table.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from qinqing.core.models import CalendarDay, CalendarYear

WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"

# Other server processes see an administrator's edit within a minute.
_CACHE_SECONDS = 60.0

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


@dataclass(frozen=True)
class Notice:
    """A State Council (国务院办公厅) notice fixing one year's holidays and make-up workdays."""

    number: str
    published: dt.date | None
    source: str


# The notices the chinese-calendar package transcribes; docs/calendar.md compares them day by day.
NOTICES: dict[int, Notice] = {
    2024: Notice("国办发明电〔2023〕7号", dt.date(2023, 10, 25), "chinese-calendar"),
    2025: Notice("国办发明电〔2024〕12号", dt.date(2024, 11, 12), "chinese-calendar"),
    # The published text (Xinhua, 2025-11-04) carries no document number.
    2026: Notice("", dt.date(2025, 11, 4), "chinese-calendar"),
}


@dataclass(frozen=True)
class _Table:
    days: dict[dt.date, bool]  # True: a make-up workday; False: a public holiday
    years: frozenset[int]
    loaded: float


_table: _Table | None = None


def _current() -> _Table:
    global _table
    if _table is None or time.monotonic() - _table.loaded > _CACHE_SECONDS:
        days = {day.date: day.kind == CalendarDay.Kind.WORKDAY for day in CalendarDay.objects.all()}
        years = frozenset(CalendarYear.objects.values_list("year", flat=True))
        _table = _Table(days=days, years=years, loaded=time.monotonic())
    return _table


def invalidate() -> None:
    """Forget cached calendar days and years after the table changes."""
    global _table
    _table = None


def is_working_day(day: dt.date) -> bool:
    """Tell whether a date is a working day, honouring holidays and make-up workdays."""
    override = _current().days.get(day)
    if override is not None:
        return override
    return day.weekday() < 5


def is_holiday(day: dt.date) -> bool:
    """Tell whether a date is a public holiday in the table (weekend days of a holiday period included)."""
    return _current().days.get(day) is False


def is_makeup_workday(day: dt.date) -> bool:
    """Tell whether a date is a make-up workday (调休上班)."""
    return _current().days.get(day) is True


def covered_years() -> frozenset[int]:
    """The years whose notice is loaded; outside them only weekends are known."""
    return _current().years


def covers(year: int) -> bool:
    """Tell whether the table holds the State Council's notice for `year`."""
    return year in _current().years


def covered_through(year: int) -> int | None:
    """The last year of the unbroken run of covered years from `year`, else the latest covered year before it."""
    years = covered_years()
    if year not in years:
        return max((y for y in years if y < year), default=None)
    while year + 1 in years:
        year += 1
    return year


def mark_year_covered(year: int, notice: Notice) -> CalendarYear:
    """Record that `year`'s holidays are loaded from `notice`."""
    row, _ = CalendarYear.objects.update_or_create(
        year=year, defaults={"notice": notice.number, "published": notice.published, "source": notice.source},
    )
    invalidate()
    return row


def seed_from_chinese_calendar(years: range) -> int:
    """Fill the table from the chinese-calendar package for the years it knows, marking them covered."""
    import chinese_calendar

    created = 0
    for year in years:
        day = dt.date(year, 1, 1)
        complete = True
        while day.year == year:
            try:
                holiday, name = chinese_calendar.get_holiday_detail(day)
                working = chinese_calendar.is_workday(day)
            except NotImplementedError:
                complete = False
                break
            is_weekend = day.weekday() >= 5
            label = HOLIDAY_NAMES.get(str(name), str(name)) if name else ""
            kind = None
            if is_weekend and working:
                kind = CalendarDay.Kind.WORKDAY
            elif not working and holiday and name:
                # Weekend days inside a holiday period are stored too: the table reads like the notice.
                kind = CalendarDay.Kind.HOLIDAY
            if kind is not None:
                _, was_created = CalendarDay.objects.update_or_create(
                    date=day, defaults={"kind": kind, "name": label}
                )
                created += was_created
            day += dt.timedelta(days=1)
        if complete and year in NOTICES:
            mark_year_covered(year, NOTICES[year])
    invalidate()
    return created


# Deadline arithmetic moved to the clock; these names keep their callers working.


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """Return the end of the `days`-th working day after `start` (local time)."""
    from qinqing.core import clock

    return clock.add(start, clock.Duration(days, clock.Unit.WORKING_DAYS)).at


def add_limit(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """Apply a time limit in working or calendar days."""
    from qinqing.core import clock

    return clock.add(start, clock.Duration(amount, clock.Unit(unit))).at


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Count working days strictly after `start`'s date up to and including `end`'s date."""
    from qinqing.core import clock

    return clock.elapsed(start, end, clock.Unit.WORKING_DAYS)
