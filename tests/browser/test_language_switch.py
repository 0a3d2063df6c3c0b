"""The header's language button: English labels, then back to Chinese."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_language_button_switches_the_site_to_english_and_back_to_chinese(
    page: Any, shot: Any, zh_compiled: bool, cjk: Any,
) -> None:
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-CN")
    switch = page.locator("header form.lang button")
    expect(switch).to_have_text("English")

    switch.click()
    expect(html).to_have_attribute("lang", "en")
    # Source strings are English, so these hold whether or not translations are compiled.
    expect(page.locator("header nav a[href='/matters/']")).to_have_text("Matters")
    expect(page.get_by_role("heading", name="Six boards")).to_be_visible()
    expect(page.locator("header a[href='/accounts/login/']")).to_have_text("Log in")
    expect(switch).to_have_text("简体中文")
    assert urlparse(page.url).path == "/", page.url  # `next` brought us back to the same page
    shot(page, "home_in_english")

    switch.click()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(switch).to_have_text("English")
    shot(page, "home_back_in_chinese")
    if not zh_compiled:
        pytest.xfail("qinqing/locale/zh_Hans/LC_MESSAGES/django.mo is not compiled yet: labels stay English")
    matters_link = page.locator("header nav a[href='/matters/']").inner_text()
    assert cjk(matters_link) and matters_link != "Matters", matters_link
    heading = page.locator("main h2").nth(1).inner_text()
    assert cjk(heading) and heading != "Six boards", heading
    assert cjk(page.locator("header a[href='/accounts/login/']").inner_text())
