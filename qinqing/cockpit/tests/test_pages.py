"""The cockpit's pages, big screen and Excel export: the viewer's node, its subtree's figures with units, and
404 for every node outside the viewer's scope."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from qinqing.accounts.models import Role
from qinqing.cockpit import queries
from qinqing.cockpit.models import EnterpriseState
from qinqing.cockpit.staticfinders import PLOTLY_STATIC, PlotlyFinder
from qinqing.cockpit.tests.support import BINJIANG, CHANGHE, PUYAN, XIXING, catch_up, node, staff
from qinqing.regions.models import Region

pytestmark = pytest.mark.django_db


def _client(username: str, region: str, role: str = Role.STREET_STAFF, language: str = "") -> Client:
    client = Client(headers={"Accept-Language": language} if language else {})
    client.force_login(staff(username, region, role), backend="django.contrib.auth.backends.ModelBackend")
    if language:
        client.cookies["django_language"] = language
    return client


def test_the_cockpit_opens_on_the_viewers_own_node() -> None:
    assert _client("cw_puyan", PUYAN).get("/cockpit/")["Location"] == f"/cockpit/{PUYAN}/"
    district = _client("cw_district", BINJIANG, Role.DISTRICT_STAFF)
    assert district.get("/cockpit/")["Location"] == f"/cockpit/{BINJIANG}/"
    enterprise = Client()
    from qinqing.accounts.models import User
    from qinqing.web.demo import demo_uscc

    enterprise.force_login(User.objects.get(username=demo_uscc(0)),
                           backend="django.contrib.auth.backends.ModelBackend")
    assert enterprise.get("/cockpit/").status_code == 404
    assert Client().get("/cockpit/").status_code == 302  # to the login page


def test_a_street_page_shows_its_subtree_with_units_breadcrumb_and_children() -> None:
    catch_up()
    response = _client("cw_puyan", PUYAN).get(f"/cockpit/{PUYAN}/")
    assert response.status_code == 200
    html = response.content.decode()
    summary = queries.summary(node(PUYAN))
    # The breadcrumb climbs to the city; steps above the viewer's street are named, not linked (they would 404).
    assert "滨江区" in html and f'href="/cockpit/{BINJIANG}/"' not in html and 'aria-current="page">浦沿街道<' in html
    district_html = _client("cw_district", BINJIANG, Role.DISTRICT_STAFF).get(f"/cockpit/{PUYAN}/").content.decode()
    assert f'href="/cockpit/{BINJIANG}/"' in district_html
    for child in queries.children(node(PUYAN)):
        assert f'href="/cockpit/{child.code}/"' in html
    assert "在营企业数" in html and "家" in html and "兑付金额" in html and "元" in html
    assert f"{summary.payouts_amount.quantize(Decimal('0.01')):,}" in html  # the card: 126,000.00
    for name, _count, _amount in summary.payouts_by_policy:
        assert name in html
    assert "cockpit/vendor/plotly.min.js" in html and 'id="cockpit-charts"' in html
    assert "楼宇经济" in html  # 浦沿's own module
    assert "高新技术与重点企业" not in html  # 西兴's is not on 浦沿's page


def test_english_is_one_switch_away() -> None:
    html = _client("cw_puyan", PUYAN, language="en").get(f"/cockpit/{PUYAN}/").content.decode()
    assert "Key figures" in html and "Alert feed" in html


def test_the_smallest_node_says_it_has_nothing_below() -> None:
    community = Region.objects.filter(parent__code=PUYAN).order_by("code").first()
    assert community is not None
    unit = Region.objects.create(code=f"{community.code}Z9", name="测试单元", level="unit", parent=community,
                                 path=f"{community.path}{community.code}Z9/")
    html = _client("cw_puyan", PUYAN).get(f"/cockpit/{unit.code}/").content.decode()
    assert "已是最小单元" in html
    assert f'href="/cockpit/{community.code}/"' in html  # one click back up


@pytest.mark.parametrize("path", ["/cockpit/{code}/", "/cockpit/{code}/screen/", "/cockpit/{code}/screen.json",
                                  "/cockpit/{code}/export.xlsx", "/cockpit/{code}/export/enterprises.xlsx"])
def test_another_streets_node_and_an_unknown_one_are_not_found(path: str) -> None:
    changhe = _client("cw_changhe", CHANGHE)
    assert changhe.get(path.format(code=XIXING)).status_code == 404
    assert changhe.get(path.format(code="330108999")).status_code == 404
    assert changhe.get(path.format(code=CHANGHE)).status_code == 200


def test_the_big_screen_refreshes_from_its_json() -> None:
    catch_up()
    client = _client("cw_puyan", PUYAN)
    html = client.get(f"/cockpit/{PUYAN}/screen/").content.decode()
    assert f'data-refresh-url="/cockpit/{PUYAN}/screen.json"' in html and 'class="screen"' in html
    data = client.get(f"/cockpit/{PUYAN}/screen.json").json()
    cards = {c["key"]: c for c in data["cards"]}
    assert cards["enterprises"]["value"] == queries.summary(node(PUYAN)).enterprises
    assert cards["enterprises"]["unit"] == "家" and cards["payouts_amount"]["unit"] == "元"
    assert data["name"] == "浦沿街道" and data["generated_at"].endswith("+08:00")


def _sheet_rows(content: bytes, title: str) -> list[tuple[object, ...]]:
    book = load_workbook(io.BytesIO(content))
    return [tuple(row) for row in book[title].iter_rows(values_only=True)]


def test_the_export_holds_every_reported_table_with_chinese_headers_and_units() -> None:
    catch_up()
    response = _client("cw_puyan", PUYAN).get(f"/cockpit/{PUYAN}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"cockpit-{PUYAN}-all-" in response["Content-Disposition"]
    content = response.content
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["汇总", "下级区域", "企业名录", "分政策兑付", "预警", "亲清D小二服务（近30天）"]
    summary = queries.summary(node(PUYAN))
    rows = _sheet_rows(content, "汇总")
    assert rows[0] == ("区域", f"浦沿街道（{PUYAN}）", None)
    assert rows[1][0] == "生成时间" and "北京时间" in str(rows[1][1])
    assert rows[4] == ("指标", "值", "单位")
    figures = {r[0]: (r[1], r[2]) for r in rows[5:]}
    assert figures["在营企业数"] == (summary.enterprises, "家")
    amount, unit = figures["兑付金额"]
    assert (Decimal(str(amount)).quantize(Decimal("0.01")), unit) == (summary.payouts_amount.quantize(Decimal("0.01")),
                                                                     "元")
    children = _sheet_rows(content, "下级区域")
    assert children[4][:4] == ("区划代码", "区域", "层级", "在营企业数（家）")
    assert sum(int(str(r[3])) for r in children[5:]) <= summary.enterprises  # enterprises may sit on the street itself
    payouts = _sheet_rows(content, "分政策兑付")
    assert payouts[4] == ("政策", "政策兑付（笔）", "金额（元）")
    assert [(r[0], r[1], Decimal(str(r[2]))) for r in payouts[5:]] == [
        (name, count, amount) for name, count, amount in summary.payouts_by_policy]
    enterprises = _sheet_rows(content, "企业名录")
    assert enterprises[4][:2] == ("统一社会信用代码", "企业") and "注册资本（元）" in enterprises[4]
    in_subtree = EnterpriseState.objects.filter(path__startswith=node(PUYAN).path)
    assert {r[0] for r in enterprises[5:]} == set(in_subtree.values_list("uscc", flat=True))


def test_one_table_exports_alone_and_an_unknown_table_is_not_found() -> None:
    client = _client("cw_puyan", PUYAN)
    response = client.get(f"/cockpit/{PUYAN}/export/payouts.xlsx")
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["分政策兑付"]
    assert client.get(f"/cockpit/{PUYAN}/export/passwords.xlsx").status_code == 404


def test_plotly_is_served_from_our_own_static_files() -> None:
    found = PlotlyFinder().find(PLOTLY_STATIC)
    assert found and str(found).endswith("plotly.min.js")
    assert "Licensed under the MIT license" in open(found, encoding="utf-8").read(400)  # noqa: SIM115
    assert PlotlyFinder().find("cockpit/vendor/widgetbundle.js") is None  # nothing else of the package


def test_the_plotly_stylesheet_matches_the_installed_bundle() -> None:
    from qinqing.cockpit.plotcss import CSS_PATH, stylesheet
    from qinqing.cockpit.staticfinders import plotly_bundle

    bundle = plotly_bundle()
    assert bundle is not None
    assert CSS_PATH.read_text(encoding="utf-8") == stylesheet(bundle.read_text(encoding="utf-8")), (
        "plotly was upgraded: run python -m qinqing.cockpit.plotcss")


def test_street_staff_find_the_cockpit_in_their_header() -> None:
    html = _client("cw_puyan", PUYAN).get("/cases/").content.decode()
    assert 'href="/cockpit/"' in html and "驾驶舱" in html
