"""Policies in a real chromium: an officer builds, simulates and publishes; the enterprise is told and paid.

One story through the pages (no API shortcuts for what a person does): the officer builds a 免申即享
policy with the condition builder (rows, live count), simulates it and publishes it; the enterprise
sees it under 为我推荐 and in its inbox and the payout on its payouts page; a 即申即享 claim is paid in
the request; the officer reverses a payout (a new ledger entry) and the enterprise sees the reversal.
axe checks every policy page; screenshots at 1366 and 390 px go to test-artifacts/.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
WIDTHS = (1366, 390)


class Audit:
    """axe on each page at both widths; screenshots of each."""

    def __init__(self, shot: Any) -> None:
        self.axe, self.shot, self.found = Axe(), shot, []  # type: ignore[var-annotated]

    def check(self, page: Any, name: str) -> None:
        page.wait_for_load_state("load")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            self.shot(page, f"policies_{name}_{width}")
        page.set_viewport_size({"width": 1366, "height": 900})
        for violation in self.axe.run(page).response["violations"]:
            if violation.get("impact") in BLOCKING:
                targets = [" ".join(map(str, n.get("target", []))) for n in violation["nodes"][:3]]
                self.found.append(f"[{name}] {page.url} {violation['id']}: {violation['help']} {targets}")


def _click(page: Any, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def test_officer_builds_simulates_publishes_and_the_enterprise_is_told_and_paid_then_a_reversal(
    new_context: Any, demo: Any, login: Any, shot: Any,
) -> None:
    audit = Audit(shot)
    title = f"浏览器测试：新招用高校毕业生补贴{uuid.uuid4().hex[:4]}"

    # The officer builds the policy from rows; the live count follows the edits.
    officer = new_context(viewport={"width": 1366, "height": 900}).new_page()
    login(officer, "rsj_officer")
    officer.goto("/policies/manage/")
    audit.check(officer, "manage")
    officer.goto("/policies/manage/new/")
    officer.fill("#p-title", title)
    officer.fill("#p-doc", "杭人社发〔2026〕77号")
    officer.select_option("#p-region", "330100")
    officer.fill("#p-from", "2026-01-01")
    officer.fill("#p-until", "2026-12-31")
    officer.select_option("#p-mode", "automatic")
    officer.fill("#p-budget", "200000")
    count = officer.locator("#live-count")
    officer.select_option("select[name=fact_0]", "registry.status")
    officer.select_option("select[name=op_0]", "in")
    officer.fill("input[name=value_0]", "存续,在业")
    officer.locator("input[name=value_0]").dispatch_event("change")
    expect(count).to_have_text(re.compile(r"区域内有 \d+ 家企业满足这些条件"))
    everyone = int(re.search(r"\d+", count.inner_text()).group())  # type: ignore[union-attr]
    officer.select_option("select[name=fact_1]", "annual.graduates_hired")
    officer.select_option("select[name=op_1]", ">=")
    officer.fill("input[name=value_1]", "10")
    officer.locator("input[name=value_1]").dispatch_event("change")
    expect(count).to_have_text(re.compile(rf"区域内有 (?!{everyone} )\d+ 家企业满足这些条件"))
    narrowed = int(re.search(r"\d+", count.inner_text()).group())  # type: ignore[union-attr]
    assert 0 < narrowed < everyone, (narrowed, everyone)
    officer.select_option("#p-afact", "annual.graduates_hired")
    officer.fill("#p-factor", "1000")
    officer.fill("#p-cap", "10000")
    officer.fill("#p-atext", "每招用1名高校毕业生补贴1000元，最高1万元")
    officer.fill("#p-clause", "《关于做好高校毕业生就业工作的通知》第三条")
    audit.check(officer, "new")
    _click(officer, officer.locator("form.policy-form button", has_text="保存"))
    assert re.search(r"/policies/manage/[\w-]+/$", officer.url), officer.url
    detail = officer.url
    audit.check(officer, "manage_detail")

    # Simulate, then publish from the simulation.
    _click(officer, officer.get_by_role("button", name="模拟测算"))
    expect(officer.locator("#sim-count")).to_have_text(str(narrowed))
    audit.check(officer, "simulation")
    _click(officer, officer.get_by_role("button", name="发布"))
    officer.goto(detail)
    expect(officer.locator("h1 .tag")).to_have_text("已发布")

    # The enterprise (demo 0 hired 12 graduates) is told and paid without doing anything.
    firm = new_context(viewport={"width": 1366, "height": 900}).new_page()
    login(firm, demo.uscc(0))
    firm.goto("/policies/for-me/")
    card = firm.locator("section.policy-match", has_text=title)
    expect(card).to_contain_text("¥10,000.00")
    expect(card).to_contain_text("当年新招用高校毕业生")
    audit.check(firm, "for_me")
    firm.goto("/inbox/")
    expect(firm.locator("main")).to_contain_text(title)
    firm.goto("/policies/payouts/")
    row = firm.locator("tbody tr", has_text=title)
    expect(row).to_contain_text("¥10,000.00")
    expect(row.locator(".payout-status")).to_contain_text("已到账")
    reference = row.locator(".muted").first.inner_text().split("·")[0].strip()
    audit.check(firm, "payouts")
    firm.goto("/policies/account/")
    expect(firm.locator("main")).to_contain_text("*")  # the account number masked
    audit.check(firm, "account")

    # A 即申即享 claim: verified against the data and paid in the same request.
    firm.goto("/policies/")
    audit.check(firm, "index")
    instant = None
    for href in firm.locator("main a[href^='/policies/']").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        if not re.fullmatch(r"/policies/[\w-]+/", href) or href in {"/policies/for-me/", "/policies/payouts/",
                                                                        "/policies/account/", "/policies/manage/"}:
            continue
        firm.goto(href)
        button = firm.get_by_role("button", name="立即申请（即时到账）")
        if button.count():
            instant = href
            break
    assert instant is not None, "demo enterprise 0 qualifies for a published 即申即享 policy it has not claimed"
    audit.check(firm, "detail")
    _click(firm, firm.get_by_role("button", name="立即申请（即时到账）"))
    expect(firm.locator("main")).to_contain_text(re.compile("已到账|已发送银行"))

    # The officer reverses the 免申即享 payout: a new ledger entry, shown to the enterprise.
    officer.goto(detail + "payouts/")
    audit.check(officer, "manage_payouts")
    mine = officer.locator("tbody tr", has_text=reference)
    expect(mine.locator(".payout-status")).to_have_text("已到账")
    mine.locator("input[name=reason]").fill("银行退票，重新核对账户后另行拨付")
    _click(officer, mine.get_by_role("button", name=re.compile("冲正")))
    expect(officer.locator("[role=status], .messages, main").first).to_contain_text("已冲正")
    mine = officer.locator("tbody tr", has_text=reference)
    expect(mine.locator(".payout-status")).to_have_text("已冲正")
    expect(mine.locator(".ledger-reversal")).to_contain_text("¥10,000.00")
    firm.goto("/policies/payouts/")
    row = firm.locator("tbody tr", has_text=reference)
    expect(row.locator(".payout-status")).to_contain_text("已冲正")
    expect(row.locator(".ledger-reversal")).to_contain_text("银行退票，重新核对账户后另行拨付")
    assert not audit.found, "axe found serious/critical violations:\n" + "\n".join(audit.found)
