"""Every main page on a 390×844 phone and a 1366×900 laptop: no sideways scrolling, nothing squeezed,
a one-row header on the laptop and a menu button on the phone; and the admin pages through axe.

Screenshots land in test-artifacts/ (phone_* and desktop_*), to be looked at, not only asserted on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
SOCIAL = "social-insurance-housing-fund"
INDUSTRIAL = "industrial-project"
NEW_ENTERPRISE = 5
MANUFACTURER = 1
BLOCKING = {"serious", "critical"}

# Measured in the page: sideways overflow, the header's height, cells squeezed narrower than a few
# characters, and single-line controls (the log-out button) broken over two lines.
MEASURE = """() => {
  const doc = document.documentElement;
  const header = document.querySelector("header.top .top-inner");
  const cells = [...document.querySelectorAll("main td")].filter(c => c.offsetParent !== null
      && c.textContent.trim().length > 1).map(c => [c.getBoundingClientRect().width, c.textContent.trim().slice(0, 30)]);
  const logout = [...document.querySelectorAll("header form button.link")].filter(b => b.offsetParent !== null)
      .map(b => [b.getBoundingClientRect().height, parseFloat(getComputedStyle(b).lineHeight) || 24]);
  const wide = [...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
      && getComputedStyle(e).position !== "absolute" && e.offsetParent !== null)
      .slice(0, 3).map(e => e.tagName + "." + e.className + " " + (e.textContent || "").trim().slice(0, 30));
  return {scroll: doc.scrollWidth, inner: window.innerWidth, header: header ? header.getBoundingClientRect().height : 0,
          cells: cells, logout: logout, wide: wide};
}"""


class Walk:
    """Visit pages at one viewport; collect every problem for one report at the end."""

    def __init__(self, page: Any, viewport: str, shot: Callable[[Any, str], Any]) -> None:
        self.page, self.viewport, self.shot = page, viewport, shot
        self.problems: list[str] = []

    def visit(self, name: str, url: str, *selectors: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("load")
        self.check(name, *selectors)

    def check(self, name: str, *selectors: str) -> None:
        page = self.page
        self.shot(page, f"{self.viewport}_{name}")
        m = page.evaluate(MEASURE)
        where = f"[{self.viewport} {name}] {page.url}"
        if m["scroll"] > m["inner"]:
            self.problems.append(f"{where}: {m['scroll']} px wide in a {m['inner']} px window; e.g. {m['wide']}")
        if self.viewport == "desktop" and m["header"] > 80:
            self.problems.append(f"{where}: the header wraps ({m['header']:.0f} px high)")
        if self.viewport == "phone" and m["header"] > 80:
            self.problems.append(f"{where}: the folded header is {m['header']:.0f} px high")
        squeezed = [text for width, text in m["cells"] if width < 60]
        if squeezed:
            self.problems.append(f"{where}: table cells squeezed: {squeezed[:3]}")
        broken = [h for h, line in m["logout"] if h > 2 * line]
        if broken:
            self.problems.append(f"{where}: the log-out button breaks over two lines")
        for selector in ("main h1", *selectors):
            if not page.locator(selector).first.is_visible():
                self.problems.append(f"{where}: {selector} is not visible")
        if self.viewport == "phone":
            self.check_menu(where)

    def check_menu(self, where: str) -> None:
        page = self.page
        toggle = page.locator(".menu-toggle")
        if not toggle.is_visible():
            self.problems.append(f"{where}: no menu button on the phone")
            return
        if page.locator("#site-menu nav").is_visible():
            self.problems.append(f"{where}: the menu is open before it is asked for")
        toggle.click()
        if toggle.get_attribute("aria-expanded") != "true" or not page.locator("#site-menu nav").is_visible():
            self.problems.append(f"{where}: the menu button does not open the menu")
        m = page.evaluate(MEASURE)
        if [h for h, line in m["logout"] if h > 2 * line]:
            self.problems.append(f"{where}: the log-out button breaks over two lines in the menu")
        if m["scroll"] > m["inner"]:
            self.problems.append(f"{where}: the open menu is wider than the window")
        toggle.click()

    def report(self) -> str:
        return "\n".join(self.problems)


def _login(page: Any, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/login/" not in page.url, page.inner_text("main")[:300]


@pytest.fixture(scope="module")
def social_progress(api: Any, demo: Any) -> int:
    """The new enterprise's 五险一金, submitted through the API: the progress page to look at."""
    client = api(demo.uscc(NEW_ENTERPRISE))
    schema = client.get(f"/bundles/{SOCIAL}")
    held = client.get(f"/bundles/{SOCIAL}/prefill")["data"]
    from test_bundles import api_data  # the same sensible values the bundle journeys use

    response = client.post(f"/bundles/{SOCIAL}/submissions", {"data": api_data(schema, held)},
                           **{"Idempotency-Key": uuid.uuid4().hex})
    if response.status_code == 409:  # registered already by another browser test: look at that one
        return int(response.json()["existing"]["id"])
    assert response.status_code in (200, 201), response.text[:500]
    return int(response.json()["id"])


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_main_page_fits_the_screen(
    viewport: str, new_context: Any, approvable: Any, referable: Any, social_progress: int, demo: Any,
    shot: Any,
) -> None:
    from conftest import PASSWORD

    size = VIEWPORTS[viewport]
    walks: list[Walk] = []

    def walk(who: str | None) -> Walk:
        page = new_context(viewport=size).new_page()
        if who:
            _login(page, who, PASSWORD)
        w = Walk(page, viewport, shot)
        walks.append(w)
        return w

    public = walk(None)
    public.visit("home", "/", ".hero")
    public.visit("matter_list", "/matters/", "main table")
    public.visit("matter_guide", f"/matters/{approvable.code}/")
    public.visit("bundle_guide", f"/bundles/{INDUSTRIAL}/", ".dag")
    public.visit("not_found", "/matters/NO-SUCH-MATTER/", ".error-page")

    company = walk(demo.uscc(0))
    company.visit("home_enterprise", "/", ".hero")
    company.visit("apply_form", f"/apply/{approvable.code}/", "main form button[type=submit]")
    company.visit("my_cases", "/cases/", "main table")
    company.visit("case_page", f"/cases/{approvable.case['id']}/", "#outcome")
    company.visit("licences", "/licences/", "main table")
    company.visit("data_page", "/my/data/")
    company.visit("authorisations", "/my/authorisations/", "main table")
    company.visit("inbox", "/inbox/")

    manufacturer = walk(demo.uscc(MANUFACTURER))
    manufacturer.visit("bundle_form", f"/bundles/{INDUSTRIAL}/apply/", "#submit-bundle")

    newcomer = walk(demo.uscc(NEW_ENTERPRISE))
    newcomer.visit("bundle_progress", f"/bundles/cases/{social_progress}/", "progress")

    reviewer = walk(demo.reviewer(referable.department))
    reviewer.visit("reviewer_workbench", "/review/", "main table")
    reviewer.visit("reviewer_case", f"/cases/{referable.case['id']}/", "#outcome")
    reviewer.visit("forbidden", f"/apply/{approvable.code}/", ".error-page")

    agent = walk("fgw_agent")
    agent.visit("agent_workbench", "/agent/", "main table")

    problems = "\n".join(w.report() for w in walks if w.problems)
    assert not problems, problems


