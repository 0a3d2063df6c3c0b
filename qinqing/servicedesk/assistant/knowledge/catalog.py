"""Matter guides as knowledge: overview, materials, time limits, fee, basis, conditions, form, each field."""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

from django.urls import reverse

from qinqing.catalog.services import DATA, matter_rows
from qinqing.servicedesk.assistant.types import Entry

FILES = (DATA / "matters.json", DATA / "departments.csv", DATA / "boards.csv")

KIND = {"immediate": "即办件（材料齐全、符合条件的当场办结）", "promised": "承诺件（在承诺时限内办结）"}
SOURCE = {
    "form": "在线填写的申请表即为该材料，无需另行上传",
    "market_registry": "平台从市场监管登记数据中自动获取，无需上传",
    "land_contracts": "平台从土地出让合同数据中自动获取，无需上传",
    "project_codes": "平台从项目备案赋码数据中自动获取，无需上传",
    "social_insurance": "平台从社保数据中自动获取，无需上传",
    "housing_fund": "平台从公积金数据中自动获取，无需上传",
    "tax_registration": "平台从税务登记和完税数据中自动获取，无需上传",
    "qualifications": "平台从资质证书数据中自动获取，无需上传",
}
PREFILL = {
    "registry": "市场监管登记信息",
    "land": "土地出让合同",
    "project": "项目备案信息",
    "social": "社保数据",
    "fund": "公积金数据",
    "tax": "税务数据",
    "qualification": "资质证书数据",
}
TYPE = {"text": "文字", "textarea": "文字", "choice": "单选", "multichoice": "多选", "number": "数字",
        "decimal": "数字", "integer": "整数", "date": "日期", "checkbox": "勾选", "boolean": "勾选"}


