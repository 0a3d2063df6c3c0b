"""Case events reach the applicant's inbox (and only theirs), with SMS copies delivered after commit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qinqing.cases.tests.support import (
    PDF_BYTES,
    client_for,
    enterprise,
    form_data,
    matter_approved_for,
    new_key,
    open_case,
    reviewer_of,
    session_client,
)
from qinqing.notifications.backends import LogBackend
from qinqing.notifications.models import Delivery, Notification

pytestmark = pytest.mark.django_db

K = Notification.Kind


@pytest.fixture(autouse=True)
def _clean_sms_log():
    LogBackend.sent.clear()
    yield
    LogBackend.sent.clear()


def _inbox(user) -> list[Notification]:
    return list(Notification.objects.visible_to(user).order_by("id"))


def _kinds_since(user, last_id: int) -> list[str]:
    return [n.kind for n in Notification.objects.visible_to(user).filter(id__gt=last_id).order_by("id")]


def _last_id() -> int:
    return Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_automatic_approval_sends_one_notice_naming_the_case_and_the_licence(django_capture_on_commit_callbacks):
    user, matter = enterprise(0), matter_approved_for(0)
    start = _last_id()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user, **{"Idempotency-Key": new_key()}).post(
            "/api/v1/cases", {"matter": matter.code, "data": form_data(matter)}, content_type="application/json"
        )
    assert response.status_code == 201
    case = response.json()
    assert _kinds_since(user, start) == [K.LICENCE_ISSUED]
    notes = Notification.objects.filter(id__gt=start)
    note = notes.get()
    assert note.link == f"/cases/{case['id']}/"
    assert case["licence"]["number"] in note.body
    assert case["number"] in note.body
    sent_to = {address for address, _title, _body in LogBackend.sent}
    assert sent_to == {user.phone}
    assert len(LogBackend.sent) == notes.count()
    assert Delivery.objects.filter(notification__in=notes, status=Delivery.Status.SENT).count() == notes.count()


def test_submission_of_a_reviewed_matter_notifies_its_receipt(django_capture_on_commit_callbacks):
    user = enterprise(0)
    start = _last_id()
    with django_capture_on_commit_callbacks(execute=True):
        case = open_case(0)
    assert _kinds_since(user, start) == [K.CASE_RECEIVED]
    note = Notification.objects.get(id__gt=start)
    assert case.number in note.body
    assert [(a, t) for a, t, _ in LogBackend.sent] == [(user.phone, note.title)]


@pytest.mark.parametrize(
    ("outcome", "note", "kinds"),
    [
        ("approve", "同意", [K.LICENCE_ISSUED]),
        ("reject", "经营场所不符合要求", [K.DECISION]),
        ("supplement", "请补充加盖公章的申请书", [K.SUPPLEMENT_REQUESTED]),
    ],
)
def test_reviewer_decisions_notify_the_applicant(django_capture_on_commit_callbacks, outcome, note, kinds):
    case = open_case(0)
    user = enterprise(0)
    start = _last_id()
    LogBackend.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(reviewer_of(case.matter)).post(
            f"/api/v1/cases/{case.pk}/decision", {"outcome": outcome, "note": note}, content_type="application/json"
        )
    assert response.status_code == 200
    assert _kinds_since(user, start) == kinds
    if outcome != "approve":
        assert note in Notification.objects.filter(id__gt=start).get().body
    assert len(LogBackend.sent) == len(kinds)
    assert {address for address, _, _ in LogBackend.sent} == {user.phone}


def test_other_enterprise_sees_none_of_the_messages():
    case = open_case(0)
    client_for(reviewer_of(case.matter)).post(
        f"/api/v1/cases/{case.pk}/decision", {"outcome": "supplement", "note": "请补充"},
        content_type="application/json",
    )
    mine = _inbox(enterprise(0))
    assert mine
    theirs = _inbox(enterprise(1))
    assert not {n.pk for n in mine} & {n.pk for n in theirs}
    html = session_client(enterprise(1)).get("/inbox/").content.decode()
    assert case.number not in html
    assert case.number in session_client(enterprise(0)).get("/inbox/").content.decode()


def test_other_enterprise_cannot_mark_someone_elses_message_read():
    open_case(0)
    note = _inbox(enterprise(0))[-1]
    response = session_client(enterprise(1)).post(f"/inbox/{note.pk}/read/")
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_reading_a_message_marks_it_read_and_opens_the_case():
    case = open_case(0)
    note = _inbox(enterprise(0))[-1]
    response = session_client(enterprise(0)).post(f"/inbox/{note.pk}/read/")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_nothing_is_sent_outside_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    matter = matter_approved_for(0)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(enterprise(0), **{"Idempotency-Key": new_key()}).post(
            "/api/v1/cases", {"matter": matter.code, "data": form_data(matter, bogus=1)},
            content_type="application/json",
        )
    assert response.status_code == 422
    assert LogBackend.sent == []


def test_supplement_upload_by_the_enterprise_sends_no_message_to_itself(django_capture_on_commit_callbacks):
    case = open_case(0)
    client_for(reviewer_of(case.matter)).post(
        f"/api/v1/cases/{case.pk}/decision", {"outcome": "supplement", "note": "请补充"},
        content_type="application/json",
    )
    start = _last_id()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(enterprise(0)).post(f"/api/v1/cases/{case.pk}/materials",
                                       {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)})
    assert _kinds_since(enterprise(0), start) == []


def test_the_inbox_speaks_the_reader_s_language_whatever_language_wrote_the_message():
    from django.utils import translation

    from qinqing.cases.services import request_supplement

    case = open_case(0)
    assert case.matter is not None and case.matter.name_en
    with translation.override("en"):  # the reviewer works in English
        request_supplement(case=case, reviewer=reviewer_of(case.matter), note="请补充加盖公章的申请书")
    note = Notification.objects.filter(recipient=enterprise(0), kind=K.SUPPLEMENT_REQUESTED).latest("pk")
    assert note.title == f"请补正材料：{case.matter.name}", "stored (and sent by SMS) in Chinese"
    client = session_client(enterprise(0))
    chinese = client.get("/inbox/").content.decode()
    assert case.matter.name in chinese and "Supplement requested" not in chinese
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/inbox/").content.decode()
    assert f"Supplement requested: {case.matter.name_en}" in english
    assert "请补充加盖公章的申请书" in english, "what a person wrote stays as written"


def test_a_message_stored_as_plain_text_is_still_shown():
    user = enterprise(0)
    Notification.objects.create(recipient=user, kind=K.DECISION, title="旧消息：已受理")
    assert "旧消息：已受理" in session_client(user).get("/inbox/").content.decode()


def test_the_sandbox_keeps_only_the_latest_messages_in_memory():
    LogBackend.sent.clear()
    backend = LogBackend()
    for i in range(2 * LogBackend.KEEP + 5):
        backend.send(address="13800000000", title=f"t{i}", body="b")
    assert len(LogBackend.sent) <= 2 * LogBackend.KEEP
    assert LogBackend.sent[-1][1] == f"t{2 * LogBackend.KEEP + 4}"
    LogBackend.sent.clear()
