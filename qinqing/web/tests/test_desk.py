"""Everyone lands on their own desk (issue 8 §6): 我的办事 for an enterprise, workbenches for staff."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from qinqing.accounts.models import User
from qinqing.cases import services
from qinqing.cases.tests.support import enterprise, open_case, reviewer_of, session_client
from qinqing.notifications.models import Notification
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db

PASSWORD = "Qinqing@2026"


@pytest.mark.parametrize(("username", "desk"), [
    (demo_uscc(0), "/my/"),
    ("rsj_reviewer", "/review/"),
    ("fgw_agent", "/agent/"),
    ("admin", "/admin/"),
    ("puyan_staff", "/cases/"),
    ("binjiang_staff", "/cases/"),
])
def test_after_login_everyone_lands_on_their_own_desk(username, desk):
    response = Client().post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == desk


def test_a_next_page_still_wins():
    response = Client().post("/accounts/login/", {"username": demo_uscc(0), "password": PASSWORD,
                                                  "next": "/licences/"})
    assert response["Location"] == "/licences/"


def test_the_desk_puts_a_supplement_request_first_with_an_upload_form():
    case = open_case(0)
    assert case.matter is not None
    services.request_supplement(case=case, reviewer=reviewer_of(case.matter), note="请补充加盖公章的申请书")
    response = session_client(enterprise(0)).get("/my/")
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    banner = text.index(f'id="supplement-{case.pk}"')
    assert banner < text.index('id="open-cases"'), "what needs action comes first"
    assert "请补充加盖公章的申请书" in text
    assert f'action="/cases/{case.pk}/materials/"' in text and 'type="file"' in text


def test_the_desk_lists_open_cases_licences_and_unread_messages():
    user = enterprise(0)
    case = open_case(0)
    Notification.objects.create(recipient=user, kind=Notification.Kind.DECISION, title="测试消息：已受理")
    text = html.unescape(session_client(user).get("/my/").content.decode())
    assert f'href="/cases/{case.pk}/"' in text
    assert "测试消息：已受理" in text
    assert 'id="licences"' in text


def test_staff_opening_the_desk_go_to_their_own():
    reviewer = User.objects.get(username="rsj_reviewer")
    response = session_client(reviewer).get("/my/")
    assert response.status_code == 302 and response["Location"] == "/review/"


def test_street_staff_see_their_area_s_cases_with_the_enterprise_named():
    case = open_case(0)
    staff = User.objects.get(username="binjiang_staff")  # 滨江区: every demo enterprise is registered there
    text = html.unescape(session_client(staff).get("/cases/").content.decode())
    assert "辖区办件" in text and "我的办件" not in text.split("<main", 1)[-1]
    assert case.enterprise.name in text and case.number in text
    assert "查找事项" not in text.split("<main", 1)[-1], "staff do not apply for matters"


def test_a_reviewer_with_nothing_recent_reads_a_sentence_not_a_dash():
    text = html.unescape(session_client(User.objects.get(username="gjj_reviewer")).get("/review/").content.decode())
    assert "暂无已办结或等待企业补正的办件。" in text
