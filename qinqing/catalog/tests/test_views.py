"""Public pages: home with boards and live counters, search, guide; security headers on every page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from qinqing.catalog.models import Board, Matter

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_home_shows_the_six_boards_linking_to_their_search():
    html = _html(Client().get("/"))
    boards = list(Board.objects.all())
    assert len(boards) == 6
    for board in boards:
        assert board.name in html
        assert f"?board={board.code}" in html


def test_home_counters_equal_the_stats_api():
    html = _html(Client().get("/"))
    stats = Client().get("/api/v1/stats").json()
    shown = {
        key: int(value.replace(",", ""))
        for key, value in re.findall(r'data-stat="(\w+)">([\d,]+)<', html)
    }
    assert shown == stats


def test_search_page_finds_matters_by_chinese_keyword():
    html = _html(Client().get("/matters/", {"q": "公积金"}))
    housing = Matter.objects.online().filter(name__contains="公积金").order_by("code")
    assert housing.exists()
    for matter in housing:
        assert f"/matters/{matter.code}/" in html


def test_search_page_filters_by_board():
    board = Board.objects.order_by("order").last()
    html = _html(Client().get("/matters/", {"board": board.code}))
    inside = Matter.objects.online().filter(board=board)
    outside = Matter.objects.online().exclude(board=board)
    assert all(f"/matters/{m.code}/" in html for m in inside)
    assert not any(f'href="/matters/{m.code}/"' in html for m in outside)


def test_guide_page_shows_limits_materials_and_the_apply_link():
    matter = Matter.objects.online().filter(materials__isnull=False).order_by("code").first()
    html = _html(Client().get(f"/matters/{matter.code}/"))
    assert matter.name in html
    assert matter.department.name in html
    for requirement in matter.materials.all():
        assert requirement.name in html
    assert f"/apply/{matter.code}/" in html


def test_guide_page_of_an_automatic_matter_lists_its_conditions():
    matter = Matter.objects.online().filter(automatic=True, rule_set__isnull=False).order_by("code").first()
    html = _html(Client().get(f"/matters/{matter.code}/"))
    for condition in matter.rule_set.current_version().conditions:
        assert condition["label"] in html


def test_guide_page_of_an_unknown_matter_is_404():
    assert Client().get("/matters/NO-SUCH-001/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/matters/", "/accounts/login/", "/verify/"])
def test_pages_send_a_strict_content_security_policy_and_deny_framing(path):
    response = Client().get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_carry_no_inline_script_or_style():
    for path in ("/", "/matters/", "/accounts/login/"):
        html = Client().get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert "<style" not in html, path
        assert not re.search(r"\son[a-z]+=\"", html), path
        assert 'style="' not in html, path
