"""亲清驾驶舱 pages in the browser: a 浦沿 official drills from the street down to a unit and back (links, the
treemap, breadcrumb and browser back), the big screen renders Chinese and refreshes in place, the export
downloads; every request stays on the test server; axe and no overflow at 1366 px and 390 px.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.browser.conftest import OVERFLOW, audit_page, has_cjk

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREEN = {"width": 1920, "height": 1080}
PUYAN = "330108003"


class Watch:
    """Every request a context makes, and every CSP violation its pages report."""

    def __init__(self, context: Any) -> None:
        self.requests: list[str] = []
        self.violations: list[str] = []
        context.on("request", lambda request: self.requests.append(request.url))
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.warn('CSP-VIOLATION', "
            "e.violatedDirective, e.sourceFile))")
        context.on("console", lambda m: self.violations.append(m.text) if "CSP-VIOLATION" in m.text else None)

    def outside(self, server_url: str) -> list[str]:
        return [url for url in self.requests if not url.startswith(server_url + "/") and not url.startswith("data:")]

    def unexpected_violations(self) -> list[str]:
        # The one refusal expected: plotly.js's bundle injects the stylesheet of its map traces (maplibre) as an
        # inline <style> when it loads; the cockpit draws no maps, and its own rules come from cockpit/plotly.css.
        return [v for v in self.violations if not ("style-src-elem" in v and "plotly.min.js" in v)]




def _charts_drawn(page: Any) -> None:
    page.wait_for_function("() => document.documentElement.dataset.chartsDrawn === 'yes'")


def _first_child_with_enterprises(page: Any) -> tuple[str, str]:
    rows = page.locator("section[aria-labelledby=children-h] tbody tr")
    for i in range(rows.count()):
        if rows.nth(i).locator("td").nth(2).inner_text().strip() not in ("", "0"):
            link = rows.nth(i).locator("td").first.locator("a")
            return link.inner_text().strip(), str(link.get_attribute("href"))
    raise AssertionError(f"no area with enterprises below {page.url}")


def _open_a_child_with_enterprises(page: Any) -> None:
    """Click the first area below that holds an enterprise (the first area when none does)."""
    rows = page.locator("section[aria-labelledby=children-h] tbody tr")
    assert rows.count() > 0, f"no area below {page.url}"
    chosen = rows.first
    for i in range(rows.count()):
        if rows.nth(i).locator("td").nth(2).inner_text().strip() not in ("", "0"):
            chosen = rows.nth(i)
            break
    with page.expect_navigation():
        chosen.locator("td").first.locator("a").click()


def test_a_puyan_official_drills_from_the_street_to_a_unit_and_back(
    new_context: Any, login: Any, shot: Any, server_url: str,
) -> None:
    context = new_context(viewport=DESKTOP)
    watch = Watch(context)
    page = context.new_page()
    login(page, "puyan_staff")
    # The header of street staff holds 驾驶舱, and still fits 1366 px.
    assert page.evaluate("() => document.querySelector('header.top').scrollWidth") <= DESKTOP["width"]
    page.get_by_role("link", name="驾驶舱", exact=True).click()
    page.wait_for_url(f"**/cockpit/{PUYAN}/")
    _charts_drawn(page)
    problems = audit_page(page, "cockpit_web_street", shot)
    assert "浦沿街道" in page.inner_text("h1") and "关键指标" in page.inner_text("main")

    # The treemap navigates: a click on an area's tile (its top-left corner, above the tiles nested in it) opens
    # that area's own page, never a zoom in place.
    name, href = _first_child_with_enterprises(page)
    tile = page.locator("[data-chart=treemap] g.slice").filter(has_text=name).first.locator("path.surface")
    tile.click(position={"x": 6, "y": 6})
    page.wait_for_url(f"**{href}")
    community_url = page.url
    assert "浦沿街道" in page.inner_text("nav.crumbs") and name in page.inner_text("h1")
    page.go_back()
    page.wait_for_url(f"**/cockpit/{PUYAN}/")

    # Down by the table's links: community → building → floor → unit, each its own URL.
    visited = [page.url]
    for _level in ("community", "building", "floor", "unit"):
        _open_a_child_with_enterprises(page)
        assert page.url != visited[-1]
        visited.append(page.url)
    _charts_drawn(page)
    problems += audit_page(page, "cockpit_web_unit", shot)
    main = page.inner_text("main")
    assert "已是最小单元" in main and "室" in page.inner_text("h1")
    crumbs = page.locator("nav.crumbs li")
    assert crumbs.count() >= 7  # 杭州市 › 滨江区 › 浦沿街道 › 社区 › 楼宇 › 楼层 › 单元

    # Back up: browser back returns to the floor, the breadcrumb to the street.
    page.go_back()
    page.wait_for_url(visited[-2])
    assert "楼层" in page.inner_text("h1 small") or "层" in page.inner_text("h1")
    problems += audit_page(page, "cockpit_web_floor", shot)
    page.locator("nav.crumbs").get_by_role("link", name="浦沿街道").click()
    page.wait_for_url(f"**/cockpit/{PUYAN}/")
    assert community_url.startswith(server_url)

    assert not watch.outside(server_url), f"requests left the test server: {watch.outside(server_url)}"
    assert any(url.endswith("/static/cockpit/vendor/plotly.min.js") for url in watch.requests)
    assert not watch.unexpected_violations(), watch.unexpected_violations()
    assert not problems, "\n".join(problems)


def test_the_building_economy_module_steps_down_from_buildings(new_context: Any, login: Any) -> None:
    page = new_context(viewport=DESKTOP).new_page()
    login(page, "puyan_staff")
    page.goto(f"/cockpit/{PUYAN}/")
    module = page.locator("#module-puyan-building-economy")
    assert "楼宇经济" in module.inner_text() and "入驻率（%）" in module.inner_text()
    module.locator("tbody a").first.click()
    page.wait_for_load_state("load")
    assert "楼层" in page.locator("#module-puyan-building-economy").inner_text() or "层" in page.locator(
        "#module-puyan-building-economy tbody").inner_text()


def test_the_big_screen_renders_chinese_and_refreshes_in_place(
    new_context: Any, login: Any, shot: Any, server_url: str,
) -> None:
    context = new_context(viewport=SCREEN)
    watch = Watch(context)
    page = context.new_page()
    login(page, "puyan_staff")
    page.goto(f"/cockpit/{PUYAN}/screen/?refresh=5")
    _charts_drawn(page)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3")
    text = page.inner_text("body")
    assert has_cjk(text) and "亲清驾驶舱" in text and "预警动态" in text
    assert page.evaluate("() => document.fonts.check('20px \"Noto Sans CJK SC\"')")
    assert page.evaluate(OVERFLOW) <= 0
    assert page.evaluate("() => document.documentElement.scrollHeight") <= SCREEN["height"]  # one screen, no scrolling
    # Dark: the page's background is darker than its text.
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(11, 20, 38)"
    page.evaluate("() => { document.querySelector('[data-key=enterprises]').dataset.kept = 'yes'; }")
    page.wait_for_function("() => Number(document.body.dataset.refreshed || 0) >= 1", timeout=20_000)
    # Refreshed without reloading: the same card element is still there, its figure in place.
    assert page.evaluate("() => document.querySelector('[data-key=enterprises]').dataset.kept") == "yes"
    assert not page.evaluate("() => document.body.dataset.refreshFailed")
    # The service desk's card is on the wall too: eight figures, each with its unit, inside the panel.
    desk = page.locator("[aria-labelledby=s-desk] .desk-figures li")
    assert desk.count() == 8 and "亲清D小二" in page.inner_text("[aria-labelledby=s-desk] h2")
    assert all(desk.nth(i).locator(".unit").inner_text().strip() for i in range(8))
    assert page.evaluate("() => { const p = document.querySelector('[aria-labelledby=s-desk]').getBoundingClientRect();"
                         " return [...document.querySelectorAll('.desk-figures li')].every(li => "
                         "li.getBoundingClientRect().bottom <= p.bottom && li.getBoundingClientRect().right <= p.right); }")
    # The alert feed holds whole lines only (a long name cut by an ellipsis), inside its panel; what does not fit is counted and linked ("另有N条预警").
    feed = page.evaluate("() => { const p = document.querySelector('[aria-labelledby=s-feed]').getBoundingClientRect();"
                         " const ul = document.getElementById('screen-feed').getBoundingClientRect();"
                         " const more = document.getElementById('screen-feed-more');"
                         " return {items: [...document.querySelectorAll('#screen-feed li')].map(li => {"
                         " const r = li.getBoundingClientRect(); return r.bottom <= Math.min(p.bottom, ul.bottom) + 0.5"
                         "; }),"
                         " more: more.hidden ? '' : more.innerText, moreInside: more.getBoundingClientRect().bottom"
                         " <= p.bottom + 0.5}; }")
    assert feed["items"] and all(feed["items"]), feed
    data = page.evaluate("() => fetch(document.body.dataset.refreshUrl).then(r => r.json())")
    if data["alerts_more"]:
        assert feed["more"] == f"另有{data['alerts_more']}条预警" and feed["moreInside"], feed
    # The industry bars stay few enough to read: the largest five and one bar for the rest.
    assert page.evaluate("() => JSON.parse(document.getElementById('cockpit-charts').textContent).industry.length") <= 6
    path = shot(page, "cockpit_web_big_screen")
    assert path.stat().st_size > 50_000
    problems = audit_page(page, "cockpit_web_big_screen", shot)
    assert not watch.outside(server_url), watch.outside(server_url)
    assert not watch.unexpected_violations(), watch.unexpected_violations()
    assert not problems, "\n".join(problems)


def test_the_export_downloads_with_the_streets_tables(new_context: Any, login: Any) -> None:
    from openpyxl import load_workbook

    page = new_context(viewport=DESKTOP).new_page()
    login(page, "puyan_staff")
    page.goto(f"/cockpit/{PUYAN}/")
    with page.expect_download() as caught:
        page.locator(f"a[href=\"/cockpit/{PUYAN}/export.xlsx\"]").click()
    download = caught.value
    assert download.suggested_filename.startswith(f"cockpit-{PUYAN}-all-")
    book = load_workbook(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    assert book.sheetnames == ["汇总", "下级区域", "企业名录", "分政策兑付", "预警", "亲清D小二服务（近30天）"]
    assert book["汇总"]["B1"].value == f"浦沿街道（{PUYAN}）"


def test_the_street_page_fits_a_phone_and_switches_to_english(new_context: Any, login: Any, shot: Any) -> None:
    page = new_context(viewport=PHONE).new_page()
    login(page, "puyan_staff")
    page.goto(f"/cockpit/{PUYAN}/")
    _charts_drawn(page)
    problems = audit_page(page, "cockpit_web_street_phone", shot)
    page.goto(f"/cockpit/{PUYAN}/screen/")  # the big screen is for a wall: its own 1920 px layout
    page.goto(f"/cockpit/{PUYAN}/")
    menu = page.locator(".menu-toggle")
    if menu.is_visible():
        menu.click()
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("load")
    assert "Key figures" in page.inner_text("main") and "Alert feed" in page.inner_text("main")
    assert not problems, "\n".join(problems)


SHOWN = 8  # board.CHILDREN_SHOWN: the areas a page lists before "show all"


def test_a_grid_worker_reads_the_street_on_a_phone(new_context: Any, login: Any, shot: Any) -> None:
    """390 × 844: the areas below are cut to the first few (the rest one tap away), each a compact card; the chart
    sections are folded; the desk card is there; nothing is wider than the phone, and axe passes both ways."""
    page = new_context(viewport=PHONE).new_page()
    login(page, "puyan_staff")
    page.goto(f"/cockpit/{PUYAN}/")
    _charts_drawn(page)
    problems = audit_page(page, "cockpit_phone_folded", shot)
    areas = page.locator("section[aria-labelledby=children-h]")
    listed = areas.locator(":scope > .table-scroll tbody tr:not(.unplaced)")
    more = areas.locator("details.more-areas")
    total = listed.count() + more.locator("tbody tr").count()
    assert total > SHOWN, "浦沿 has more communities than a phone lists at once"
    assert listed.count() == SHOWN and all(listed.nth(i).is_visible() for i in range(SHOWN))
    assert more.get_attribute("open") is None and not more.locator("tbody tr").first.is_visible()
    counts = [int(listed.nth(i).locator("td").nth(2).inner_text().split()[-1]) for i in range(SHOWN)]
    assert counts == sorted(counts, reverse=True), "the areas with the most enterprises first"
    # An area's card: its name over its figures, two by two; not a six-line card per area.
    first = listed.first.bounding_box()
    assert first is not None and first["height"] < 4 * listed.first.locator("td").first.bounding_box()["height"]
    # Each figure of a compact area row is labelled with its unit (the column headers are hidden on a phone).
    shown = listed.first.evaluate("tr => [...tr.querySelectorAll('td.num')].map("
                                  "td => getComputedStyle(td, '::before').content)")
    assert shown == ['"企业数（家）"', '"近30天新设（家）"', '"兑付金额（元）"', '"未处置预警（条）"'], shown
    folds = page.locator("details.fold")
    assert folds.count() >= 2 and all(folds.nth(i).get_attribute("open") is None for i in range(folds.count()))
    assert page.locator("[aria-labelledby=desk-h] .stat").count() == 7
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 6 * PHONE["height"], f"the folded street page is {height} px tall"

    more.locator("summary").click()
    assert more.locator("tbody tr").count() == total - SHOWN and more.locator("tbody tr").last.is_visible()
    for i in range(folds.count()):
        folds.nth(i).locator("summary").click()
    page.wait_for_function("() => [...document.querySelectorAll('details.fold .js-plotly-plot')]"
                           ".every(el => el.getBoundingClientRect().width > 0)")
    widths = page.evaluate("[...document.querySelectorAll('details.fold .js-plotly-plot')]"
                           ".map(el => el.getBoundingClientRect().right)")
    assert widths and max(widths) <= PHONE["width"], widths
    problems += audit_page(page, "cockpit_phone_unfolded", shot)
    # A street module's figures, stacked on the phone, each under its column's name and unit.
    cells = page.locator(".module-table tbody tr").first.evaluate(
        "tr => [...tr.querySelectorAll('td.num')].map(td => getComputedStyle(td, '::before').content)")
    assert cells and all("（" in c and "）" in c for c in cells), cells
    # The roster opens an enterprise's portrait, inside the viewer's scope.
    roster = page.locator("section[aria-labelledby=roster-h] tbody a").first
    name = roster.inner_text().strip()
    roster.click()
    page.wait_for_load_state("load")
    assert "/cockpit/enterprises/" in page.url and name in page.inner_text("h1")
    assert not problems, "\n".join(problems)


def test_the_desk_card_stays_with_the_drill_down(new_context: Any, login: Any) -> None:
    page = new_context(viewport=DESKTOP).new_page()
    login(page, "puyan_staff")
    page.goto(f"/cockpit/{PUYAN}/")
    card = page.locator("section[aria-labelledby=desk-h]")
    assert "亲清D小二" in card.inner_text() and card.locator(".stat").count() == 7
    levels = card.locator(".levels li")
    if levels.count():
        assert [levels.nth(i).locator(".label").inner_text() for i in range(5)] == [
            "非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    _open_a_child_with_enterprises(page)
    assert page.locator("section[aria-labelledby=desk-h] .stat").count() == 7


def test_another_streets_cockpit_is_not_found(new_context: Any, login: Any) -> None:
    page = new_context(viewport=DESKTOP).new_page()
    login(page, "changhe_staff")
    assert page.goto("/cockpit/330108001/").status == 404
    assert page.goto("/cockpit/330108001/screen/").status == 404
    assert page.goto("/cockpit/330108002/").status == 200
