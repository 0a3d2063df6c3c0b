import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from qinqing.core import calendar, clock
from qinqing.core.clock import Deadline, Duration, Pause, ServiceHours, Unit
from qinqing.core.models import CalendarYear

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SH)


def end_of(year: int, month: int, day: int) -> dt.datetime:
    return at(year, month, day, 23, 59, 59)


# Service hours.


def test_a_chat_at_20_59_with_three_service_minutes_is_due_at_09_02_next_morning():
    due = clock.add(at(2026, 3, 10, 20, 59), Duration(3, Unit.SERVICE_MINUTES), policy=ServiceHours())
    assert due == Deadline(at(2026, 3, 11, 9, 2))


def test_a_chat_late_at_night_is_due_three_minutes_after_opening():
    assert clock.add(at(2026, 3, 10, 23, 30), Duration(3, Unit.SERVICE_MINUTES)).at == at(2026, 3, 11, 9, 3)
    assert clock.add(at(2026, 3, 11, 6, 0), Duration(3, Unit.SERVICE_MINUTES)).at == at(2026, 3, 11, 9, 3)


def test_a_deadline_may_fall_exactly_at_closing_time():
    assert clock.add(at(2026, 3, 10, 20, 57), Duration(3, Unit.SERVICE_MINUTES)).at == at(2026, 3, 10, 21, 0)


def test_service_hours_run_through_holidays_unless_the_policy_skips_them():
    start = at(2026, 9, 30, 20, 59)
    open_daily = ServiceHours()
    skipping = ServiceHours(skip_holidays=True)
    assert clock.add(start, Duration(3, Unit.SERVICE_MINUTES), policy=open_daily).at == at(2026, 10, 1, 9, 2)
    # 国庆节 2026: 1–7 October, the weekend days inside it included.
    assert clock.add(start, Duration(3, Unit.SERVICE_MINUTES), policy=skipping).at == at(2026, 10, 8, 9, 2)


def test_a_policy_skipping_weekends_still_serves_on_a_makeup_saturday():
    policy = ServiceHours(skip_holidays=True, skip_weekends=True)
    friday = at(2026, 2, 13, 20, 59)
    assert clock.add(friday, Duration(3, Unit.SERVICE_MINUTES), policy=policy).at == at(2026, 2, 14, 9, 2)
    saturday = at(2026, 3, 7, 12, 0)
    assert clock.add(saturday, Duration(1, Unit.SERVICE_HOURS), policy=policy).at == at(2026, 3, 9, 10, 0)


def test_service_minutes_elapsed_count_only_opening_hours():
    policy = ServiceHours(opens=dt.time(9), closes=dt.time(21))
    assert clock.elapsed(at(2026, 3, 10, 20, 0), at(2026, 3, 11, 10, 0), Unit.SERVICE_MINUTES, policy=policy) == 120
    assert clock.elapsed(at(2026, 3, 10, 22, 0), at(2026, 3, 11, 8, 0), Unit.SERVICE_MINUTES, policy=policy) == 0


def test_service_hours_come_from_settings(settings):
    settings.QINQING_SERVICE_HOURS = {"opens": "08:30", "closes": "17:30", "skip_holidays": True}
    assert clock.service_hours() == ServiceHours(dt.time(8, 30), dt.time(17, 30), skip_holidays=True)
    assert clock.add(at(2026, 3, 10, 17, 29), Duration(3, Unit.SERVICE_MINUTES)).at == at(2026, 3, 11, 8, 32)


def test_service_hours_must_open_before_they_close():
    with pytest.raises(ValueError):
        ServiceHours(opens=dt.time(21), closes=dt.time(9))


# Calendar hours and days.


def test_a_24_hour_work_order_runs_around_the_clock_through_holidays():
    start = at(2026, 9, 30, 15, 0)
    due = clock.add(start, Duration(24, Unit.CALENDAR_HOURS))
    assert due == Deadline(at(2026, 10, 1, 15, 0))
    assert clock.elapsed(start, at(2026, 10, 1, 14, 59), Unit.CALENDAR_HOURS) == 23


def test_calendar_days_end_at_the_end_of_the_last_day():
    assert clock.add(at(2026, 9, 30, 15, 0), Duration(3, Unit.CALENDAR_DAYS)) == Deadline(end_of(2026, 10, 3))


# Working days across 国庆, 春节 and 调休 Saturdays.


def test_working_days_skip_national_day_2025_and_count_the_makeup_saturday():
    start = at(2025, 9, 30, 10, 0)
    assert clock.add(start, Duration(1, Unit.WORKING_DAYS)).at == end_of(2025, 10, 9)
    assert clock.add(start, Duration(2, Unit.WORKING_DAYS)).at == end_of(2025, 10, 10)
    assert clock.add(start, Duration(3, Unit.WORKING_DAYS)).at == end_of(2025, 10, 11)  # Saturday 调休


