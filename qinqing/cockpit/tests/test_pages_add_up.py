"""What a street official checks on a page: the areas add up to the cards, every enterprise can be opened, an alert's
link leads where the viewer may go, the wall's bars stay legible and still add up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from qinqing.accounts.models import Role
from qinqing.cockpit import board, queries
from qinqing.cockpit.locate import locate
from qinqing.cockpit.models import EnterpriseState
from qinqing.cockpit.tests.support import (
    BINJIANG,
    CHANGHE,
    PUYAN,
    catch_up,
    change_registry,
    fresh_uscc,
    new_registration,
    node,
    registry_row,
    staff,
)
from qinqing.web.demo import demo_uscc

pytestmark = pytest.mark.django_db


def _client(username: str, region: str, role: str = Role.STREET_STAFF) -> Client:
    client = Client()
    client.force_login(staff(username, region, role), backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_an_enterprise_at_the_street_itself_gets_a_row_so_the_areas_add_up_to_the_cards() -> None:
    catch_up()
    new_registration(fresh_uscc(31), region=PUYAN, capital="500000")  # registered to the street, no community
    catch_up()
    data = board.page(node(PUYAN))
    rows = [*data["children_top"], *data["children_rest"]]
    unplaced = data["unplaced"]
    assert unplaced is not None and unplaced["enterprises"] >= 1 and unplaced["url"] == ""
    assert unplaced in data["children_top"]
    summary = data["summary"]
    assert sum(r["enterprises"] for r in rows) == summary.enterprises
    assert sum(r["registered_30d"] for r in rows) == summary.registered_30d
    assert sum(r["alerts_open"] for r in rows) == summary.alerts_open
    assert sum(Decimal(r["payouts_amount"]) for r in rows) == Decimal(summary.payouts_amount)
    html = _client("af_puyan", PUYAN).get(f"/cockpit/{PUYAN}/").content.decode()
    assert 'class="unplaced"' in html and "本级直属（未落到下级区域）" in html
    # A unit has no areas below: nothing to add up, no such row.
    assert board.page(node("33010800301500100301"))["unplaced"] is None


def test_the_roster_lists_the_nodes_enterprises_with_their_place_and_a_portrait_link() -> None:
    catch_up()
    roster = board.roster(node(PUYAN))
    in_operation = queries.summary(node(PUYAN)).enterprises
    assert 0 < len(roster) == min(in_operation, board.ROSTER_SIZE)
    assert {e["uscc"] for e in roster} <= set(EnterpriseState.objects.filter(
        path__startswith=node(PUYAN).path).values_list("uscc", flat=True))
    manufacturer = next(e for e in roster if e["uscc"] == demo_uscc(1))  # 杭州浦沿物联网设备有限公司
    assert manufacturer["place"] == "东信社区 东方通信科技园 3层 301室"
    assert manufacturer["url"] == f"/cockpit/enterprises/{demo_uscc(1)}/"
    street = _client("af_puyan", PUYAN)
    html = street.get(f"/cockpit/{PUYAN}/").content.decode()
    assert 'id="roster-h"' in html and f'href="/cockpit/enterprises/{demo_uscc(1)}/"' in html
    assert street.get(manufacturer["url"]).status_code == 200
    # On the unit itself the roster names the unit.
    unit = board.roster(node("33010800301500100301"))
    assert [e["place"] for e in unit if e["uscc"] == demo_uscc(1)] == ["301室"]


def test_a_moved_enterprise_is_seen_by_the_street_it_moved_into_and_its_alert_no_longer_links() -> None:
    catch_up()
    change_registry(registry_row(1, region_code="330108002008"))  # 浦沿 → 长河 (越达巷)
    catch_up()
    found = locate(demo_uscc(1))
    assert found is not None and found.region.code == "330108002008"
    portrait = f"/cockpit/enterprises/{demo_uscc(1)}/"
    assert _client("af_changhe", CHANGHE).get(portrait).status_code == 200
    assert _client("af_puyan", PUYAN).get(portrait).status_code == 404
    feed = board.alert_rows(node(PUYAN))
    moved = [a for a in feed if a["uscc"] == demo_uscc(1)]
    assert moved and all(a["portrait"] == "" for a in moved)
    here = set(EnterpriseState.objects.filter(path__startswith=node(PUYAN).path).values_list("uscc", flat=True))
    assert all(bool(a["portrait"]) == (a["uscc"] in here) for a in feed)


def test_an_alert_of_an_enterprise_still_in_the_node_links_to_its_portrait() -> None:
    catch_up()
    change_registry(registry_row(0, status="注销"))  # 长河's enterprise deregisters: an alert, still 长河's
    catch_up()
    feed = board.alert_rows(node(CHANGHE))
    mine = [a for a in feed if a["uscc"] == demo_uscc(0)]
    assert mine and all(a["portrait"] == f"/cockpit/enterprises/{demo_uscc(0)}/" for a in mine)
    html = _client("af_changhe", CHANGHE).get(f"/cockpit/{CHANGHE}/").content.decode()
    assert f'<a href="/cockpit/enterprises/{demo_uscc(0)}/">' in html


def test_the_big_screen_sums_the_smaller_industries_into_one_bar() -> None:
    items: list[dict[str, Any]] = [{"key": k, "label": k, "value": v} for k, v in zip("ABCDEFGHIJ", (7, 2, 19, 7, 24, 3, 5, 9, 1, 2),
                                                                   strict=True)]
    bars = board.fewer_bars(items)
    assert len(bars) == board.SCREEN_BARS and sum(b["value"] for b in bars) == sum(i["value"] for i in items)
    assert [b["key"] for b in bars[:-1]] == ["A", "C", "D", "E", "H"]  # the largest five, natural order kept
    assert bars[-1] == {"key": "other", "value": 2 + 3 + 5 + 1 + 2, "label": "其他5个门类"}
    assert board.fewer_bars(items[:5]) == items[:5]
    catch_up()
    screen = _client("af_district", BINJIANG, Role.DISTRICT_STAFF).get(f"/cockpit/{BINJIANG}/screen.json").json()
    industry = screen["charts"]["industry"]
    assert len(industry) <= board.SCREEN_BARS
    assert sum(b["value"] for b in industry) == sum(queries.summary(node(BINJIANG)).by_industry.values())


def test_a_modules_figures_carry_their_column_and_unit_and_yuan_are_grouped() -> None:
    data = {"chart": "bar", "columns": [{"key": "enterprises", "label": "在营企业数", "unit": "家"},
                                        {"key": "tax", "label": "纳税总额", "unit": "元"}],
            "rows": [{"label": "东方通信科技园", "code": "330108003015001", "enterprises": 1234, "tax": "28077661.15"},
                     {"label": "中控科技园", "enterprises": 22, "tax": None}]}
    view = board.module_view(data)
    assert [[c["value"] for c in r["cells"]] for r in view["module_rows"]] == [["1,234", "28,077,661.15"], ["22", "—"]]
    assert [c["label"] for c in view["module_rows"][0]["cells"]] == ["在营企业数（家）", "纳税总额（元）"]
    assert view["chart_of"] == "在营企业数（家）"
    assert board.module_view({**data, "chart": "line"})["chart_of"] == "在营企业数（家）、纳税总额（元）"
    catch_up()
    html = _client("af_puyan", PUYAN).get(f"/cockpit/{PUYAN}/").content.decode()
    assert 'class="cockpit-table module-table"' in html and 'data-label="在营企业数（家）"' in html
    assert "图示：" in html


def test_in_english_units_read_as_words_and_the_cards_carry_no_chinese_term() -> None:
    catch_up()
    client = _client("af_puyan", PUYAN)
    client.cookies["django_language"] = "en"
    for path in (f"/cockpit/{PUYAN}/", f"/cockpit/{PUYAN}/screen/"):
        html = client.get(path, headers={"Accept-Language": "en"}).content.decode()
        assert "Key figures" in html and "(unit)" not in html, path
        assert "Decided at once<" in html and "秒办" not in html, path
        assert "Service desk (D-Xiao-Er), last 30 days" in html, path
