"""Render an e-licence as a PDF: Chinese text (STSong-Light CID font), QR code, signature."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import qrcode
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from qinqing.cases.models import Licence

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


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


def licence_pdf(licence: Licence, request: HttpRequest | None = None) -> bytes:
    """Return the PDF bytes of one licence."""
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{licence.title} {licence.number}")
    pdf.setAuthor(str(licence.payload.get("issuer", "")))
    width, height = A4
    red = HexColor("#b4241b")
    _frame(pdf)
    pdf.setFillColor(red)
    pdf.setFont(FONT, 28)
    pdf.drawCentredString(width / 2, height - 50 * mm, licence.title)
    pdf.setFillColor(HexColor("#222222"))
    pdf.setFont(FONT, 11)
    pdf.drawCentredString(width / 2, height - 60 * mm, f"电子证照编号：{licence.number}")
    rows = [
        ("持证主体", licence.holder_name),
        ("统一社会信用代码", licence.enterprise.uscc),
        ("办理事项", licence.matter.name),
        ("发证机关", str(licence.payload.get("issuer", ""))),
        ("发证日期", timezone.localtime(licence.issued_at).strftime("%Y年%m月%d日")),
        ("有效期至", licence.valid_until.strftime("%Y年%m月%d日") if licence.valid_until else "长期"),
        ("办件编号", str(licence.payload.get("case", ""))),
    ]
    rows += [(str(f.get("label", "")), str(f.get("value", ""))) for f in licence_field_rows(licence)]
    y = height - 78 * mm
    bottom = 86 * mm  # the QR code and the signature sit below, on the last page
    for label, value in rows:
        lines = _wrap(value, 30) or [""]
        if y - (len(lines) - 1) * 5.5 * mm < bottom:
            pdf.showPage()
            _frame(pdf)
            pdf.setFillColor(HexColor("#222222"))
            pdf.setFont(FONT, 11)
            pdf.drawString(30 * mm, height - 30 * mm, f"{licence.title}（续页）  {licence.number}")
            y = height - 45 * mm
        pdf.setFont(FONT, 11)
        pdf.drawString(30 * mm, y, f"{label}：")
        for line in lines:
            pdf.drawString(82 * mm, y, line)
            y -= 5.5 * mm
        y -= 2.5 * mm
    pdf.drawImage(_qr(verify_url(licence, request)), width - 75 * mm, 35 * mm, 45 * mm, 45 * mm)
    pdf.setFont(FONT, 9)
    pdf.drawString(30 * mm, 70 * mm, "扫描二维码或访问本平台“证照核验”页面输入编号核验真伪。")
    pdf.drawString(30 * mm, 64 * mm, "电子签名（Ed25519）：")
    signature = licence.signature
    for i in range(0, len(signature), 44):
        pdf.drawString(30 * mm, (58 - (i // 44) * 5) * mm, signature[i : i + 44])
    pdf.drawString(30 * mm, 40 * mm, "亲清在线——线上行政服务中心")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def licence_pdf_response(licence: Licence, request: HttpRequest | None = None) -> HttpResponse:
    """Answer with the licence's PDF as a download named after its number."""
    response = HttpResponse(licence_pdf(licence, request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{licence.number}.pdf"'
    return response
