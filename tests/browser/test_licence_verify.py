"""The public verify page on a desktop and a phone: the seal beside a valid licence, none on a forged QR."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_a_valid_licence_shows_the_seal_and_a_forged_qr_shows_not_valid_without_it(
    new_context: Any, approvable: Any, shot: Any, width: int, height: int,
) -> None:
    licence = approvable.case["licence"]["number"]
    page = new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(f"/verify/%20{licence.lower()}%20/")
    result = page.locator("#verify-result")
    expect(result.locator("h2")).to_have_text("证照有效")
    seal = result.locator("svg.seal")
    expect(seal).to_be_visible()
    box = seal.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width  # inside the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    shot(page, f"verify_valid_{width}")

    page.goto(f"/verify/{licence}/?s=AAAA{licence}")
    expect(result.locator("h2")).to_have_text("证照无效")
    expect(result).to_contain_text("二维码")
    expect(result.locator("svg.seal")).to_have_count(0)
    shot(page, f"verify_forged_qr_{width}")

    page.locator("main a[href='/licences/keys/']").click()
    assert "licence_signature" in page.content()


def test_the_served_pdf_is_signed_and_pdfsig_says_valid(
    new_context: Any, approvable: Any, login: Any, demo: Any, tmp_path: Any,
) -> None:
    licence = approvable.case["licence"]["number"]
    page = new_context().new_page()
    login(page, demo.uscc(0))
    response = page.request.get(f"/licences/{licence}/pdf/")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    assert b"/ByteRange" in response.body() and b"/IssuerSeal" in response.body().replace(b"(IssuerSeal)", b"/IssuerSeal")
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler's pdfsig is not installed")
    path = tmp_path / f"{licence}.pdf"
    path.write_bytes(response.body())
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60, check=False).stdout
    assert "Signature is Valid." in out, out
