"""政府替办 from the seat console in a real chromium: an enterprise asks for a human, its dedicated D小二 takes the
chat, sees the enterprise's context, asks for an authorisation, the enterprise grants it, the D小二 starts the
一件事 on its behalf from the console, and the enterprise finds it on its own side, marked as done for it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from test_bundles import (
    INDUSTRIAL,
    LAND_CONTRACT,
    LAND_CONTRACT_FILE,
    SMALL_PDF,
    fill_merged_form,
    path_of,
    submit,
)

from conftest import audit_page

pytestmark = pytest.mark.browser

# 杭州旧港物流有限公司 (浦沿街道): no other browser test uses it; its dedicated D小二 is puyan_dxe.
ENTERPRISE = 6
SEAT = "puyan_dxe"
SEAT_NAME = "韩梅"


def test_a_dxe_starts_a_bundle_for_the_enterprise_from_the_console_under_its_authorisation(
    new_context: Any, demo: Any, login: Any, shot: Any, api: Any,
) -> None:
    spec = api(None).get(f"/bundles/{INDUSTRIAL}")
    problems: list[str] = []

    # The enterprise asks for a human in the panel (the first question typed before the chat is even open).
    enterprise = new_context().new_page()
    login(enterprise, demo.uscc(ENTERPRISE))
    enterprise.goto("/service/")
    enterprise.locator("#desk-toggle").click()
    panel = enterprise.locator("#desk-panel")
    panel.locator("#desk-text").fill("转人工")
    panel.locator("[data-desk-send] button[type=submit]").click()
    expect(panel.locator(".desk-system").last).to_contain_text("转接", timeout=30_000)
    assert "/service/" in enterprise.url and "text=" not in enterprise.url  # never a native GET of the question
    expect(panel.locator("[data-desk-human]")).to_be_hidden()  # a human has it now: no second 转人工
    chat_url = panel.locator("[data-desk-page]").get_attribute("href")
    assert chat_url and re.match(r"^/service/conversations/\d+/$", chat_url)

    # The D小二 opens the console, then the chat with the enterprise's context beside it, and takes it.
    seat = new_context().new_page()
    login(seat, SEAT)
    seat.goto("/service/console/")
    waiting = seat.locator("#queues tbody tr", has=seat.locator(f"a[href='{chat_url}']"))
    expect(waiting).to_have_count(1)
    problems += audit_page(seat, "acting_console", shot)
    waiting.locator(f"a[href='{chat_url}']").click()
    seat.wait_for_url(f"**{chat_url}")
    seat.locator("button[value=take]").click()
    seat.wait_for_load_state("load")
    context = seat.locator("aside")
    expect(context.locator("h2").first).to_be_visible()
    expect(context).to_contain_text(demo.uscc(ENTERPRISE))
    expect(context.locator("[data-portrait]")).to_be_visible()
    name = context.locator("p strong").first.inner_text()
    acting = seat.locator("[data-acting]")
    expect(acting.locator("[data-unauthorised]")).to_be_visible()
    # Quick replies are readable on the white card (not the header's white link style).
    quick = seat.locator("[data-quick]").first
    expect(quick).to_be_visible()
    assert quick.evaluate("b => getComputedStyle(b).color") != "rgb(255, 255, 255)"

    # Not authorised yet: the D小二 asks, and the enterprise's panel shows the request live.
    acting.locator("button[value=ask_authorisation]").click()
    seat.wait_for_load_state("load")
    expect(panel.locator(".desk-system").last).to_contain_text(SEAT_NAME, timeout=30_000)
    shot(enterprise, "acting_enterprise_asked")

    # The enterprise grants its dedicated D小二 the industrial project (政府替办).
    enterprise.goto("/my/authorisations/")
    agent = enterprise.locator("#agent option", has_text=SEAT_NAME)
    enterprise.locator("#agent").select_option(agent.get_attribute("value"))
    enterprise.locator("#scope").select_option(INDUSTRIAL)
    with enterprise.expect_navigation():
        enterprise.locator("main form:has(#agent) button[type=submit]").click()
    expect(enterprise.locator("main table tbody")).to_contain_text(SEAT_NAME)

    # Back in the console: authorised, the 一件事 named as the enterprise sees it; start it on its behalf.
    seat.reload()
    expect(acting.locator("[data-authorised]")).to_contain_text(spec["name"])
    start = acting.locator("a[data-start]")
    expect(start).to_have_count(1)
    expect(start).to_contain_text(spec["name"])
    problems += audit_page(seat, "acting_console_authorised", shot)
    start.click()
    seat.wait_for_url(re.compile(rf"/bundles/{INDUSTRIAL}/apply/\?for="))
    expect(seat.locator("main")).to_contain_text(name)  # whom the D小二 acts for
    fill_merged_form(seat, spec)
    seat.locator(f"#m-{LAND_CONTRACT}").set_input_files(
        files=[{"name": LAND_CONTRACT_FILE, "mimeType": "application/pdf", "buffer": SMALL_PDF}])
    response = submit(seat)
    assert response.status == 200, seat.locator("main").inner_text()[:1500]
    assert re.search(r"/bundles/cases/\d+/$", seat.url), seat.url
    progress = path_of(seat.url)
    shot(seat, "acting_progress_seat")

    # The enterprise sees it among its own 一件事, and what the D小二 did for it.
    enterprise.goto("/bundles/mine/")
    expect(enterprise.locator(f"main a[href='{progress}']")).to_have_count(1)
    enterprise.locator(f"main a[href='{progress}']").first.click()
    enterprise.wait_for_url(f"**{progress}")
    expect(enterprise.locator("h1")).to_contain_text(spec["name"])
    problems += audit_page(enterprise, "acting_progress_enterprise", shot)
    enterprise.goto("/my/authorisations/")
    expect(enterprise.locator("main")).to_contain_text(SEAT_NAME)
    problems += audit_page(enterprise, "acting_authorisations", shot)
    assert problems == []

