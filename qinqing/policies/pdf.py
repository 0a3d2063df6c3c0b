"""A payout's receipt (政策兑付回单) as a PDF: Chinese text in the built-in STSong-Light CID font."""

from __future__ import annotations

from io import BytesIO

from django.http import HttpResponse
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from qinqing.policies.models import Payout

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def receipt_pdf(payout: Payout) -> bytes:
    """Render one payout's receipt: who was paid what, under which policy clause, to which (masked) account."""
    ent = payout.entitlement
    policy, version = ent.policy, ent.version
    local = timezone.localtime
    rows = [
        ("回单编号", payout.reference),
        ("收款单位", ent.enterprise.name),
        ("统一社会信用代码", ent.enterprise.uscc),
        ("政策名称", policy.title),
        ("政策文号", policy.document_number),
        ("发文单位", policy.department.name),
        ("兑付依据", version.clause or version.amount_text),
        ("政策版本", f"第 {version.number} 版"),
        ("所属期", ent.period),
        ("兑付金额（元）", f"{payout.amount:,.2f}"),
        ("收款银行", payout.bank_name),
        ("收款账号", payout.masked_account),
        ("状态", str(payout.get_status_display())),
        ("发送时间", f"{local(payout.sent_at):%Y-%m-%d %H:%M:%S}" if payout.sent_at else "—"),
        ("到账时间", f"{local(payout.paid_at):%Y-%m-%d %H:%M:%S}" if payout.paid_at else "—"),
    ]
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"政策兑付回单 {payout.reference}")
    width, height = A4
    pdf.setFont(FONT, 20)
    pdf.drawCentredString(width / 2, height - 30 * mm, "亲清在线 · 政策兑付回单")
    y = height - 50 * mm
    for label, value in rows:
        pdf.setFont(FONT, 11)
        pdf.drawString(25 * mm, y, label)
        text = str(value)
        for start in range(0, max(len(text), 1), 34):
            pdf.drawString(70 * mm, y, text[start:start + 34])
            y -= 7 * mm
        y -= 2 * mm
    pdf.setFont(FONT, 9)
    pdf.drawString(25 * mm, 25 * mm, f"生成时间 {local():%Y-%m-%d %H:%M:%S}。本回单依据政策兑付台账生成，账号已脱敏。")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def receipt_response(payout: Payout) -> HttpResponse:
    response = HttpResponse(receipt_pdf(payout), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{payout.reference}.pdf"'
    return response
