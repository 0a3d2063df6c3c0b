"""Sign a licence PDF (PAdES, pyHanko) so any PDF reader checks it offline; the seal is the signature's look.

The signature field sits on the last page where the issuing authority's seal belongs (over its name and
the date); its appearance is the seal itself, drawn by `seal.draw_seal`, so the seal a reader sees is the
signature a reader can click and check. The certificate comes from `certificates.signing_material()`.
"""

from __future__ import annotations

import binascii
import uuid
import warnings
from functools import lru_cache
from io import BytesIO

from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from qinqing.cases.certificates import SigningMaterial, signing_material
from qinqing.cases.seal import draw_seal

with warnings.catch_warnings():  # pyHanko still imports cryptography's DSA module, which warns
    warnings.simplefilter("ignore")
    from pyhanko.pdf_utils.content import PdfContent
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.layout import BoxConstraints
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle
    from pyhanko_certvalidator.registry import SimpleCertificateStore

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

SEAL_RADIUS = 21 * mm  # 42 mm across, the size of a government department's official seal
SEAL_X = 163 * mm
SEAL_Y = 47 * mm
FIELD = "IssuerSeal"


class _PdfPageContent(PdfContent):
    """The first page of an in-memory PDF as a form XObject (pyHanko's own import reads a file name)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        super().__init__()

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobj = writer.import_page_as_xobject(PdfFileReader(BytesIO(self.data)), page_ix=0)
        name = "/Seal" + binascii.hexlify(uuid.uuid4().bytes).decode()
        self.resources.xobject[name] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode() + b" Do"


@lru_cache(maxsize=64)
def seal_pdf(issuer: str) -> bytes:
    """A one-page PDF exactly the seal's size with the seal on it: the signature's appearance."""
    buffer = BytesIO()
    side = 2 * SEAL_RADIUS
    pdf = canvas.Canvas(buffer, pagesize=(side, side))
    draw_seal(pdf, cx=SEAL_RADIUS, cy=SEAL_RADIUS, radius=SEAL_RADIUS, name=issuer, font=FONT)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _signer(material: SigningMaterial) -> signers.SimpleSigner:
    def der(pem: bytes) -> bytes:
        return bytes(asn1_pem.unarmor(pem)[2])

    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(der(material.cert_pem)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der(material.key_pem)),
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_x509.Certificate.load(der(material.ca_pem))]
        ),
    )


def sign_licence_pdf(data: bytes, *, page: int, issuer: str, number: str) -> bytes:
    """Add a PAdES signature whose visible widget is the issuer's seal on the given (0-based) page."""
    box = (int(SEAL_X - SEAL_RADIUS), int(SEAL_Y - SEAL_RADIUS), int(SEAL_X + SEAL_RADIUS),
           int(SEAL_Y + SEAL_RADIUS))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD, md_algorithm="sha256", name=issuer, location="亲清在线",
        reason=f"电子证照 {number}，{issuer}签发",
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=_signer(signing_material()),
        stamp_style=StaticStampStyle(border_width=0, background=_PdfPageContent(seal_pdf(issuer))),
        new_field_spec=fields.SigFieldSpec(FIELD, on_page=page, box=box),
    )
    out = BytesIO()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(data)), output=out)
    return out.getvalue()