def test_the_admin_pages_have_no_serious_axe_violations(new_context: Any, shot: Any) -> None:
    """The admin as an administrator uses it: the index, the bundle editor, the matter editor, lists."""
    from conftest import PASSWORD

    page = new_context(viewport=VIEWPORTS["desktop"]).new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    axe = Axe()
    found: list[str] = []
    urls = ["/admin/", "/admin/bundles/bundle/", "/admin/catalog/matter/", "/admin/cases/case/",
            "/admin/audit/auditrecord/", "/admin/accounts/loginattempt/", "/admin/rules/ruleset/"]
    for list_url in ["/admin/bundles/bundle/", "/admin/catalog/matter/", "/admin/rules/ruleset/"]:
        page.goto(list_url)
        first = page.locator("#result_list tbody tr th a").first
        if first.count():
            urls.append(first.get_attribute("href"))
    for url in urls:
        page.goto(url)
        page.wait_for_load_state("load")
        shot(page, "admin_" + url.strip("/").replace("/", "_"))
        for violation in axe.run(page).response["violations"]:
            if violation.get("impact") in BLOCKING:
                targets = [" ".join(map(str, n.get("target", []))) for n in violation["nodes"][:3]]
                found.append(f"{url}: {violation['id']} ({violation['impact']}) ×{len(violation['nodes'])} {targets}")
    assert not found, "\n".join(found)


def test_the_merged_form_keeps_values_agent_and_files_across_an_error_and_the_language_switch(
    new_context: Any, api: Any, demo: Any, shot: Any,
) -> None:
    """On a phone: a wrong field, then the language button; nothing typed, chosen or attached is lost."""
    from test_bundles import AGENT_NAME, LAND_CONTRACT, LAND_CONTRACT_FILE, SMALL_PDF, fill_merged_form

    from conftest import PASSWORD

    schema = api(None).get(f"/bundles/{INDUSTRIAL}")
    page = new_context(viewport=VIEWPORTS["phone"]).new_page()
    _login(page, demo.uscc(MANUFACTURER), PASSWORD)
    page.goto(f"/bundles/{INDUSTRIAL}/apply/")
    fill_merged_form(page, schema, {"project_name": "年产500万台智能终端生产基地项目"})
    quantity = page.locator("#f-project_name")
    page.locator(f"#m-{LAND_CONTRACT}").set_input_files(
        files=[{"name": LAND_CONTRACT_FILE, "mimeType": "application/pdf", "buffer": SMALL_PDF}])
    agent_select = page.locator("#f-agent")
    agent_value = agent_select.locator("option", has_text=AGENT_NAME).get_attribute("value")
    agent_select.select_option(agent_value)
    long_name = "厂" * 12_000
    quantity.fill(long_name)
    with page.expect_navigation():
        page.locator("#submit-bundle").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "项目名称" in summary.inner_text()
    assert agent_select.input_value() == agent_value, "the agent choice is kept"
    assert page.locator(f"#k-{LAND_CONTRACT}").is_visible(), "the accepted contract is shown as attached"
    shot(page, "phone_bundle_form_error")

    quantity.fill("年产500万台智能终端生产基地项目（二期）")
    page.locator(".menu-toggle").click()
    with page.expect_navigation():
        page.locator("header form.lang button").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#f-project_name").input_value() == "年产500万台智能终端生产基地项目（二期）"
    assert page.locator(f"#k-{LAND_CONTRACT}").is_visible(), "the attached contract survives the language switch"
    shot(page, "phone_bundle_form_after_language_switch")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
