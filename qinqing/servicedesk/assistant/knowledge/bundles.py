"""Bundle (一件事) guides as knowledge: what it is, its steps, who performs them, what it saves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.urls import reverse

from qinqing.catalog.services import matter_rows
from qinqing.servicedesk.assistant.types import Entry

DATA = Path(__file__).resolve().parents[3] / "bundles" / "data"
FILES = (DATA / "bundles.json",)

# Fields and required materials, applying separately → through the bundle, as computed by
# `scripts/check_catalog_data.py --bundles` (qinqing/catalog/data/README.md); the guide page recomputes them.
REDUCTION = {
    "industrial-project": ("314 → 59", "46 → 10"),
    "social-insurance-housing-fund": ("51 → 16", "1 → 0"),
    "business-start": ("75 → 33", "5 → 4"),
    "licence-restaurant": ("35 → 27", "15 → 11"),
    "licence-beauty": ("17 → 14", "8 → 6"),
    "licence-pharmacy": ("26 → 19", "12 → 9"),
    "licence-convenience": ("22 → 15", "9 → 4"),
}


_PROVENANCE = re.compile(r"（[a-z][^）]*）")


def _note(step: dict[str, Any]) -> str:
    """The step's note without the data file's provenance tags such as （inferred）."""
    return _PROVENANCE.sub("", step.get("note") or "")


def bundle_rows() -> list[dict[str, Any]]:
    with FILES[0].open(encoding="utf-8") as handle:
        rows: list[dict[str, Any]] = json.load(handle)
    return rows


def bundle_entries() -> list[Entry]:
    """Return the sections of every bundle's guide and one entry per enabled step."""
    names = {row["code"]: row["name"] for row in matter_rows()}
    entries: list[Entry] = []
    for row in bundle_rows():
        code, name = row["code"], row["name"]
        url = reverse("bundles:guide", args=[code])
        steps = [s for s in row["steps"] if s.get("enabled", True)]

        def add(section: str, title: str, text: str, keywords: tuple[str, ...] = (), weight: float = 1.0,
                text_en: str = "", *, code: str = code, url: str = url) -> None:
            entries.append(Entry(key=f"bundle:{code}:{section}", kind="bundle", ref=code, title=title, text=text,
                                 url=url, keywords=keywords, weight=weight, section=section.split(":")[0], text_en=text_en))

        agent = [names.get(s["matter"], s["matter"]) for s in steps if s.get("performer") == "agent"]
        add("overview", f"{name}（一件事）· 办事指南",
            f"{name}是一件事集成服务：{row['summary']}一次提交即生成一个总办件和各事项子办件，"
            "无前置条件的事项同时开始，其余事项在前置事项办结后自动启动，可在“我的一件事”查看每一步进度。",
            ("一件事", "联办", "流程", "怎么办", "一次办"), weight=1.15, text_en=row.get("summary_en", ""))
        matter_of = {s["key"]: names.get(s["matter"], s["matter"]) for s in steps}
        order = []
        for i, s in enumerate(steps, 1):
            waits = "、".join(matter_of[x] for x in s.get("requires", []) if x in matter_of) or "无"
            order.append(f"{i}. {names.get(s['matter'], s['matter'])}（前置：{waits}；"
                         f"{'政府代办员替办' if s.get('performer') == 'agent' else '企业办理'}）")
        add("steps", f"{name} · 办理步骤和部门", f"{name}包含{len(steps)}个事项，按依赖顺序办理：" + "；".join(order) + "。",
            ("步骤", "顺序", "包含哪些事项", "部门"))
        fields, materials = REDUCTION.get(code, ("", ""))
        if fields:
            add("saving", f"{name} · 少填少交",
                f"通过{name}一件事办理，相同信息只填一次、政府已有数据自动带出、上一步的结果自动传给下一步："
                f"需要填写的字段从{fields}，需要提交的必需材料从{materials}（分别单独申请各事项 → 一件事办理）。",
                ("少填", "少交", "减少", "材料", "字段"))
        if agent:
            add("agent", f"{name} · 政府替办",
                f"{name}中以下事项由政府代办员替企业准备和申报（政府替办）：" + "、".join(agent)
                + "。企业只需完成自己的步骤并补充代办员询问的信息；代办员按企业的授权办理，每一步都记录“代谁办理”，企业可随时在“我的授权”中查看或撤销授权。",
                ("替办", "代办", "授权"))
        for s in steps:
            matter = names.get(s["matter"], s["matter"])
            add(f"step:{s['key']}", f"{name} · {matter}",
                f"{matter}是{name}中的一步。{_note(s)}"
                + ("由政府代办员替办。" if s.get("performer") == "agent" else "由企业在一件事表单中一并填写。"),
                (matter,), weight=0.85)
    return entries
