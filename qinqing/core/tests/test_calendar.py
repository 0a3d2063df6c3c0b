import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from qinqing.core.calendar import add_limit, add_working_days, is_working_day, working_days_between
from qinqing.core.models import CalendarDay

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
def test_spring_festival_2026_days_are_holidays_and_the_saturday_makeup_is_a_workday():
    assert not is_working_day(dt.date(2026, 2, 17))
    assert is_working_day(dt.date(2026, 2, 14))  # Saturday 调休 workday
    assert not is_working_day(dt.date(2026, 2, 21))  # plain Saturday


@pytest.mark.django_db
def test_working_days_skip_national_day_week():
    start = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SH)
    end = add_working_days(start, 1)
    assert end.date() > dt.date(2026, 10, 7)
    assert is_working_day(end.date())


@pytest.mark.django_db
def test_an_administrator_can_add_a_later_year_holiday():
    monday = dt.date(2027, 1, 4)
    assert is_working_day(monday)
    CalendarDay.objects.create(date=monday, kind=CalendarDay.Kind.HOLIDAY, name="测试假日")
    from qinqing.core.calendar import invalidate

    invalidate()
    assert not is_working_day(monday)


@pytest.mark.django_db
def test_calendar_day_limit_counts_weekends():
    start = dt.datetime(2026, 3, 6, 9, 0, tzinfo=SH)  # Friday
    assert add_limit(start, 7, "calendar_days").date() == dt.date(2026, 3, 13)
    assert add_limit(start, 5, "working_days").date() == dt.date(2026, 3, 13)


@pytest.mark.django_db
def test_working_days_between_counts_only_working_days():
    start = dt.datetime(2026, 3, 6, 9, 0, tzinfo=SH)  # Friday
    end = dt.datetime(2026, 3, 10, 9, 0, tzinfo=SH)  # Tuesday
    assert working_days_between(start, end) == 2
