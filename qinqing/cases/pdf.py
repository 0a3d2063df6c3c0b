"""Render an e-licence as a PDF from its signed payload: Chinese text (STSong-Light CID font), QR code, seal."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import qrcode
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from qinqing.cases.errors import LicenceNotVerifiable
from qinqing.cases.models import Licence
from qinqing.cases.pdfsign import FONT, SEAL_X, SEAL_Y, sign_licence_pdf
from qinqing.cases.signing import verify
from qinqing.cases.verification import signed_facts


def verify_url(licence: Licence, request: HttpRequest | None = None) -> str:
    """Return the public verification address the licence's QR code points at."""
    base = request.build_absolute_uri("/").rstrip("/") if request is not None else settings.SITE_URL.rstrip("/")
    return f"{base}/verify/{licence.number}/?s={licence.signature}"


def _qr(data: str) -> ImageReader:
    image = qrcode.make(data, box_size=6, border=1)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)


def licence_field_rows(licence: Licence) -> list[dict[str, Any]]:
    """The matter's own facts the licence states (signed with it): [{key, label, value}]."""
    fields = licence.payload.get("fields") or []
    return [f for f in fields if isinstance(f, dict)]


def _wrap(text: str, width: int) -> list[str]:
    """Split a value into lines of at most `width` characters (CJK text has no spaces to break at)."""
    return [text[i:i + width] for i in range(0, len(text), width)]


def _frame(pdf: canvas.Canvas) -> None:
    width, height = A4
    pdf.setStrokeColor(HexColor("#b4241b"))
    pdf.setLineWidth(3)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    pdf.setLineWidth(0.8)
    pdf.rect(18 * mm, 18 * mm, width - 36 * mm, height - 36 * mm)


def _bottom(pdf: canvas.Canvas, licence: Licence, facts: dict[str, Any], request: HttpRequest | None) -> None:
    """The QR code, the Ed25519 signature in words, and the issuer and date the seal is stamped over."""
    pdf.drawImage(_qr(verify_url(licence, request)), 30 * mm, 38 * mm, 40 * mm, 40 * mm)
    pdf.setFillColor(HexColor("#222222"))
    pdf.setFont(FONT, 9)
    pdf.drawCentredString(50 * mm, 33 * mm, "扫码核验")
    pdf.drawString(76 * mm, 74 * mm, "扫描二维码或在“证照核验”页面输入编号核验真伪。")
    pdf.drawString(76 * mm, 68 * mm, "电子签名（Ed25519）：")
    signature = licence.signature
    for i in range(0, len(signature), 30):
        pdf.drawString(76 * mm, (63 - (i // 30) * 4.5) * mm, signature[i : i + 30])
    pdf.drawString(76 * mm, 44 * mm, "本文件另有PDF数字签名，")
    pdf.drawString(76 * mm, 39.5 * mm, "可用PDF阅读器离线核验。")
    pdf.drawString(30 * mm, 25 * mm, "亲清在线——线上行政服务中心")
    pdf.setFont(FONT, 11)
    pdf.drawCentredString(SEAL_X, SEAL_Y + 2 * mm, str(facts["issuer"]))
    pdf.drawCentredString(SEAL_X, SEAL_Y - 5 * mm, timezone.localtime(facts["issued_at"]).strftime("%Y年%m月%d日"))


def licence_pdf(licence: Licence, request: HttpRequest | None = None) -> bytes:
    """Return the PDF bytes of one licence: only what is signed, sealed and signed by the platform."""
    if not verify(licence.payload, licence.signature):
        raise LicenceNotVerifiable(_("该证照的记录与其签名不一致，平台不再打印；请联系发证机关。"))
    try:
        facts = signed_facts(licence.payload)
    except ValueError:
        raise LicenceNotVerifiable(_("该证照的记录与其签名不一致，平台不再打印；请联系发证机关。")) from None
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{facts['title']} {facts['number']}")
    pdf.setAuthor(str(facts["issuer"]))
    width, height = A4
    red = HexColor("#b4241b")
    _frame(pdf)
    pdf.setFillColor(red)
    pdf.setFont(FONT, 28)
    pdf.drawCentredString(width / 2, height - 50 * mm, facts["title"])
    pdf.setFillColor(HexColor("#222222"))
    pdf.setFont(FONT, 11)
    pdf.drawCentredString(width / 2, height - 60 * mm, f"电子证照编号：{facts['number']}")
    rows = [
        ("持证主体", facts["holder"]),
        ("统一社会信用代码", facts["uscc"]),
        ("办理事项", facts["matter_name"]),
        ("发证机关", facts["issuer"]),
        ("发证日期", timezone.localtime(facts["issued_at"]).strftime("%Y年%m月%d日")),
        ("有效期至", facts["valid_until"].strftime("%Y年%m月%d日") if facts["valid_until"] else "长期"),
        ("办件编号", facts["case"]),
    ]
    rows += [(f["label"], f["value"]) for f in facts["fields"]]
    y = height - 78 * mm
    bottom = 86 * mm  # the QR code, the signature and the seal sit below, on the last page
    for label, value in rows:
        lines = _wrap(value, 30) or [""]
        if y - (len(lines) - 1) * 5.5 * mm < bottom:
            pdf.showPage()
            _frame(pdf)
            pdf.setFillColor(HexColor("#222222"))
            pdf.setFont(FONT, 11)
            pdf.drawString(30 * mm, height - 30 * mm, f"{facts['title']}（续页）  {facts['number']}")
            y = height - 45 * mm
        pdf.setFont(FONT, 11)
        pdf.drawString(30 * mm, y, f"{label}：")
        for line in lines:
            pdf.drawString(82 * mm, y, line)
            y -= 5.5 * mm
        y -= 2.5 * mm
    _bottom(pdf, licence, facts, request)
    last_page = pdf.getPageNumber() - 1
    pdf.showPage()
    pdf.save()
    return sign_licence_pdf(buffer.getvalue(), page=last_page, issuer=str(facts["issuer"]),
                            number=str(facts["number"]))


def licence_pdf_response(licence: Licence, request: HttpRequest | None = None) -> HttpResponse:
    """Answer with the licence's PDF as a download named after its number."""
    response = HttpResponse(licence_pdf(licence, request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{licence.number}.pdf"'
    return response
