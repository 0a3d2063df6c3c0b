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


BREACH_NOW = """
import datetime as dt
from django.utils import timezone
from qinqing.core import events
from qinqing.servicedesk.models import Conversation
from qinqing.servicedesk.services import sla

conversation = Conversation.objects.get(pk={pk})
with events.atomic():
    # The 3-minute clock ran out a second ago (instead of waiting three minutes of service time).
    sla.set_due(conversation, timezone.now() - dt.timedelta(seconds=1))
    conversation.save(update_fields=["due_at", "warned_at"])
print(sla.sweep())
"""


def test_a_missed_first_response_escalates_to_the_supervisor_who_urges_and_reassigns(
    new_context: Any, demo: Any, login: Any, shot: Any, api: Any, server_python: Any,
) -> None:
    client = api(demo.uscc(0))  # 长河街道: changhe_dxe serves it, changhe_chief supervises (首席, 督办)
    opened = client.post("/conversations", {})
    assert opened.status_code == 201, opened.text
    pk = opened.json()["id"]
    assert client.post(f"/conversations/{pk}/human", {}).status_code == 200
    # Nobody answers: the deadline passes and the sweep (the worker's safety net) finds the breach.
    assert "breach" in server_python(BREACH_NOW.format(pk=pk))

    supervisor = new_context().new_page()
    login(supervisor, "changhe_chief")
    supervisor.goto("/service/supervise/")
    row = supervisor.locator("tr", has=supervisor.locator(f"a[href='/service/conversations/{pk}/']"))
    expect(row).to_have_count(1)
    expect(row.locator("td").last).to_have_text("1")  # escalation level 1: 督办
    shot(supervisor, "servicedesk_supervise_breach")
    row.locator("a").click()
    supervisor.wait_for_url(f"**/service/conversations/{pk}/")
    escalations = supervisor.locator("[data-escalations]")
    expect(escalations).to_contain_text("超时")
    form = supervisor.locator("[data-supervise]")
    form.locator("#sv-note").fill("请立即回复企业")
    form.locator("button[value=urge]").click()
    expect(supervisor.locator("[data-escalations]")).to_contain_text("请立即回复企业")
    form = supervisor.locator("[data-supervise]")
    form.locator("#sv-to").select_option("changhe_dxe")
    form.locator("#sv-note").fill("改由李娜接待")
    form.locator("button[value=reassign]").click()
    expect(supervisor.locator("p.muted").first).to_contain_text("李娜")  # the owner now: 首问责任 moves with it
    shot(supervisor, "servicedesk_supervise_reassigned")

    # The receiver sees the chat in her console and answers it.
    seat = new_context().new_page()
    login(seat, "changhe_dxe")
    seat.goto("/service/console/")
    seat.locator(f"a[href='/service/conversations/{pk}/']").first.click()
    seat.wait_for_url(f"**/service/conversations/{pk}/")
    expect(seat.locator("[data-escalations]")).to_contain_text("请立即回复企业")
    seat.locator("#chat-text").fill("抱歉久等，我来为您办理。")
    seat.locator("[data-desk-send] button[type=submit]").click()
    expect(seat.locator(".desk-staff").last).to_contain_text("抱歉久等", timeout=15_000)

    # The enterprise sends markup (shown as text, never run) and a file (checked by content); the seat sees both live.
    enterprise = new_context().new_page()
    login(enterprise, demo.uscc(0))
    enterprise.goto(f"/service/conversations/{pk}/")
    box = enterprise.locator("[data-desk-chat][data-conversation-id]")  # the page's chat, not the panel
    dialogs: list[str] = []
    seat.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    enterprise.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    box.locator("#chat-text").fill("<img src=x onerror=alert(1)><script>alert(2)</script>")
    box.locator("[data-desk-send] button[type=submit]").click()
    expect(seat.locator(".desk-enterprise").last).to_contain_text("<img src=x onerror=alert(1)>", timeout=15_000)
    expect(seat.locator("[data-desk-log] img")).to_have_count(0)
    box.locator("[data-desk-file]").set_input_files(files=[{
        "name": "营业执照.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64}])
    expect(box.locator(".desk-file-link").last).to_contain_text("营业执照.png", timeout=15_000)
    link = seat.locator(".desk-file-link").last
    expect(link).to_contain_text("营业执照.png", timeout=15_000)
    assert re.match(r"^/service/attachments/\d+/$", link.get_attribute("href") or "")
    box.locator("[data-desk-file]").set_input_files(files=[{
        "name": "合同.pdf", "mimeType": "application/pdf", "buffer": b"<html><script>alert(3)</script></html>"}])
    expect(box.locator("[data-desk-state]")).to_contain_text("文件内容", timeout=15_000)  # refused: why
    assert not dialogs

    found: list[str] = []
    supervisor.goto(f"/service/conversations/{pk}/")
    _axe(supervisor, f"/service/conversations/{pk}/ (supervisor)", found)
    assert not found, "\n".join(found)
