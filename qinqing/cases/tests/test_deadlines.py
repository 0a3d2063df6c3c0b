"""Case deadlines on the core clock: provisional past the holiday table, recomputed when a notice arrives."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from qinqing.audit.models import AuditRecord
from qinqing.cases.deadlines import case_pauses, computed_deadlines, recompute_provisional_deadlines
from qinqing.cases.models import Case, CaseEvent
from qinqing.cases.tests.support import client_for, enterprise, open_case
from qinqing.core import calendar, clock
from qinqing.core.services import import_holiday_notice

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
CHRISTMAS_EVE = dt.datetime(2026, 12, 24, 10, 0, tzinfo=SH)

NOTICE_2027 = """date,kind,name
2027-01-01,holiday,元旦
2027-01-04,holiday,测试假日
2027-01-05,holiday,测试假日
"""


def case_submitted_at(start: dt.datetime, *, unit: str = "working_days") -> Case:
    case = open_case(0)
    matter = case.matter
    assert matter is not None
    matter.promised_limit, matter.promised_unit = 10, unit
    matter.statutory_limit, matter.statutory_unit = 20, unit
    matter.save()
    Case.objects.filter(pk=case.pk).update(submitted_at=start)
    case.refresh_from_db()
    promised, statutory = computed_deadlines(case, matter)
    Case.objects.filter(pk=case.pk).update(due_at=promised.at, statutory_due_at=statutory.at)
    case.refresh_from_db()
    return case


def test_a_deadline_reaching_into_an_uncovered_year_is_provisional_in_the_api():
    case = case_submitted_at(CHRISTMAS_EVE)
    assert case.due_at.date() == dt.date(2027, 1, 7)
    body = client_for(enterprise(0)).get(f"/api/v1/cases/{case.pk}").json()
    assert body["deadline_provisional"] is True


def test_a_deadline_inside_the_table_is_not_provisional():
    case = case_submitted_at(dt.datetime(2026, 11, 2, 10, 0, tzinfo=SH))
    assert case.statutory_due_at.year == 2026
    assert case.deadline_provisional is False


def test_the_case_page_marks_a_provisional_deadline():
    case = case_submitted_at(CHRISTMAS_EVE)
    client = client_for(enterprise(0))
    client.force_login(enterprise(0))
    assert "（暂定）" in client.get(f"/cases/{case.pk}/").content.decode()


def test_pauses_are_read_from_the_timeline():
    case = case_submitted_at(CHRISTMAS_EVE)
    first = dt.datetime(2026, 12, 25, 9, 0, tzinfo=SH)
    CaseEvent.objects.create(case=case, actor_label="r", action="supplement_requested", at=first)
    CaseEvent.objects.create(case=case, actor_label="e", action="supplemented", at=first + dt.timedelta(days=4))
    CaseEvent.objects.create(case=case, actor_label="r", action="supplement_requested", at=first + dt.timedelta(days=6))
    assert case_pauses(case) == [clock.Pause(first, first + dt.timedelta(days=4)),
                                 clock.Pause(first + dt.timedelta(days=6))]


def test_importing_next_years_notice_recomputes_open_provisional_deadlines():
    case = case_submitted_at(CHRISTMAS_EVE)
    paused = dt.datetime(2026, 12, 25, 9, 0, tzinfo=SH)  # Friday → Monday: one working day
    CaseEvent.objects.create(case=case, actor_label="r", action="supplement_requested", at=paused)
    CaseEvent.objects.create(case=case, actor_label="e", action="supplemented", at=paused + dt.timedelta(days=3))
    unaffected = case_submitted_at(dt.datetime(2026, 11, 2, 10, 0, tzinfo=SH))
    before = AuditRecord.objects.count()

    import_holiday_notice(year=2027, notice="国办发明电〔2026〕1号", published=None, text=NOTICE_2027)
    changed = recompute_provisional_deadlines(year=2027)

    case.refresh_from_db()
    # 10 working days from 24 December plus the paused Monday, skipping 1, 4 and 5 January 2027.
    assert case.due_at == dt.datetime(2027, 1, 13, 23, 59, 59, tzinfo=SH)
    assert case.deadline_provisional is False
    assert [c.pk for c in changed] == [case.pk]
    assert AuditRecord.objects.count() == before + 1
    unaffected_due = unaffected.due_at
    unaffected.refresh_from_db()
    assert unaffected.due_at == unaffected_due


def test_calendar_day_deadlines_are_never_provisional():
    case = case_submitted_at(CHRISTMAS_EVE, unit="calendar_days")
    assert case.deadline_provisional is False
    calendar.invalidate()
    assert recompute_provisional_deadlines(year=2027) == []
