"""The licence PDF: built from the signed payload only, signed (PAdES) so any reader checks it, sealed."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from django.test import Client
from pypdf import PdfReader

from qinqing.cases.certificates import signing_material
from qinqing.cases.models import Licence
from qinqing.cases.pdf import licence_pdf
from qinqing.cases.pdfsign import FIELD, SEAL_RADIUS, SEAL_X, SEAL_Y
from qinqing.cases.seal import layout, seal_svg
from qinqing.cases.tests.support import approved_case, client_for, enterprise, session_client

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

FORGED = "冒名顶替有限公司"


def _text(data: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)


def _validate(data: bytes):
    ca = asn1_x509.Certificate.load(asn1_pem.unarmor(signing_material().ca_pem)[2])
    reader = PdfFileReader(BytesIO(data))
    (signature,) = reader.embedded_signatures
    return signature, validate_pdf_signature(signature, ValidationContext(trust_roots=[ca]))


@pytest.mark.django_db
def test_the_pdf_signature_is_intact_valid_and_chains_to_the_published_ca():
    licence = approved_case(0).licence
    signature, status = _validate(licence_pdf(licence))
    assert signature.field_name == FIELD
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    published = Client().get("/licences/keys/").json()["pdf_signature"]["certificate"]["certificate_pem"]
    assert status.signing_cert.dump() == asn1_pem.unarmor(published.encode())[2]


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler's pdfsig is not installed")
def test_poppler_pdfsig_reports_the_signature_valid_and_a_changed_byte_invalid(tmp_path: Path):
    data = licence_pdf(approved_case(0).licence)
    good = tmp_path / "licence.pdf"
    good.write_bytes(data)
    out = subprocess.run(["pdfsig", str(good)], capture_output=True, text=True, timeout=60, check=False).stdout
    assert "Signature is Valid." in out and "Total document signed" in out
    position = data.index(b"/Title")  # inside the first signed byte range
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(data[:position] + b"/Titlf" + data[position + 6:])
    out = subprocess.run(["pdfsig", str(bad)], capture_output=True, text=True, timeout=60, check=False).stdout
    assert "Signature is Valid." not in out


@pytest.mark.django_db
def test_a_changed_byte_breaks_the_pdf_signature():
    data = licence_pdf(approved_case(0).licence)
    position = data.index(b"/Title")
    _signature, status = _validate(data[:position] + b"/Titlf" + data[position + 6:])
    assert not status.intact and not status.bottom_line


@pytest.mark.django_db
def test_the_pdf_states_the_signed_holder_never_a_changed_column():
    licence = approved_case(0).licence
    Licence.objects.filter(pk=licence.pk).update(holder_name=FORGED, title="伪造的许可证")
    text = _text(licence_pdf(Licence.objects.get(pk=licence.pk)))
    assert FORGED not in text and "伪造的许可证" not in text
    assert licence.payload["holder"] in text and licence.payload["title"] in text


@pytest.mark.django_db
def test_a_licence_whose_payload_no_longer_verifies_is_neither_printed_nor_signed():
    licence = approved_case(0).licence
    Licence.objects.filter(pk=licence.pk).update(payload={**licence.payload, "holder": FORGED})
    response = client_for(enterprise(0)).get(f"/api/v1/licences/{licence.number}/pdf")
    assert response.status_code == 409 and response.json()["code"] == "licence_not_verifiable"
    page = session_client(enterprise(0)).get(f"/licences/{licence.number}/pdf/")
    assert page.status_code == 302 and page["Location"] == "/licences/"


@pytest.mark.django_db
def test_the_pdf_download_finds_a_number_typed_with_spaces_or_in_lower_case():
    licence = approved_case(0).licence
    response = client_for(enterprise(0)).get(f"/api/v1/licences/%20{licence.number.lower()}%20/pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_the_seal_is_the_signature_widget_on_the_last_page_where_the_issuer_is_named():
    licence = approved_case(0).licence
    reader = PdfReader(BytesIO(licence_pdf(licence)))
    last = reader.pages[-1]
    widgets = [a.get_object() for a in last.get("/Annots", [])]
    (seal,) = [w for w in widgets if w.get("/T") == FIELD]
    left, bottom, right, top = (float(v) for v in seal["/Rect"])
    assert (right - left) == pytest.approx(2 * SEAL_RADIUS, abs=1.5)
    assert (left + right) / 2 == pytest.approx(SEAL_X, abs=1.5)
    assert (bottom + top) / 2 == pytest.approx(SEAL_Y, abs=1.5)
    assert "/N" in seal["/AP"]  # drawn: the seal is what a reader shows for the signature


def test_the_seal_carries_the_full_name_around_the_rim_left_to_right():
    name = "国家税务总局杭州市税务局"
    seal = layout(name)
    assert "".join(g.char for g in seal.rim) == name
    angles = [g.rotation for g in seal.rim]
    assert angles == sorted(angles, reverse=True)  # clockwise over the top: left to right
    assert seal.rim[0].y == pytest.approx(seal.rim[-1].y) and seal.rim[0].x == pytest.approx(-seal.rim[-1].x)
    assert len(seal.star) == 10


def test_the_seal_refuses_invisible_characters_and_escapes_markup():
    svg = seal_svg("杭州\u202e市<script>局")
    assert "\u202e" not in svg and "<script>" not in svg and "&lt;" in svg
    assert svg.startswith("<svg class=\"seal\"") and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
