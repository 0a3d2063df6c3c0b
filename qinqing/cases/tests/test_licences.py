"""E-licences: public verification, revocation, Ed25519 signatures that verify offline, the PDF."""

from __future__ import annotations

import base64
import io
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client

from qinqing.audit.models import AuditRecord
from qinqing.cases.errors import CaseInvalid
from qinqing.cases.models import Licence
from qinqing.cases.services import revoke_licence
from qinqing.cases.tests.support import approved_case, client_for, enterprise, reviewer_of, session_client

pytestmark = pytest.mark.django_db


def _verify(number: str) -> dict:
    response = Client().get(f"/api/v1/licences/{number}/verify")
    assert response.status_code == 200
    return response.json()


def _public_key() -> Ed25519PublicKey:
    response = Client().get("/api/v1/licences/public-key")
    assert response.status_code == 200
    body = response.json()
    assert body["algorithm"] == "Ed25519"
    key = serialization.load_pem_public_key(body["public_key_pem"].encode())
    assert isinstance(key, Ed25519PublicKey)
    return key


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _signature(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_verification_of_an_issued_licence_reports_valid_with_its_facts():
    case = approved_case(0)
    result = _verify(case.licence.number)
    assert result["status"] == "valid"
    assert result["signature_valid"] is True
    assert result["holder"] == enterprise(0).enterprise.name
    assert result["uscc"] == enterprise(0).enterprise.uscc
    assert result["matter"] == case.matter.code
    assert result["payload"]["case"] == case.number


def test_revoked_licence_verifies_as_revoked_and_the_revocation_is_audited():
    case = approved_case(0)
    admin = reviewer_of(case.matter)
    before = AuditRecord.objects.count()
    revoke_licence(licence=case.licence, actor=admin, reason="以欺骗手段取得")
    result = _verify(case.licence.number)
    assert result["status"] == "revoked"
    assert result["revoked_at"]
    assert AuditRecord.objects.count() == before + 1
    record = AuditRecord.objects.order_by("-pk").first()
    assert record.action == "licence.revoked"
    assert record.actor_id == admin.pk
    assert record.before == {"status": "valid"}
    assert record.after["status"] == "revoked"


def test_revoking_twice_writes_one_audit_record():
    case = approved_case(0)
    actor = reviewer_of(case.matter)
    revoke_licence(licence=case.licence, actor=actor, reason="撤销")
    before = AuditRecord.objects.count()
    revoke_licence(licence=case.licence, actor=actor, reason="再次撤销")
    assert AuditRecord.objects.count() == before


def test_revocation_needs_a_reason():
    case = approved_case(0)
    with pytest.raises(CaseInvalid):
        revoke_licence(licence=case.licence, actor=reviewer_of(case.matter), reason=" ")
    assert _verify(case.licence.number)["status"] == "valid"


def test_unknown_licence_number_verifies_as_unknown():
    result = _verify("NOPE-2025-0000000000")
    assert result["status"] == "unknown"
    assert result["holder"] is None


def test_signature_verifies_offline_with_the_published_public_key():
    case = approved_case(0)
    result = _verify(case.licence.number)
    key = _public_key()
    key.verify(_signature(result["signature"]), _canonical(result["payload"]))  # raises when invalid


def test_tampered_payload_fails_offline_verification():
    case = approved_case(0)
    result = _verify(case.licence.number)
    key = _public_key()
    for field, forged in (("holder", "冒名顶替有限公司"), ("valid_until", "2099-12-31"), ("number", "X")):
        tampered = {**result["payload"], field: forged}
        with pytest.raises(InvalidSignature):
            key.verify(_signature(result["signature"]), _canonical(tampered))


def test_tampered_licence_in_the_database_reports_an_invalid_signature():
    case = approved_case(0)
    licence = case.licence
    Licence.objects.filter(pk=licence.pk).update(payload={**licence.payload, "holder": "冒名顶替有限公司"})
    assert _verify(licence.number)["signature_valid"] is False


def _pdf_text(content: bytes) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is a test dependency
        return content.decode("latin-1")
    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() or "" for page in reader.pages)


def test_licence_pdf_is_a_pdf_carrying_the_licence_number():
    case = approved_case(0)
    number = case.licence.number
    for client in (client_for(enterprise(0)), client_for(reviewer_of(case.matter))):
        response = client.get(f"/api/v1/licences/{number}/pdf")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        text = _pdf_text(response.content)
        assert number in text
        assert enterprise(0).enterprise.name in text
        assert case.licence.signature[:40] in text.replace("\n", "")
    page = session_client(enterprise(0)).get(f"/licences/{number}/pdf/")
    assert page.status_code == 200
    assert page.content.startswith(b"%PDF")


def test_licence_pdf_of_an_unknown_number_is_404():
    assert client_for(enterprise(0)).get("/api/v1/licences/NOPE-1/pdf").status_code == 404


def test_verify_page_shows_the_status_of_a_licence():
    case = approved_case(0)
    html = Client().get(f"/verify/{case.licence.number}/").content.decode()
    assert case.licence.number in html
    assert enterprise(0).enterprise.name in html
