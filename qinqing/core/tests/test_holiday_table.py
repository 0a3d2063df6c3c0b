"""Running out of holiday data: the system check, the admin warning, importing next year's notice."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from qinqing.core import calendar
from qinqing.core.checks import check_holiday_table, holiday_table_warning
from qinqing.core.errors import ValidationFailed
from qinqing.core.models import CalendarDay, CalendarYear
from qinqing.core.services import import_holiday_notice, parse_holiday_csv

pytestmark = pytest.mark.django_db

GOOD_2027 = """date,kind,name
2027-01-01,holiday,元旦
2027-02-06,holiday,春节
2027-02-07,holiday,春节
2027-02-08,holiday,春节
2027-02-20,workday,春节
"""


def test_no_warning_before_october_of_the_last_covered_year():
    assert holiday_table_warning(dt.date(2026, 9, 30)) is None


def test_the_warning_starts_three_months_before_the_table_runs_out():
    message = holiday_table_warning(dt.date(2026, 10, 1))
    assert message is not None and "2026" in message and "2027" in message


def test_the_warning_goes_once_next_year_is_covered():
    CalendarYear.objects.create(year=2027, notice="测试")
    calendar.invalidate()
    assert holiday_table_warning(dt.date(2026, 12, 1)) is None


def test_the_system_check_warns_in_chinese(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: dt.date(2026, 12, 7))
    with translation.override("zh-hans"):
        messages = check_holiday_table()
    assert [m.id for m in messages] == ["qinqing.W001"]
    assert "节假日表只覆盖到2026年" in messages[0].msg
    assert "2027年国务院通知" in messages[0].msg


def test_the_system_check_is_quiet_when_the_table_reaches_far_enough(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: dt.date(2026, 6, 1))
    assert check_holiday_table() == []


def test_manage_py_check_shows_the_warning(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: dt.date(2026, 12, 7))
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "qinqing.W001" in out.getvalue()


def test_the_admin_changelist_shows_the_warning(admin_user, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: dt.date(2026, 12, 7))
    client = Client()
    client.force_login(admin_user)
    for page in ("/admin/core/calendarday/", "/admin/core/calendaryear/"):
        response = client.get(page)
        assert response.status_code == 200
        shown = [str(m) for m in response.context["messages"]]
        assert shown == [holiday_table_warning()]


@translation.override("en")
def test_a_bad_row_names_its_line_and_nothing_is_written():
    before = CalendarDay.objects.count()
    text = GOOD_2027 + "2027-02-30,holiday,春节\n2026-05-01,holiday,劳动节\n2027-03-03,workday,调休\n2027-03-04,rest,\n"
    with pytest.raises(ValidationFailed) as caught:
        import_holiday_notice(year=2027, notice="国办发明电〔2026〕1号", published=None, text=text)
    errors = caught.value.errors
    assert set(errors) == {"line 7", "line 8", "line 9", "line 10"}
    assert "2027-02-30" in errors["line 7"][0]
    assert "not in 2027" in errors["line 8"][0]
    assert "Saturday or Sunday" in errors["line 9"][0]
    assert any("holiday or workday" in m for m in errors["line 10"])
    assert CalendarDay.objects.count() == before
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_a_file_without_the_header_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        parse_holiday_csv("2027-01-01,holiday,元旦\n", year=2027)
    assert "line 1" in caught.value.errors


def test_a_listed_date_twice_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        parse_holiday_csv(GOOD_2027 + "2027-01-01,holiday,元旦\n", year=2027)
    assert "第2行" in caught.value.errors["line 7"][0]


def test_importing_a_notice_stores_its_days_and_covers_the_year():
    import_holiday_notice(year=2027, notice="国办发明电〔2026〕1号", published=dt.date(2026, 11, 1), text=GOOD_2027)
    calendar.invalidate()
    assert calendar.covers(2027)
    assert not calendar.is_working_day(dt.date(2027, 2, 8))
    assert calendar.is_working_day(dt.date(2027, 2, 20))  # a Saturday 调休
    assert CalendarYear.objects.get(year=2027).notice == "国办发明电〔2026〕1号"


def test_the_command_reports_every_bad_line(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(GOOD_2027 + "2027-13-01,holiday,x\n", encoding="utf-8")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as caught:
        call_command("importholidays", str(path), "--year", "2027", "--notice", "x")
    assert "line 7: “2027-13-01”不是 YYYY-MM-DD 格式的日期。" in str(caught.value)
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_the_command_imports_the_notice_marks_the_year_and_audits_it(tmp_path):
    from qinqing.audit.models import AuditRecord

    path = tmp_path / "2027.csv"
    path.write_text(GOOD_2027, encoding="utf-8")
    out = io.StringIO()
    call_command("importholidays", str(path), "--year", "2027", "--notice", "国办发明电〔2026〕1号",
                 "--published", "2026-11-01", stdout=out)
    assert "2027" in out.getvalue() and "recomputed" in out.getvalue()
    row = CalendarYear.objects.get(year=2027)
    assert (row.notice, row.published) == ("国办发明电〔2026〕1号", dt.date(2026, 11, 1))
    assert CalendarDay.objects.filter(date__year=2027).count() == 5
    assert AuditRecord.objects.filter(action="calendar.year_imported").exists()


def test_covered_through_follows_the_unbroken_run_of_years():
    assert calendar.covered_through(2025) == 2026
    assert calendar.covered_through(2028) == 2026
    CalendarYear.objects.create(year=2028, notice="测试")
    calendar.invalidate()
    assert calendar.covered_through(2025) == 2026
    assert calendar.covered_through(2028) == 2028
