"""亲清驾驶舱 visits on a phone: a 浦沿 official opens a portrait; a grid worker records the visit that a
10,000,000-yuan registration raised (registry import → prompt → record → closed); axe on each new page.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import audit_page

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PARK_UNIT = "33010800140000200301"  # 滨江物联网产业园 2号楼 3层 301室




def test_a_puyan_official_opens_an_enterprise_portrait(new_context: Any, login: Any, shot: Any, demo: Any) -> None:
    page = new_context(viewport=PHONE).new_page()
    login(page, "puyan_staff")
    page.goto(f"/cockpit/enterprises/{demo.uscc(1)}/")
    main = page.inner_text("main")
    for expected in ("杭州浦沿物联网设备有限公司", "企业画像", "浦沿街道", "东方通信科技园", "301室", "登记信息", "市场监管主体登记库",
                     "用工与纳税", "政策与兑付"):
        assert expected in main, expected
    problems = audit_page(page, "cockpit_portrait", shot)
    # Outside the official's street: not found.
    assert page.goto(f"/cockpit/enterprises/{demo.uscc(0)}/").status == 404
    assert not problems, "\n".join(problems)


def test_a_grid_worker_records_the_visit_a_ten_million_registration_raised(
    new_context: Any, login: Any, shot: Any, api: Any,
) -> None:
    from qinqing.core.ids import generate_uscc

    uscc = generate_uscc(division="330108", rng=random.Random(time.time_ns()))
    name = f"杭州走访测试{uscc[-4:]}科技有限公司"
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    record = {"uscc": uscc, "name": name, "legal_representative": "周岚", "registered_capital": "10000000.00",
              "industry_code": "I6513", "industry_name": "应用软件开发", "entity_type": "有限责任公司（自然人投资或控股）",
              "address": "浙江省杭州市滨江区西兴街道物联网街物联网产业园2号楼3层301室", "region_code": PARK_UNIT,
              "established_on": today, "status": "存续"}
    imported = api("data_importer").http.post("/datahub/market_registry/records", json=[record])
    assert imported.status_code == 200, imported.text[:500]

    page = new_context(viewport=PHONE).new_page()
    login(page, "iotpark_grid")
    deadline = time.monotonic() + 20
    while True:  # the prompt follows from the outbox within seconds
        page.goto("/cockpit/visits/")
        if name in page.inner_text("main") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert name in page.inner_text("main"), "no visit prompt for the 10 M-yuan registration"
    problems = audit_page(page, "cockpit_visits", shot)
    page.get_by_role("link", name=name).click()
    page.wait_for_load_state("load")
    assert "走访提示" in page.inner_text("main") and "10,000,000" in page.inner_text("main")
    problems += audit_page(page, "cockpit_visit", shot)

    page.click("button[value=record]")  # nothing filled in: every missing field is named
    page.wait_for_load_state("load")
    summary = page.inner_text("#error-summary")
    assert "参加人员" in summary and "走访内容" in summary
    problems += audit_page(page, "cockpit_visit_errors", shot)

    page.fill("#f-attendees", "网格员 陈晨；企业负责人 周岚")
    page.get_by_label("政策解读").check()
    page.get_by_label("答疑").check()
    page.fill("#f-notes", "讲解人才政策和研发费用加计扣除；企业咨询人才公寓申请。")
    page.click("button[value=record]")
    page.wait_for_load_state("load")
    main = page.inner_text("main")
    assert "已办结" in main and "政策解读、答疑" in main
    problems += audit_page(page, "cockpit_visit_closed", shot)
    page.click("text=企业画像")
    page.wait_for_load_state("load")
    assert name in page.inner_text("main") and "物联网产业园2号楼" in page.inner_text("main")
    assert not problems, "\n".join(problems)