def test_the_makeup_sunday_before_spring_festival_2025_is_a_working_day():
    assert clock.add(at(2025, 1, 24, 10, 0), Duration(1, Unit.WORKING_DAYS)).at == end_of(2025, 1, 26)
    assert clock.add(at(2025, 1, 27, 10, 0), Duration(1, Unit.WORKING_DAYS)).at == end_of(2025, 2, 5)


def test_spring_festival_2026_skips_nine_days_after_the_makeup_saturday():
    start = at(2026, 2, 13, 10, 0)
    assert clock.add(start, Duration(1, Unit.WORKING_DAYS)).at == end_of(2026, 2, 14)
    assert clock.add(start, Duration(2, Unit.WORKING_DAYS)).at == end_of(2026, 2, 24)
    assert clock.elapsed(start, end_of(2026, 2, 24), Unit.WORKING_DAYS) == 2


def test_a_deadline_computed_as_utc_is_the_same_local_day():
    start = dt.datetime(2026, 3, 9, 17, 0, tzinfo=dt.UTC)  # 01:00 on 10 March in Shanghai
    assert clock.add(start, Duration(1, Unit.WORKING_DAYS)).at == end_of(2026, 3, 11)


# Provisional deadlines past the table.


def test_a_working_day_deadline_in_an_uncovered_year_is_provisional():
    due = clock.add(at(2026, 12, 24, 10, 0), Duration(10, Unit.WORKING_DAYS))
    assert due.provisional
    assert due.at == end_of(2027, 1, 7)  # weekends only: 1 January 2027 counts as a working day
    assert not clock.add(at(2026, 12, 1, 10, 0), Duration(10, Unit.WORKING_DAYS)).provisional
    assert not clock.add(at(2026, 12, 24, 10, 0), Duration(30, Unit.CALENDAR_DAYS)).provisional


def test_covered_years_are_data_not_the_last_row():
    assert calendar.covers(2026) and not calendar.covers(2027)
    CalendarYear.objects.create(year=2027, notice="测试")
    calendar.invalidate()
    assert not clock.add(at(2026, 12, 24, 10, 0), Duration(10, Unit.WORKING_DAYS)).provisional


# Pauses.


def test_a_pause_moves_a_working_day_deadline_by_the_working_days_it_spanned():
    start = at(2026, 3, 2, 10, 0)  # Monday
    plain = clock.deadline(start, Duration(5, Unit.WORKING_DAYS))
    assert plain.at == end_of(2026, 3, 9)
    paused = clock.deadline(start, Duration(5, Unit.WORKING_DAYS), [Pause(at(2026, 3, 3, 9), at(2026, 3, 6, 9))])
    assert paused.at == end_of(2026, 3, 12)


def test_a_pause_answered_the_same_day_keeps_the_deadline():
    start = at(2026, 3, 2, 10, 0)
    pause = Pause(at(2026, 3, 3, 9), at(2026, 3, 3, 18))
    assert clock.deadline(start, Duration(5, Unit.WORKING_DAYS), [pause]).at == end_of(2026, 3, 9)


def test_an_ongoing_pause_counts_until_now():
    start = at(2026, 3, 2, 10, 0)
    pause = Pause(at(2026, 3, 2, 12, 0))
    due = clock.deadline(start, Duration(3, Unit.SERVICE_HOURS), [pause], now=at(2026, 3, 2, 13, 0))
    assert due.at == at(2026, 3, 2, 14, 0)


def test_overlapping_pauses_count_once():
    start = at(2026, 3, 2, 10, 0)
    pauses = [Pause(at(2026, 3, 2, 11), at(2026, 3, 2, 13)), Pause(at(2026, 3, 2, 12), at(2026, 3, 2, 14))]
    assert clock.deadline(start, Duration(1, Unit.CALENDAR_HOURS), pauses).at == at(2026, 3, 2, 14, 0)


def test_extend_moves_a_stored_deadline_like_resuming_a_case():
    due = end_of(2026, 3, 9)
    moved = clock.extend(due, "working_days", Pause(at(2026, 9, 30, 10), at(2026, 10, 9, 10)))
    assert moved.at == end_of(2026, 3, 11)  # 8 and 9 October: two working days
    assert clock.extend(due, "calendar_days", Pause(at(2026, 3, 3, 10), at(2026, 3, 5, 9))).at == end_of(2026, 3, 11)


def test_a_negative_duration_is_refused():
    with pytest.raises(ValueError):
        Duration(-1, Unit.WORKING_DAYS)
