"""An enterprise's and a reviewer's main journeys, driven through a real chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SOURCE_NAME = "市场监管主体登记库"  # the demo registry's name, shown next to every prefilled value
SUPPLEMENT_FILE = "补正材料.pdf"
# A small but well-formed one-page PDF: the upload check sniffs the %PDF- signature.
SMALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n165\n%%EOF\n"
)


def _submit(page: Any) -> Any:
    """Press the apply page's submit button; return the response of the resulting navigation."""
    with page.expect_navigation() as navigation:
        page.locator("main form button[type=submit]").click()
    return navigation.value


def test_enterprise_applies_for_automatic_matter_and_downloads_a_licence_that_verifies(
    new_context: Any, approvable: Any, demo: Any, login: Any, shot: Any, fill_apply_form: Any,
) -> None:
    page = new_context().new_page()
    login(page, demo.uscc(0))

    page.goto(f"/matters/{approvable.code}/")
    expect(page.locator("h1")).to_contain_text(approvable.matter["name"])
    page.locator(f"a.button[href='/apply/{approvable.code}/']").click()
    page.wait_for_url(f"**/apply/{approvable.code}/")

    prefilled = [f for f in approvable.form_fields() if f["prefill"] and f["type"] != "boolean"]
    assert prefilled, f"{approvable.code} prefills nothing from government data"
    for spec in prefilled:
        expect(page.locator(f"#f-{spec['key']}")).not_to_have_value("")
        expect(page.locator(f"label[for='f-{spec['key']}'] .source")).to_contain_text(SOURCE_NAME)
    fill_apply_form(page, approvable)
    shot(page, "enterprise_apply_form_prefilled")

    response = _submit(page)
    assert response.status == 200
    banner = page.locator("#outcome")
    expect(banner).to_have_class("success-banner")
    download_link = page.locator("#download-licence")
    expect(download_link).to_be_visible()
    number = download_link.get_attribute("href").strip("/").split("/")[1]
    expect(banner).to_contain_text(number)
    shot(page, "enterprise_case_approved_at_once")

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    page.locator(f"#outcome a[href='/verify/{number}/']").click()
    result = page.locator("#verify-result")
    expect(result.locator("h2")).to_have_class("verdict-pass")
    expect(result).to_contain_text(number)
    expect(result).to_contain_text("杭州滨江智联科技有限公司")
    shot(page, "licence_verified_valid")


def test_referred_case_is_approved_by_the_department_reviewer(
    new_context: Any, referable: Any, demo: Any, login: Any, shot: Any, fill_apply_form: Any,
) -> None:
    enterprise = new_context().new_page()
    login(enterprise, demo.uscc(5))
    enterprise.goto(f"/apply/{referable.code}/")
    fill_apply_form(enterprise, referable)
    assert _submit(enterprise).status == 200

    banner = enterprise.locator("#outcome")
    expect(banner).to_have_class("refer-banner")
    for reason in referable.case["decision"]["reasons"]:
        expect(banner.locator("li", has_text=reason)).to_be_visible()
    case_url = enterprise.url
    number = enterprise.title().split(" · ")[0].strip()
    assert number.startswith("QQ"), number
    shot(enterprise, "enterprise_case_referred_with_reasons")

    reviewer = new_context().new_page()
    login(reviewer, demo.reviewer(referable.department))
    reviewer.locator("nav a[href='/review/']").click()
    reviewer.get_by_role("link", name=number, exact=True).click()
    expect(reviewer.locator("#outcome")).to_have_class("refer-banner")
    reviewer.locator("input[name=outcome][value=approve]").check()
    reviewer.locator("#note").fill("材料齐全，予以批准。")
    shot(reviewer, "reviewer_case_before_approval")
    reviewer.locator("#decide").click()
    expect(reviewer.locator("#outcome")).to_have_class("success-banner")
    expect(reviewer.locator(".msg-success")).to_be_visible()
    shot(reviewer, "reviewer_case_approved")

    later = new_context().new_page()
    login(later, demo.uscc(5))
    later.goto(case_url)
    expect(later.locator("#outcome")).to_have_class("success-banner")
    expect(later.locator("#download-licence")).to_be_visible()
    expect(later.locator(".status-approved").first).to_be_visible()
    shot(later, "enterprise_sees_reviewer_approval")


