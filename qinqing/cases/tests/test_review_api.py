"""Review: the department queue by deadline, approve / reject / supplement, the paused clock, withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qinqing.cases.models import Case, Licence
from qinqing.cases.tests.support import (
    PDF_BYTES,
    approved_case,
    client_for,
    days_ago,
    enterprise,
    nothing_written,
    open_case,
    required_material,
    reviewed_matter_with_required_materials,
    reviewer_of,
)
from qinqing.catalog.models import Matter

pytestmark = pytest.mark.django_db


def _decide(user, case, outcome: str, note: str | None = None):
    body = {"outcome": outcome} if note is None else {"outcome": outcome, "note": note}
    return client_for(user).post(f"/api/v1/cases/{case.pk}/decision", body, content_type="application/json")


def _withdraw(user, case):
    return client_for(user).post(f"/api/v1/cases/{case.pk}/withdraw")


def _supplement(case, content: bytes = PDF_BYTES):
    return client_for(enterprise(0)).post(
        f"/api/v1/cases/{case.pk}/materials",
        {"file": SimpleUploadedFile("补正材料.pdf", content), "requirement": required_material(case.matter).code},
    )


# ----------------------------------------------------------------------------- queue


def test_queue_holds_only_the_reviewers_department_earliest_deadline_first():
    matter = reviewed_matter_with_required_materials()
    elsewhere = Matter.objects.online().exclude(department=matter.department).filter(automatic=False).first()
    mine = [open_case(i, matter=matter) for i in (0, 1, 2)]
    theirs = open_case(0, matter=elsewhere)
    # shuffle deadlines so that creation order and deadline order differ
    for case, days in zip(mine, (9, 3, 6), strict=True):
        Case.objects.filter(pk=case.pk).update(due_at=timezone.now() + dt.timedelta(days=days))
    response = client_for(reviewer_of(matter)).get("/api/v1/review/queue")
    assert response.status_code == 200
    queue = response.json()
    ids = [c["id"] for c in queue]
    assert theirs.pk not in ids
    assert {c.pk for c in mine} <= set(ids)
    departments = set(Matter.objects.filter(code__in={c["matter"] for c in queue}).values_list("department", flat=True))
    assert departments == {matter.department_id}
    deadlines = [dt.datetime.fromisoformat(c["due_at"]) for c in queue]
    assert deadlines == sorted(deadlines)
    assert [i for i in ids if i in {c.pk for c in mine}] == [mine[1].pk, mine[2].pk, mine[0].pk]


def test_queue_leaves_out_decided_and_paused_cases():
    matter = reviewed_matter_with_required_materials()
    decided, paused = open_case(0, matter=matter), open_case(1, matter=matter)
    reviewer = reviewer_of(matter)
    assert _decide(reviewer, decided, "reject", "材料不全").status_code == 200
    assert _decide(reviewer, paused, "supplement", "请补充营业执照").status_code == 200
    ids = [c["id"] for c in client_for(reviewer).get("/api/v1/review/queue").json()]
    assert decided.pk not in ids
    assert paused.pk not in ids


# ----------------------------------------------------------------------------- decisions


def test_approval_issues_a_signed_licence():
    case = open_case(0)
    reviewer = reviewer_of(case.matter)
    response = _decide(reviewer, case, "approve", "同意")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert body["decision_note"] == "同意"
    assert body["licence"]["status"] == "valid"
    licence = Licence.objects.get(case_id=case.pk)
    assert licence.number == body["licence"]["number"]
    assert licence.holder_name == enterprise(0).enterprise.name
    assert [e["action"] for e in body["events"]][-2:] == ["approved", "licence_issued"]


def test_rejection_without_a_reason_is_a_422_and_changes_nothing():
    case = open_case(0)
    reviewer = reviewer_of(case.matter)
    for note in (None, "", "   "):
        with nothing_written():
            response = _decide(reviewer, case, "reject", note)
        assert response.status_code == 422
        assert "note" in response.json()["errors"]
    case.refresh_from_db()
    assert case.is_open


def test_rejection_with_a_reason_closes_the_case_without_a_licence():
    case = open_case(0)
    body = _decide(reviewer_of(case.matter), case, "reject", "经营场所不符合要求").json()
    assert body["status"] == "rejected"
    assert body["decision_note"] == "经营场所不符合要求"
    assert body["licence"] is None
    assert body["decided_at"]


def test_supplement_request_without_a_note_is_a_422():
    case = open_case(0)
    with nothing_written():
        response = _decide(reviewer_of(case.matter), case, "supplement", "")
    assert response.status_code == 422
    assert "note" in response.json()["errors"]


def test_supplement_request_pauses_the_clock_and_the_upload_resumes_it_with_the_deadline_moved():
    case = open_case(0)
    reviewer = reviewer_of(case.matter)
    body = _decide(reviewer, case, "supplement", "请补充加盖公章的申请书").json()
    assert body["status"] == "supplement_requested"
    assert body["paused"] is True
    assert body["overdue"] is False
    case.refresh_from_db()
    due, statutory = case.due_at, case.statutory_due_at
    # the request was made ten calendar days ago (at least six working days, holidays included)
    Case.objects.filter(pk=case.pk).update(paused_at=days_ago(10))
    response = _supplement(case)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "under_review"
    assert body["paused"] is False
    assert body["materials"][-1]["for_supplement"] is True
    moved = dt.datetime.fromisoformat(body["due_at"])
    assert moved - due >= dt.timedelta(days=5)
    assert dt.datetime.fromisoformat(body["statutory_due_at"]) - statutory >= dt.timedelta(days=5)
    assert [e["action"] for e in body["events"]][-1] == "supplemented"
    assert case.pk in [c["id"] for c in client_for(reviewer).get("/api/v1/review/queue").json()]


def test_supplement_answered_the_same_day_keeps_the_deadline():
    case = open_case(0)
    _decide(reviewer_of(case.matter), case, "supplement", "请补充")
    case.refresh_from_db()
    due = case.due_at
    body = _supplement(case).json()
    assert dt.datetime.fromisoformat(body["due_at"]) == due


def test_approval_while_waiting_for_a_supplement_is_a_409():
    case = open_case(0)
    reviewer = reviewer_of(case.matter)
    _decide(reviewer, case, "supplement", "请补充")
    with nothing_written():
        response = _decide(reviewer, case, "approve")
    assert response.status_code == 409
    assert response.json()["code"] == "transition_refused"


@pytest.mark.parametrize("closing", ["approve", "reject", "withdraw"])
@pytest.mark.parametrize("then", ["approve", "reject", "supplement"])
def test_decisions_on_a_closed_case_are_a_409(closing, then):
    case = open_case(0)
    reviewer = reviewer_of(case.matter)
    if closing == "withdraw":
        assert _withdraw(enterprise(0), case).status_code == 200
    else:
        assert _decide(reviewer, case, closing, "结论").status_code == 200
    with nothing_written():
        response = _decide(reviewer, case, then, "再次决定")
    assert response.status_code == 409
    assert response.json()["code"] == "transition_refused"


def test_enterprise_withdraws_an_undecided_case():
    case = open_case(0)
    response = _withdraw(enterprise(0), case)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert case.pk not in [c["id"] for c in client_for(reviewer_of(case.matter)).get("/api/v1/review/queue").json()]


def test_enterprise_withdraws_while_a_supplement_is_requested():
    case = open_case(0)
    _decide(reviewer_of(case.matter), case, "supplement", "请补充")
    body = _withdraw(enterprise(0), case).json()
    assert body["status"] == "withdrawn"
    assert body["paused"] is False


@pytest.mark.parametrize("decision", ["approved automatically", "rejected", "withdrawn"])
def test_withdrawal_after_the_decision_is_a_409(decision):
    if decision == "approved automatically":
        case = approved_case(0)
    else:
        case = open_case(0)
        if decision == "rejected":
            _decide(reviewer_of(case.matter), case, "reject", "不符合条件")
        else:
            _withdraw(enterprise(0), case)
    with nothing_written():
        response = _withdraw(enterprise(0), case)
    assert response.status_code == 409


def test_reviewer_cannot_withdraw_an_enterprises_case():
    case = open_case(0)
    with nothing_written():
        response = _withdraw(reviewer_of(case.matter), case)
    assert response.status_code == 409
    case.refresh_from_db()
    assert case.is_open


def test_upload_to_a_closed_case_is_a_409():
    case = open_case(0)
    _decide(reviewer_of(case.matter), case, "reject", "不符合条件")
    with nothing_written():
        response = _supplement(case)
    assert response.status_code == 409


def test_unknown_outcome_is_a_422():
    case = open_case(0)
    with nothing_written():
        response = _decide(reviewer_of(case.matter), case, "maybe", "嗯")
    assert response.status_code == 422
    assert "outcome" in response.json()["errors"]
