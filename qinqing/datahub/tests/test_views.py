"""The enterprise's page of what government holds on it (/my/data/)."""

from __future__ import annotations

import pytest
from django.test import Client

from qinqing.datahub.tests.support import enterprise, reviewer

pytestmark = pytest.mark.django_db


def _page(user, language: str = "") -> str:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if language:
        client.cookies["django_language"] = language
    response = client.get("/my/data/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_every_source_holding_the_enterprises_data_with_chinese_labels():
    html = _page(enterprise(0))
    for text in ("杭州滨江智联科技有限公司", "市场监管主体登记库", "国有建设用地使用权出让合同", "杭州市规划和自然资源局",
                 "出让面积（平方米）", "20,368.00", "工业用地", "3301082026A21035", "税务登记信息", "纳税信用等级",
                 "社会保险单位参保信息", "住房公积金单位缴存信息", "电子与智能化工程专业承包"):
        assert text in html, text
    assert "<script>" not in html and "style=" not in html


def test_the_page_never_shows_another_enterprises_data():
    html = _page(enterprise(5))
    assert "杭州新启航信息技术有限公司" in html
    assert "杭州滨江智联科技有限公司" not in html
    assert "3301082026A21035" not in html
    assert "社会保险单位参保信息" not in html  # 新启航 has no social-insurance account yet


def test_the_page_uses_english_labels_in_english():
    html = _page(enterprise(0), language="en")
    assert "State-owned construction land use right transfer contracts" in html
    assert "Area (m²)" in html
    assert "Hangzhou Bureau of Planning and Natural Resources" in html


def test_the_page_is_for_enterprises_and_logged_in_users_only():
    assert Client().get("/my/data/").status_code == 302
    client = Client()
    client.force_login(reviewer("SCJG"), backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/my/data/").status_code == 403


def test_the_desk_links_an_enterprise_to_its_data():
    client = Client()
    client.force_login(enterprise(0), backend="django.contrib.auth.backends.ModelBackend")
    assert 'href="/my/data/"' in client.get("/my/").content.decode()
