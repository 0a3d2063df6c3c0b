"""Issue 8 in a real chromium: each user lands on their own desk; Back and submit again replays the first case."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _submit(page: Any) -> Any:
    with page.expect_navigation() as navigation:
        page.locator("main form button[type=submit]").click()
    return navigation.value


def test_enterprise_lands_on_my_desk_and_reviewer_on_the_workbench(
    new_context: Any, demo: Any, login: Any, shot: Any, approvable: Any,
) -> None:
    page = new_context().new_page()
    login(page, demo.uscc(0))
    assert page.url.endswith("/my/"), page.url
    expect(page.locator("h1")).to_have_text(re.compile("我的办事|My desk"))
    shot(page, "enterprise_desk")
    reviewer = new_context().new_page()
    login(reviewer, demo.reviewer(approvable.department))
    assert reviewer.url.endswith("/review/"), reviewer.url


def test_back_after_submitting_and_submitting_again_replays_the_first_case(
    new_context: Any, demo: Any, login: Any, approvable: Any, fill_apply_form: Any,
) -> None:
    page = new_context().new_page()
    login(page, demo.uscc(0))
    page.goto(f"/apply/{approvable.code}/")
    fill_apply_form(page, approvable)
    assert _submit(page).status == 200
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    first = page.url

    page.go_back()
    page.wait_for_url(f"**/apply/{approvable.code}/")
    page.locator("main form button[type=submit]").wait_for()
    fill_apply_form(page, approvable)  # the form may come back empty; the person fills it in again
    assert _submit(page).status == 200
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    assert page.url == first, "the same rendering of the form answers the case it already created"


def test_the_new_account_pages_and_the_desk_have_no_serious_axe_violations(
    new_context: Any, demo: Any, login: Any, shot: Any,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: list[str] = []
    visitor = new_context().new_page()
    enterprise = new_context().new_page()
    login(enterprise, demo.uscc(0))
    pages = [(visitor, "/accounts/signup/"), (visitor, "/accounts/password/forgot/"),
             (visitor, "/accounts/password/reset/"), (enterprise, "/my/"), (enterprise, "/accounts/password/change/")]
    for page, url in pages:
        page.goto(url)
        page.wait_for_load_state("load")
        shot(page, "a11y_i8desk_" + url.strip("/").replace("/", "_"))
        for violation in axe.run(page).response["violations"]:
            if violation.get("impact") in {"serious", "critical"}:
                targets = [" ".join(map(str, n.get("target", []))) for n in violation["nodes"][:3]]
                found.append(f"{url}: {violation['id']} {violation['help']} {targets}")
    assert not found, "\n".join(found)
