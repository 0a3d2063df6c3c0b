"""The D小二 desk in a real chromium: ask → the assistant cites a guide → 转人工 → the dedicated D小二 answers
live → the enterprise rates 不满意 and follows the rectification; axe on every new page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SERIOUS = {"serious", "critical"}


def _axe(page: Any, url: str, found: list[str]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    for violation in Axe().run(page).response["violations"]:
        if violation.get("impact") in SERIOUS:
            targets = [" ".join(map(str, n.get("target", []))) for n in violation["nodes"][:3]]
            found.append(f"{url}: {violation['id']} {violation['help']} {targets}")


def test_ask_assistant_then_a_dxe_then_rate_badly_and_see_the_rectification(
    new_context: Any, demo: Any, login: Any, shot: Any, api: Any,
) -> None:
    matter = api(None).get("/matters")[0]
    enterprise = new_context().new_page()
    login(enterprise, demo.uscc(0))  # 长河街道: its dedicated D小二 is changhe_dxe
    enterprise.goto(f"/matters/{matter['code']}/")
    enterprise.locator("#desk-toggle").click()
    panel = enterprise.locator("#desk-panel")
    expect(panel.locator(".desk-assistant").first).to_be_visible()
    panel.locator("#desk-text").fill(f"{matter['name']}怎么办理？")
    panel.locator("[data-desk-send] button[type=submit]").click()
    expect(panel.locator(".desk-cite").first).to_be_visible(timeout=10_000)
    expect(panel.locator(".desk-cite").first).to_have_attribute("href", re.compile(r"^/matters/"))
    panel.locator("[data-desk-human]").click()
    expect(panel.locator(".desk-system").last).to_contain_text("转接", timeout=10_000)
    shot(enterprise, "servicedesk_panel_handed_over")
    page_link = panel.locator("[data-desk-page]").get_attribute("href")
    assert page_link and re.match(r"^/service/conversations/\d+/$", page_link)

    seat = new_context().new_page()
    login(seat, "changhe_dxe")
    seat.goto("/service/console/")
    seat.locator(f"a[href='{page_link}']").first.click()
    seat.wait_for_url(f"**{page_link}")
    seat.locator("#chat-text").fill("您好，我是长河街道D小二，已看到您的问题。")
    seat.locator("[data-desk-send] button[type=submit]").click()
    # The enterprise's panel shows the answer without a reload (WebSocket, or polling as a fallback).
    expect(panel.locator(".desk-staff").last).to_contain_text("长河街道D小二", timeout=15_000)
    shot(seat, "servicedesk_seat_conversation")

    enterprise.goto(page_link)
    enterprise.locator("button[value=close]").click()
    enterprise.locator("input[name=level][value=dissatisfied]").check()
    enterprise.locator("#rate-comment").fill("回答不够具体")
    enterprise.locator("#rate-form button[type=submit]").click()
    enterprise.wait_for_url(re.compile(r"/service/workorders/\d+/$"))
    expect(enterprise.locator("h1")).to_contain_text("整改")
    expect(enterprise.locator("[aria-current=step]")).to_have_count(1)
    shot(enterprise, "servicedesk_rectification")

    found: list[str] = []
    for page, url in ((enterprise, "/service/"), (enterprise, page_link), (enterprise, enterprise.url),
                      (seat, "/service/console/")):
        page.goto(url)
        page.wait_for_load_state("load")
        _axe(page, url, found)
    supervisor = new_context().new_page()
    login(supervisor, "bj_supervisor")
    supervisor.goto("/service/supervise/")
    _axe(supervisor, "/service/supervise/", found)
    enterprise.goto("/service/")
    enterprise.locator("#desk-toggle").click()
    expect(enterprise.locator("#desk-panel")).to_be_visible()
    _axe(enterprise, "/service/ (panel open)", found)
    assert not found, "\n".join(found)
