"""The roster API: upload answers 202 and is polled; the same file replays; results and template as .xlsx."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from qinqing.cases.models import EmployeeEnrolment
from qinqing.cases.tests.roster_support import (
    approved_enrolment_case,
    csv_bytes,
    owner_of,
    people,
    person_row,
    xlsx_bytes,
)
from qinqing.cases.tests.support import client_for, enterprise

pytestmark = pytest.mark.django_db


def upload(client, case, content, name="roster.xlsx"):
    return client.post(f"/api/v1/cases/{case.pk}/rosters", {"file": SimpleUploadedFile(name, content)})


def test_upload_is_accepted_then_polled_to_completion_and_the_result_lists_every_enrolment(
        django_capture_on_commit_callbacks):
    case = approved_enrolment_case()
    client = client_for(owner_of(case))
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, case, xlsx_bytes(people(30)))
    assert response.status_code == 202, response.content
    roster_id = response.json()["id"]
    body = client.get(f"/api/v1/cases/{case.pk}/rosters/{roster_id}").json()
    assert (body["status"], body["percent"], body["rows_done"], body["enrolled"]) == ("completed", 100, 30, 30)
    listing = client.get(f"/api/v1/cases/{case.pk}/rosters").json()
    assert listing["enrolled"] == 30 and [r["id"] for r in listing["rosters"]] == [roster_id]
    result = client.get(body["result_url"])
    assert result.status_code == 200
    sheet = load_workbook(io.BytesIO(result.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 31
    numbers = set(EmployeeEnrolment.objects.filter(case=case).values_list("number", flat=True))
    assert {r[6] for r in rows[1:]} == numbers
    assert all(r[2] and len(r[2]) == 18 for r in rows[1:])


def test_the_same_file_again_answers_200_with_the_first_roster(django_capture_on_commit_callbacks):
    case = approved_enrolment_case()
    client = client_for(owner_of(case))
    content = csv_bytes(people(3))
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(client, case, content, "a.csv")
        again = upload(client, case, content, "b.csv")
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]
    assert EmployeeEnrolment.objects.filter(case=case).count() == 3


def test_a_rejected_roster_lists_its_errors_in_the_api_and_the_report(django_capture_on_commit_callbacks):
    case = approved_enrolment_case()
    client = client_for(owner_of(case))
    rows = people(3)
    rows[1] = person_row(1, contribution_base="100")
    with django_capture_on_commit_callbacks(execute=True):
        roster_id = upload(client, case, csv_bytes(rows), "r.csv").json()["id"]
    body = client.get(f"/api/v1/cases/{case.pk}/rosters/{roster_id}", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["status"] == "rejected" and body["error_count"] == 1
    error = body["errors"][0]
    assert (error["line"], error["field"], error["code"]) == (3, "contribution_base", "base_below")
    assert "4,812.00" in error["message"]
    report = load_workbook(io.BytesIO(client.get(body["result_url"]).content), read_only=True).worksheets[0]
    assert list(report.iter_rows(values_only=True))[1][0] == 3


def test_a_wrong_file_type_is_a_422_naming_the_file_field():
    case = approved_enrolment_case()
    response = upload(client_for(owner_of(case)), case, b"%PDF-1.4 fake", "roster.xlsx")
    assert response.status_code == 422
    assert response.json()["code"] == "roster_refused"
    assert response.json()["errors"]["file"]


def test_another_enterprise_gets_404_for_the_case_and_its_rosters():
    case = approved_enrolment_case()
    other = client_for(enterprise(1))
    assert upload(other, case, csv_bytes(people(1))).status_code == 404
    assert other.get(f"/api/v1/cases/{case.pk}/rosters").status_code == 404


def test_the_template_is_a_workbook_with_chinese_headers_and_one_example_row():
    response = client_for(enterprise(0)).get("/api/v1/rosters/template")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
    assert rows[0][:5] == ("姓名", "居民身份证号码", "户籍性质", "月缴费基数（元）", "参保起始年月")
    assert len(rows) == 2
