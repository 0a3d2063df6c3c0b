"""Verification shows only what is signed; every tampering makes the headline invalid; numbers normalise."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.test import Client
from django.utils import timezone

from qinqing.cases.models import Licence
from qinqing.cases.services import revoke_licence
from qinqing.cases.signing import canonical, sign, verify
from qinqing.cases.tests.support import approved_case, enterprise, reviewer_of
from qinqing.cases.verification import normalise_licence_number

pytestmark = pytest.mark.django_db

FORGED = "冒名顶替有限公司"
VALID_HEADLINE = "证照有效"
INVALID_HEADLINE = "证照无效"


def _api(number: str, **params: str) -> dict[str, Any]:
    response = Client().get(f"/api/v1/licences/{number}/verify", params)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def _page(path: str) -> str:
    response = Client().get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.content.decode()


def _result_section(html: str) -> str:
    start = html.index('id="verify-result"')
    return html[start:html.index("</section>", start)]


@pytest.fixture
def licence() -> Licence:
    return approved_case(0).licence


def test_an_untouched_licence_is_valid_with_its_signed_facts_and_the_seal(licence):
    body = _api(licence.number)
    assert body["status"] == "valid" and body["valid"] is True and body["problems"] == []
    assert body["holder"] == licence.payload["holder"] == enterprise(0).enterprise.name
    section = _result_section(_page(f"/verify/{licence.number}/"))
    assert VALID_HEADLINE in section and INVALID_HEADLINE not in section
    assert '<svg class="seal"' in section and licence.payload["issuer"] in section


def test_a_changed_holder_column_is_never_shown_and_the_licence_is_not_valid(licence):
    original = licence.holder_name
    Licence.objects.filter(pk=licence.pk).update(holder_name=FORGED)
    body = _api(licence.number)
    assert body["holder"] == original  # the signed holder, never the column
    assert body["status"] == "invalid" and body["valid"] is False
    assert body["problems"] == ["record_altered"] and body["discrepancies"] == ["holder"]
    section = _result_section(_page(f"/verify/{licence.number}/"))
    assert FORGED not in section
    assert INVALID_HEADLINE in section and VALID_HEADLINE not in section
    assert '<svg class="seal"' not in section


@pytest.mark.parametrize("column, value", [
    ("title", "伪造的许可证"),
    ("valid_until", dt.date(2099, 12, 31)),
    ("issued_at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
])
def test_any_changed_column_makes_the_licence_invalid_and_shows_the_signed_value(licence, column, value):
    Licence.objects.filter(pk=licence.pk).update(**{column: value})
    body = _api(licence.number)
    assert body["status"] == "invalid" and body["discrepancies"] == [column]
    assert body["valid_until"] == licence.payload["valid_until"]
    assert body["title"] == licence.payload["title"]


def test_an_altered_payload_is_invalid_shows_no_facts_and_never_the_valid_headline(licence):
    Licence.objects.filter(pk=licence.pk).update(payload={**licence.payload, "holder": FORGED})
    body = _api(licence.number)
    assert body["signature_valid"] is False
    assert body["status"] == "invalid" and body["valid"] is False and "signature" in body["problems"]
    assert body["holder"] is None and body["payload"] is None and body["fields"] == []
    section = _result_section(_page(f"/verify/{licence.number}/"))
    assert INVALID_HEADLINE in section and VALID_HEADLINE not in section
    assert FORGED not in section and '<svg class="seal"' not in section


def test_a_payload_that_is_not_an_object_is_invalid_without_an_error(licence):
    bogus = ["not", "a", "licence"]
    Licence.objects.filter(pk=licence.pk).update(payload=bogus, signature=sign(bogus))
    body = _api(licence.number)
    assert body["status"] == "invalid" and body["signature_valid"] is False
    assert INVALID_HEADLINE in _result_section(_page(f"/verify/{licence.number}/"))


def test_a_signed_payload_copied_onto_another_number_is_invalid(licence):
    other = approved_case(1).licence
    Licence.objects.filter(pk=other.pk).update(payload=licence.payload, signature=licence.signature)
    body = _api(other.number)
    assert body["signature_valid"] is True
    assert body["status"] == "invalid" and "number" in body["discrepancies"]
    assert VALID_HEADLINE not in _result_section(_page(f"/verify/{other.number}/"))


def test_a_qr_code_with_a_changed_signature_is_invalid_on_the_page_and_the_api(licence):
    forged = ("A" if licence.signature[0] != "A" else "B") + licence.signature[1:]
    section = _result_section(_page(f"/verify/{licence.number}/?s={forged}"))
    assert INVALID_HEADLINE in section and VALID_HEADLINE not in section
    assert "二维码" in section and '<svg class="seal"' not in section
    body = _api(licence.number, s=forged)
    assert body["status"] == "invalid" and body["problems"] == ["qr"] and body["qr_valid"] is False
    empty = _api(licence.number, s="")
    assert empty["status"] == "invalid" and empty["qr_valid"] is False


def test_a_qr_code_carrying_the_licence_signature_is_valid(licence):
    section = _result_section(_page(f"/verify/{licence.number}/?s={licence.signature}"))
    assert VALID_HEADLINE in section and INVALID_HEADLINE not in section
    assert _api(licence.number, s=licence.signature)["qr_valid"] is True


def test_a_revoked_licence_keeps_its_signed_facts_but_not_the_valid_headline_or_seal(licence):
    revoke_licence(licence=licence, actor=reviewer_of(licence.matter), reason="以欺骗手段取得")
    body = _api(licence.number)
    assert body["status"] == "revoked" and body["valid"] is False and body["revoked_at"]
    section = _result_section(_page(f"/verify/{licence.number}/"))
    assert VALID_HEADLINE not in section and "已吊销" in section and '<svg class="seal"' not in section


def test_expiry_comes_from_the_signed_date_and_a_later_column_does_not_extend_it(licence):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    payload = {**licence.payload, "valid_until": yesterday.isoformat()}
    Licence.objects.filter(pk=licence.pk).update(payload=payload, signature=sign(payload), valid_until=yesterday)
    body = _api(licence.number)
    assert body["status"] == "expired" and body["problems"] == ["expired"]
    Licence.objects.filter(pk=licence.pk).update(valid_until=dt.date(2099, 12, 31))
    body = _api(licence.number)
    assert body["valid"] is False and body["valid_until"] == yesterday.isoformat()
    assert set(body["problems"]) == {"record_altered", "expired"}
    assert VALID_HEADLINE not in _result_section(_page(f"/verify/{licence.number}/"))


@pytest.mark.parametrize("typed", [
    "  {n}  ", "{n}\n", "{lower}", "\u3000{n}\u3000", "{fullwidth}", "{emdash}", "\u200b{n}\ufeff",
])
def test_a_licence_number_typed_with_spaces_full_width_or_lower_case_is_the_same_licence(licence, typed):
    number = licence.number
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in number)
    raw = typed.format(n=number, lower=number.lower(), fullwidth=fullwidth, emdash=number.replace("-", "—"))
    assert normalise_licence_number(raw) == number
    assert _api(raw)["status"] == "valid"
    section = _result_section(_page(f"/verify/?number={raw}"))
    assert VALID_HEADLINE in section and number in section
    qr = _result_section(Client().get(f"/verify/{raw}/", {"s": licence.signature}).content.decode())
    assert "证照有效" in qr or "Valid licence" in qr


@pytest.mark.parametrize("raw", ["", " ", "\u202egpj.exe", "<script>alert(1)</script>", "A" * 500, "\ud800",
                                 "SCJG 2026 0000", "../../etc/passwd"])
def test_nonsense_numbers_are_unknown_and_never_an_error(raw):
    encoded = quote(raw.encode("utf-8", "surrogatepass"), safe="")  # a lone surrogate arrives as raw bytes
    response = Client().get(f"/verify/?number={encoded}")
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()
    if raw.strip():
        api = Client().get(f"/api/v1/licences/{encoded}/verify")
        assert api.status_code in (200, 404)  # a "/" in the number leaves the route: not found, never a 500
        if api.status_code == 200:
            assert api.json()["status"] == "unknown" and api.json()["valid"] is False


def test_published_keys_verify_a_licence_and_are_served_as_pem_files(licence):
    response = Client().get("/licences/keys/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    keys = response.json()
    pem = keys["licence_signature"]["public_key_pem"]
    assert verify(licence.payload, licence.signature, public_pem=pem)
    public = serialization.load_pem_public_key(pem.encode())
    assert isinstance(public, Ed25519PublicKey)
    public.verify(base64.urlsafe_b64decode(licence.signature + "=" * (-len(licence.signature) % 4)),
                  canonical(licence.payload))  # raises when it does not verify
    for url in (keys["licence_signature"]["url"], keys["pdf_signature"]["certificate"]["url"],
                keys["pdf_signature"]["ca_certificate"]["url"]):
        served = Client().get(url)
        assert served.status_code == 200 and served.content.startswith(b"-----BEGIN ")
    assert Client().get("/licences/keys/nothing.pem").status_code == 404
    assert "/licences/keys/" in _page(f"/verify/{licence.number}/") and "/licences/keys/" in _page("/verify/")
    api_key = Client().get("/api/v1/licences/public-key").json()
    assert api_key["public_key_pem"] == pem and api_key["key_id"] == keys["licence_signature"]["key_id"]


def test_a_licence_signed_by_a_retired_key_still_verifies_after_rotation(licence):
    old = Ed25519PrivateKey.generate()
    payload = {**licence.payload}
    signature = base64.urlsafe_b64encode(old.sign(canonical(payload))).decode().rstrip("=")
    Licence.objects.filter(pk=licence.pk).update(signature=signature)
    assert _api(licence.number)["signature_valid"] is False
    folder = settings.QINQING_RETIRED_KEYS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "2025-ed25519.pem"
    path.write_bytes(old.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
    try:
        assert _api(licence.number)["status"] == "valid"
        retired = Client().get("/licences/keys/").json()["retired"]
        assert len(retired) == 1 and Client().get(retired[0]["url"]).status_code == 200
    finally:
        path.unlink()


def test_the_english_page_says_not_valid_in_english(licence):
    Licence.objects.filter(pk=licence.pk).update(holder_name=FORGED)
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    section = _result_section(client.get(f"/verify/{licence.number}/").content.decode())
    assert "Not a valid licence" in section and "Valid licence</h2>" not in section
    assert "differs from what was signed" in section
