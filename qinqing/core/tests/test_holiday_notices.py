"""The shipped 2025 and 2026 tables say exactly what the State Council's notices say (docs/calendar.md)."""

import datetime as dt

import pytest

from qinqing.core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


def span(first: str, last: str) -> list[dt.date]:
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    out = []
    while day <= end:
        out.append(day)
        day += dt.timedelta(days=1)
    return out


def dates(*values: str) -> list[dt.date]:
    return [dt.date.fromisoformat(v) for v in values]


# 国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号，2024年11月12日）
NOTICE_2025 = {
    "holidays": [*dates("2025-01-01"), *span("2025-01-28", "2025-02-04"), *span("2025-04-04", "2025-04-06"),
                 *span("2025-05-01", "2025-05-05"), *span("2025-05-31", "2025-06-02"),
                 *span("2025-10-01", "2025-10-08")],
    "workdays": dates("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"),
}
# 国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）
NOTICE_2026 = {
    "holidays": [*span("2026-01-01", "2026-01-03"), *span("2026-02-15", "2026-02-23"),
                 *span("2026-04-04", "2026-04-06"), *span("2026-05-01", "2026-05-05"),
                 *span("2026-06-19", "2026-06-21"), *span("2026-09-25", "2026-09-27"),
                 *span("2026-10-01", "2026-10-07")],
    "workdays": dates("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"),
}


def table(year: int, kind: str) -> list[dt.date]:
    return list(CalendarDay.objects.filter(date__year=year, kind=kind).order_by("date").values_list("date", flat=True))


@pytest.mark.parametrize(("year", "notice"), [(2025, NOTICE_2025), (2026, NOTICE_2026)])
def test_the_shipped_table_matches_the_state_council_notice_day_by_day(year, notice):
    assert table(year, CalendarDay.Kind.HOLIDAY) == notice["holidays"]
    assert table(year, CalendarDay.Kind.WORKDAY) == notice["workdays"]
    assert all(day.weekday() >= 5 for day in notice["workdays"])


def test_the_notice_counts_add_up():
    assert len(NOTICE_2025["holidays"]) == 1 + 8 + 3 + 5 + 3 + 8
    assert len(NOTICE_2026["holidays"]) == 3 + 9 + 3 + 5 + 3 + 3 + 7


def test_covered_years_name_their_notice():
    years = {row.year: row for row in CalendarYear.objects.all()}
    assert years[2025].notice == "国办发明电〔2024〕12号"
    assert years[2025].published == dt.date(2024, 11, 12)
    assert years[2026].published == dt.date(2025, 11, 4)
    assert 2027 not in years