def _names(name: str) -> dict[str, str]:
    with (DATA / name).open(encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def limit_text(days: int, unit: str) -> str:
    """Say a time limit the way a guide does: 即办, N个工作日, N日."""
    if days == 0:
        return "即办（当场办结）"
    return f"{days}个工作日" if unit == "working_days" else f"{days}日（自然日）"


def _fee(row: dict[str, Any]) -> str:
    fee = Decimal(str(row.get("fee") or "0"))
    if fee == 0:
        return f"{row['name']}不收费，平台办理全程免费。"
    return f"{row['name']}收费：{fee:.2f}元/件（小微企业按规定免收）。请以缴费通知为准，平台不代收任何其他费用。"


def _material(row: dict[str, Any], m: dict[str, Any]) -> str:
    required = "必须提供" if m.get("required") else "按情况提供（非必需）"
    source = m.get("satisfied_by") or ""
    if source.startswith("licences:"):
        how = f"平台已签发的电子证照（{source.split(':', 1)[1]}）可直接调用，无需上传"
    else:
        how = SOURCE.get(source, "需要上传扫描件或照片（PDF、JPG、PNG）")
    note = f"说明：{m['note']}。" if m.get("note") else ""
    return f"{m['name']}：{required}；{how}。{note}"


def _field(row: dict[str, Any], f: dict[str, Any]) -> str:
    parts = [f"申请“{row['name']}”时填写“{f['label']}”（{TYPE.get(f.get('type', ''), '文字')}，"
             f"{'必填' if f.get('required') else '选填'}）。"]
    if f.get("prefill"):
        origin = PREFILL.get(str(f["prefill"]).split(".", 1)[0], "政府共享数据")
        parts.append(f"该项由平台从{origin}自动带出" + ("，可以修改。" if f.get("editable", True) else "，不能修改；如有误请先办理变更。"))
    if f.get("choices"):
        parts.append("可选：" + "、".join(c["label"] for c in f["choices"]) + "。")
    if f.get("help"):
        parts.append(f"填写说明：{f['help']}。")
    if f.get("max_length"):
        parts.append(f"最多{f['max_length']}个字。")
    return "".join(parts)


def matter_entries() -> list[Entry]:
    """Return the sections of every online matter's guide."""
    departments, boards = _names("departments.csv"), _names("boards.csv")
    entries: list[Entry] = []
    for row in matter_rows():
        if not row.get("active", True):
            continue
        code, name = row["code"], row["name"]
        url = reverse("catalog:guide", args=[code])
        dept = departments.get(row["department"], row["department"])

        def add(section: str, title: str, text: str, keywords: tuple[str, ...] = (), weight: float = 1.0,
                text_en: str = "", title_en: str = "", *, code: str = code, url: str = url) -> None:
            entries.append(Entry(key=f"matter:{code}:{section}", kind="matter", ref=code, title=title, text=text,
                                 url=url, keywords=keywords, weight=weight, section=section.split(":")[0], text_en=text_en, title_en=title_en))

        automatic = bool(row.get("rules"))
        licence = row.get("licence_name") or ""
        valid = f"，有效期{row['licence_valid_years']}年" if row.get("licence_valid_years") else ""
        add("overview", f"{name} · 办事指南",
            f"{name}（事项编码{code}）由{dept}办理，属于{boards.get(row['board'], '')}板块，事项类型为{row['matter_type']}，"
            f"{KIND.get(row['kind'], '')}。办结后签发{licence or '办理结果'}{valid}，电子证照可在“我的证照”下载和核验。"
            + ("本事项支持秒办：符合条件的申请提交后由系统自动审批、即时出证。" if automatic else "本事项由部门审批人员审核。")
            + "在事项页面点击“在线申请”即可办理。",
            ("怎么办", "办理", "流程", "申请", "在哪里", "哪个部门", dept, licence), weight=1.1,
            text_en=f"{row.get('name_en', '')}: handled by {dept} ({row['matter_type']}). Apply online from the matter's page.",
            title_en=f"{row.get('name_en', '')} · guide")
        mats = row.get("materials") or []
        if mats:
            uploads = [m for m in mats if not m.get("satisfied_by")]
            add("materials", f"{name} · 申请材料",
                f"办理{name}需要的材料（共{len(mats)}项，其中需上传{len(uploads)}项）：" + "".join(
                    f"{i}. {_material(row, m)}" for i, m in enumerate(mats, 1)),
                ("材料", "清单", "上传", "准备什么"))
            for m in mats:
                add(f"material:{m['code']}", f"{name} · {m['name']}", _material(row, m), weight=0.9)
        else:
            add("materials", f"{name} · 申请材料",
                f"办理{name}无需上传材料：在线填写申请表即可，企业基本信息由平台从共享数据自动带出。", ("材料", "上传", "准备什么"))
        statutory = limit_text(row["statutory_limit"], row["statutory_unit"])
        promised = limit_text(row["promised_limit"], row["promised_unit"])
        manual = limit_text(row.get("manual_limit") or 0, row.get("manual_unit") or "working_days")
        add("limits", f"{name} · 办理时限",
            f"{name}的法定办结时限为{statutory}，承诺办结时限为{promised}。"
            + (f"秒办申请提交后即时出结果；未通过自动审批转人工审核的，在{manual}内办结。" if automatic else "")
            + "补正材料期间不计入办理时限。", ("时限", "多久", "几天", "办结"))
        add("fee", f"{name} · 收费标准", _fee(row), ("收费", "费用"))
        add("basis", f"{name} · 设定依据", f"{name}的设定依据：{row.get('legal_basis', '')}。",
            ("依据", "法律", "规定"), weight=0.9)
        rules = (row.get("rules") or {}).get("conditions") or []
        if rules:
            add("conditions", f"{name} · 秒办条件",
                f"{name}支持秒办，系统自动审批的条件：" + "；".join(c["label"] for c in rules)
                + "。不满足任一条件时不会直接驳回，而是转部门人工审核，原因会显示在办件详情中："
                + "；".join(c["failure"] for c in rules if c.get("failure")) + "。",
                ("秒办", "条件", "自动审批", "为什么转人工", "不通过"))
        fields = row.get("fields") or []
        prefilled = [f["label"] for f in fields if f.get("prefill")]
        add("form", f"{name} · 申请表",
            f"{name}的申请表共{len(fields)}项：" + "、".join(f["label"] for f in fields) + "。"
            + (f"其中{len(prefilled)}项（" + "、".join(prefilled[:12]) + "等）由平台自动带出。" if prefilled else ""),
            ("申请表", "填写", "表单", "字段"), weight=0.9)
        for f in fields:
            add(f"field:{f['key']}", f"{name} · {f['label']}", _field(row, f), weight=0.8)
    return entries