def test_supplement_request_is_answered_with_a_chinese_named_pdf(
    new_context: Any, referable: Any, api: Any, demo: Any, login: Any, shot: Any,
) -> None:
    created = api(demo.uscc(5)).submit(referable.code, referable.data)
    assert created.status_code == 201 and created.json()["status"] == "under_review", created.text
    case_id, number = created.json()["id"], created.json()["number"]

    reviewer = new_context().new_page()
    login(reviewer, demo.reviewer(referable.department))
    reviewer.goto("/review/")
    reviewer.get_by_role("link", name=number, exact=True).click()
    reviewer.locator("input[name=outcome][value=supplement]").check()
    reviewer.locator("#decide").click()  # no note: refused, the case stays under review
    expect(reviewer.locator(".msg-error")).to_be_visible()
    expect(reviewer.locator(".status-under_review").first).to_be_visible()
    note = "请补充营业场所产权证明。"
    reviewer.locator("input[name=outcome][value=supplement]").check()
    reviewer.locator("#note").fill(note)
    reviewer.locator("#decide").click()
    expect(reviewer.locator("#outcome")).to_contain_text(note)
    expect(reviewer.locator(".status-supplement_requested").first).to_be_visible()
    shot(reviewer, "reviewer_requested_supplement")

    enterprise = new_context().new_page()
    login(enterprise, demo.uscc(5))
    enterprise.goto(f"/cases/{case_id}/")
    expect(enterprise.locator("#outcome")).to_contain_text(note)
    enterprise.locator("#upload-file").set_input_files(
        files=[{"name": SUPPLEMENT_FILE, "mimeType": "application/pdf", "buffer": SMALL_PDF}])
    enterprise.locator(f"form[action='/cases/{case_id}/materials/'] button[type=submit]").click()
    expect(enterprise.locator(".msg-success")).to_be_visible()
    expect(enterprise.locator(".status-under_review").first).to_be_visible()
    expect(enterprise.locator("#outcome")).to_have_class("refer-banner")
    material = enterprise.get_by_role("link", name=SUPPLEMENT_FILE)
    expect(material).to_be_visible()
    expect(enterprise.locator(".timeline")).to_contain_text(SUPPLEMENT_FILE)
    shot(enterprise, "enterprise_answered_supplement")

    with enterprise.expect_download() as download_info:
        material.click()
    assert download_info.value.suggested_filename == SUPPLEMENT_FILE
    assert Path(download_info.value.path()).read_bytes() == SMALL_PDF


def test_bad_input_on_the_apply_form_shows_chinese_field_errors_and_creates_nothing(
    new_context: Any, bad_input_target: dict[str, Any], demo: Any, login: Any, shot: Any,
    fill_apply_form: Any, zh_compiled: bool, cjk: Any,
) -> None:
    choice = bad_input_target["choice"]
    wrong, wrong_value, missing = bad_input_target["wrong"], bad_input_target["wrong_value"], bad_input_target["missing"]
    page = new_context().new_page()
    login(page, demo.uscc(3))
    page.goto("/cases/")
    before = page.locator("main tbody a[href^='/cases/']").count()

    page.goto(f"/apply/{choice.code}/")
    overrides = {wrong: wrong_value, missing["key"]: None}
    fill_apply_form(page, choice, overrides)
    if missing["type"] == "boolean":
        page.locator(f"#f-{missing['key']}").uncheck()
    response = _submit(page)
    assert response.status == 422

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    for key in (wrong, missing["key"]):
        expect(summary.locator(f"a[href='#f-{key}']")).to_be_visible()
        field = page.locator(f"#f-{key}")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", f"e-{key}")
        expect(page.locator(f"#e-{key} li").first).to_be_visible()
    expect(page.locator(f"#f-{wrong}")).to_have_value(wrong_value)  # what was typed is kept
    summary.locator(f"a[href='#f-{wrong}']").click()
    assert page.url.endswith(f"#f-{wrong}")
    shot(page, "apply_form_field_errors")
    messages = [page.locator("#error-summary").inner_text(),
                page.locator(f"#e-{wrong}").inner_text(), page.locator(f"#e-{missing['key']}").inner_text()]

    page.goto("/cases/")
    assert page.locator("main tbody a[href^='/cases/']").count() == before, "a case was created"

    if not zh_compiled:
        pytest.xfail("qinqing/locale/zh_Hans/LC_MESSAGES/django.mo is not compiled yet: errors are in English")
    for message in messages:
        assert cjk(message), f"not Chinese: {message!r}"
