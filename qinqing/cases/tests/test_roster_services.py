"""Rosters: every row checked with typed fields, nothing written until the roster is clean, all enrolled at once."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from qinqing.audit.models import AuditRecord
from qinqing.cases.errors import RosterRefused, TransitionRefused
from qinqing.cases.models import Case, CaseEvent, EmployeeEnrolment, Roster
from qinqing.cases.roster.policy import roster_policy
from qinqing.cases.services.enrolment import process_roster, receive_roster
from qinqing.cases.tests.roster_support import (
    HEADER,
    approved_enrolment_case,
    csv_bytes,
    owner_of,
    people,
    person_id,
    person_row,
    xlsx_bytes,
)
from qinqing.cases.tests.support import NEW_SMALL_ENTERPRISE, enterprise, open_case
from qinqing.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def run(case: Case, content: bytes, name: str = "roster.csv") -> Roster:
    roster, created = receive_roster(case=case, user=owner_of(case), content=content, filename=name)
    assert created
    return process_roster(roster_id=roster.pk)


def errors_by_line(roster: Roster) -> dict[int, set[tuple[str, str]]]:
    out: dict[int, set[tuple[str, str]]] = {}
    for e in roster.errors:
        out.setdefault(e["line"], set()).add((e["field"], e["code"]))
    return out


@pytest.fixture
def case() -> Case:
    return approved_enrolment_case()


def test_a_clean_roster_enrols_every_employee_at_once_with_one_audit_record(case):
    content = xlsx_bytes(people(120))
    audit_before = AuditRecord.objects.count()
    roster = run(case, content, "花名册.xlsx")
    assert roster.status == Roster.Status.COMPLETED
    assert (roster.enrolled, roster.rows_total, roster.rows_done, roster.percent) == (120, 120, 120, 100)
    enrolments = EmployeeEnrolment.objects.filter(case=case)
    assert enrolments.count() == 120
    assert enrolments.values("number").distinct().count() == 120
    first = enrolments.get(line=2)
    assert (first.id_number, first.hukou_type, str(first.contribution_base)) == (person_id(0), "local_urban", "6000.00")
    audit = list(AuditRecord.objects.order_by("id")[audit_before:])
    assert [a.action for a in audit] == ["roster.enrolled"]
    assert audit[0].after["enrolled"] == 120
    assert audit[0].after["sha256"] == hashlib.sha256(content).hexdigest()
    assert CaseEvent.objects.filter(case=case, action="employees_enrolled").count() == 1
    event = OutboxEvent.objects.filter(name="employees.enrolled").order_by("-txid", "-seq").first()
    assert event is not None
    assert event.payload["count"] == 120 and event.payload["case_id"] == case.pk
    assert bytes(roster.content) == b""  # the file with everyone's ID number is not kept


def test_a_csv_roster_in_gbk_is_read_too(case):
    roster = run(case, csv_bytes(people(3), encoding="gb18030"))
    assert roster.status == Roster.Status.COMPLETED and roster.enrolled == 3


@pytest.mark.parametrize(("overrides", "field", "code"), [
    ({"name": "王"}, "name", "name_length"),
    ({"name": "王" * 31}, "name", "name_length"),
    ({"name": "王小2"}, "name", "name_chars"),
    ({"name": ""}, "name", "required"),
    ({"id_number": person_id(5)[:17] + ("0" if person_id(5)[17] != "0" else "1")}, "id_number", "id_check"),
    ({"id_number": "33010819901301001X"}, "id_number", "id_birth_date"),
    ({"id_number": "99010819900101001X"}, "id_number", "id_province"),
    ({"id_number": "339999199001010010"}, "id_number", "id_division"),
    ({"id_number": "3301081990"}, "id_number", "id_length"),
    ({"id_number": "测试填写"}, "id_number", "id_length"),
    ({"hukou_type": "城镇"}, "hukou_type", "hukou_choice"),
    ({"contribution_base": "4811.99"}, "contribution_base", "base_below"),
    ({"contribution_base": "24930.01"}, "contribution_base", "base_above"),
    ({"contribution_base": "6000.001"}, "contribution_base", "base_decimals"),
    ({"contribution_base": "六千"}, "contribution_base", "base_number"),
    ({"start_month": "2026-13"}, "start_month", "month_format"),
    ({"start_month": "下个月"}, "start_month", "month_format"),
    ({"name": "=cmd|' /C calc'!A0"}, "name", "formula"),
    ({"hukou_type": "@SUM(1+1)"}, "hukou_type", "formula"),
])
def test_each_kind_of_bad_row_is_listed_with_its_line_and_field_and_nobody_is_enrolled(case, overrides, field, code):
    rows = people(4)
    rows[2] = person_row(2, **overrides)
    roster = run(case, csv_bytes(rows))
    assert roster.status == Roster.Status.REJECTED
    assert errors_by_line(roster) == {4: {(field, code)}}  # header is line 1, so the third person is line 4
    assert not EmployeeEnrolment.objects.filter(case=case).exists()


def test_the_contribution_bounds_are_the_citys_dated_data():
    bounds = roster_policy().bounds_for("330100", dt.date(2025, 7, 1))
    assert bounds is not None
    assert (str(bounds.lower), str(bounds.upper), bounds.year) == ("4812.00", "24930.00", "2025")
    assert bounds.source
    assert roster_policy().bounds_for("330100", dt.date(2026, 12, 1)) == bounds  # in force until the next year's row


def test_a_start_month_before_the_enterprise_was_established_or_too_far_ahead_is_refused():
    case = approved_enrolment_case(NEW_SMALL_ENTERPRISE)  # established 2026-05-12 in the registry
    today = dt.date.today()
    far = dt.date(today.year + (today.month + 3) // 12, (today.month + 3) % 12 + 1, 1)
    rows = [person_row(0, start_month="2026-04"), person_row(1, start_month=f"{far:%Y-%m}"), person_row(2)]
    roster = run(case, csv_bytes(rows))
    assert errors_by_line(roster) == {2: {("start_month", "month_before_establishment")},
                                      3: {("start_month", "month_too_far")}}


def test_every_bad_field_of_a_row_is_reported_not_only_the_first(case):
    rows = [person_row(0, name="1", id_number="123", hukou_type="x", contribution_base="1", start_month="x")]
    roster = run(case, csv_bytes(rows))
    assert {f for f, _c in errors_by_line(roster)[2]} == {"name", "id_number", "hukou_type", "contribution_base",
                                                         "start_month"}


def test_duplicate_id_numbers_within_the_roster_are_refused_naming_the_first_line(case):
    rows = people(3)
    rows.append(person_row(1, name="另一人"))
    roster = run(case, csv_bytes(rows))
    assert roster.status == Roster.Status.REJECTED
    assert roster.errors == [{"line": 5, "field": "id_number", "code": "duplicate", "value": person_id(1),
                              "params": {"line": 3}}]


def test_an_employee_already_enrolled_is_refused_in_a_later_roster(case):
    run(case, csv_bytes(people(2)))
    roster = run(case, csv_bytes(people(3, start=1)))
    assert roster.status == Roster.Status.REJECTED
    assert errors_by_line(roster) == {2: {("id_number", "already_enrolled")}}
    assert EmployeeEnrolment.objects.filter(case=case).count() == 2


def test_the_same_upload_again_replays_the_first_roster_and_enrols_nobody_twice(case):
    content = csv_bytes(people(5))
    first = run(case, content)
    again, created = receive_roster(case=case, user=owner_of(case), content=content, filename="again.csv")
    assert not created and again.pk == first.pk
    process_roster(roster_id=again.pk)  # a retried task finds the roster done
    assert EmployeeEnrolment.objects.filter(case=case).count() == 5
    assert Roster.objects.filter(case=case).count() == 1


def test_a_numeric_id_cell_and_a_formula_cell_in_a_workbook_are_refused(case):
    rows = people(3)
    rows[0][1] = 330108199003071239  # Excel stores it as a number and rounds it
    rows[1][0] = "=HYPERLINK(\"http://x\",\"点我\")"
    roster = run(case, xlsx_bytes(rows), "roster.xlsx")
    assert errors_by_line(roster) == {2: {("id_number", "id_number_numeric")}, 3: {("name", "formula")}}


def test_the_templates_example_row_left_in_is_refused(case):
    from qinqing.cases.roster.workbooks import template_xlsx

    roster = run(case, template_xlsx(today=dt.date.today()), "template.xlsx")
    assert errors_by_line(roster) == {2: {("", "example_row")}}


def test_a_missing_column_is_named(case):
    roster = run(case, csv_bytes([r[:4] for r in people(2)], header=HEADER[:4]))
    assert roster.errors == [{"line": 1, "field": "start_month", "code": "missing_column", "value": "",
                              "params": {"column": "参保起始年月"}}]


def test_headers_in_english_and_another_order_are_understood(case):
    header = ["First month", "Name", "ID number", "Household registration", "Monthly contribution base"]
    rows = [[r[4], r[0], r[1], r[2], r[3]] for r in people(2)]
    assert run(case, csv_bytes(rows, header=header)).enrolled == 2


def test_more_rows_than_the_limit_are_refused_before_any_check(case):
    limit = roster_policy().max_rows
    assert limit == 50_000
    row = ",".join(person_row(0)) + "\r\n"
    content = (",".join(HEADER) + "\r\n" + row * (limit + 1)).encode()
    roster = run(case, content)
    assert roster.status == Roster.Status.REJECTED
    assert [e["code"] for e in roster.errors] == ["too_many_rows"]


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"),
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "file_type"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "file_type"),
    (b"\x89PNG\r\n\x1a\n", "file_type"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old_excel"),
])
def test_a_file_that_is_not_a_roster_is_refused_at_once_by_its_content(case, content, reason):
    from qinqing.cases.roster.rows import MESSAGES

    with pytest.raises(RosterRefused) as refused:
        receive_roster(case=case, user=owner_of(case), content=content, filename="roster.xlsx")
    assert refused.value.errors["file"] == [str(MESSAGES[reason])]
    assert not Roster.objects.filter(case=case).exists()


def test_a_header_without_rows_is_rejected(case):
    roster = run(case, csv_bytes([]))
    assert [e["code"] for e in roster.errors] == ["no_rows"]


def test_only_an_approved_enrolment_case_takes_a_roster():
    other = open_case()
    with pytest.raises(TransitionRefused):
        receive_roster(case=other, user=owner_of(other), content=csv_bytes(people(1)), filename="r.csv")


def test_another_enterprise_cannot_upload_to_the_case(case):
    with pytest.raises(TransitionRefused):
        receive_roster(case=case, user=enterprise(1), content=csv_bytes(people(1)), filename="r.csv")


def test_a_technical_failure_enrols_nobody_and_the_same_file_again_retries_it(case, monkeypatch):
    import qinqing.cases.services.enrolment as enrolment

    def broken(roster, rows):
        raise RuntimeError("database went away")

    content = csv_bytes(people(4))
    monkeypatch.setattr(enrolment, "_enrol", broken)
    failed = run(case, content)
    assert failed.status == Roster.Status.FAILED
    assert not EmployeeEnrolment.objects.filter(case=case).exists()
    monkeypatch.undo()
    again, created = receive_roster(case=case, user=owner_of(case), content=content, filename="roster.csv")
    assert not created and again.pk == failed.pk and again.status == Roster.Status.QUEUED
    assert process_roster(roster_id=again.pk).enrolled == 4


def test_progress_is_stored_on_the_roster_row_as_rows_are_checked(case, monkeypatch):
    import qinqing.cases.services.enrolment as enrolment

    seen: list[tuple[str, int, int]] = []
    real = enrolment._progress

    def spy(roster_id, **fields):
        real(roster_id, **fields)
        row = Roster.objects.get(pk=roster_id)
        seen.append((row.status, row.percent, row.rows_done))

    monkeypatch.setattr(enrolment, "_progress", spy)
    roster = run(case, csv_bytes(people(2500)))
    assert roster.status == Roster.Status.COMPLETED
    statuses = [s for s, _p, _d in seen]
    assert "validating" in statuses and "enrolling" in statuses
    percents = [p for _s, p, _d in seen]
    assert percents == sorted(percents) and 0 < percents[-1] < 100
    assert (2000, "validating") in {(d, s) for s, _p, d in seen}


def test_a_roster_whose_worker_died_is_queued_again_by_the_same_upload(case):
    content = csv_bytes(people(3))
    roster, _created = receive_roster(case=case, user=owner_of(case), content=content, filename="r.csv")
    Roster.objects.filter(pk=roster.pk).update(status=Roster.Status.VALIDATING)  # the worker was killed here
    again, _created = receive_roster(case=case, user=owner_of(case), content=content, filename="r.csv")
    assert again.status == Roster.Status.VALIDATING  # still running, as far as anyone can tell
    Roster.objects.filter(pk=roster.pk).update(created_at=roster.created_at - dt.timedelta(hours=1))
    again, _created = receive_roster(case=case, user=owner_of(case), content=content, filename="r.csv")
    assert again.status == Roster.Status.QUEUED
    assert process_roster(roster_id=again.pk).enrolled == 3
