"""404, 403, 500 and the lockout page: the site's layout, the visitor's language, a way back."""

from __future__ import annotations

import html as html_lib

import pytest
from django.test import Client, RequestFactory, override_settings

from qinqing.cases.tests.support import enterprise, matter_approved_for, reviewer_of, session_client

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html_lib.unescape(response.content.decode())


def test_a_wrong_id_shows_the_404_page_in_the_layout_in_chinese():
    response = session_client(enterprise(0)).get("/cases/999999999/")
    assert response.status_code == 404
    page = _text(response)
    assert 'class="top"' in page and "找不到" in page and 'href="/"' in page
    assert "Not Found" not in page


def test_the_404_page_follows_the_language_switch():
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = _text(client.get("/matters/NO-SUCH-MATTER/"))
    assert "We cannot find this page" in page and "Back to the home page" in page


def test_a_reviewer_opening_the_apply_page_gets_the_403_page_with_the_reason():
    matter = matter_approved_for(0)
    response = session_client(reviewer_of(matter)).get(f"/apply/{matter.code}/")
    assert response.status_code == 403
    page = _text(response)
    assert 'class="top"' in page and "仅企业账号可以申请办理。" in page
    assert 'href="/review/"' in page, "a way back to the reviewer's own desk"


@override_settings(DEBUG=False)
def test_the_500_page_uses_the_site_look_without_a_traceback():
    from qinqing.web.views import server_error

    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "site.css" in page and "Traceback" not in page and "出错" in page


def test_the_lockout_page_points_to_help_that_exists(settings):
    settings.QINQING_LOGIN_FAILURE_LIMIT = 2
    client = Client()
    for _attempt in range(3):
        response = client.post("/accounts/login/", {"username": "nobody_such", "password": "wrong-password"})
    assert response.status_code == 429
    page = _text(response)
    assert 'class="top"' in page
    links = [href for href in ("/help/", "/accounts/password") if href in page]
    assert links
    assert Client().get("/help/").status_code == 200
