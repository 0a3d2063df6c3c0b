"""The assistant (智能客服): answers from the knowledge base, always citing what it used.

PLACEHOLDER, replaced by the `assistant` branch (jieba + BM25 over matter/bundle guides, policies and
FAQs). This minimal version keeps the same interface: it matches the question's characters against
the matter guides of the catalog and cites the best one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Citation:
    kind: str  # "matter" | "bundle" | "policy" | "faq"
    key: str
    title: str
    url: str


@dataclass(frozen=True)
class Answer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    handover: bool = False


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if not c.isspace()]
    return {a + b for a, b in itertools.pairwise(chars)} | set(chars)


def answer(question: str, *, context: dict[str, str] | None = None) -> Answer:
    """Answer a question from the matter guides; hand over when nothing matches well."""
    from qinqing.catalog.models import Matter

    words = _bigrams(question)
    if not words:
        return Answer(text="请描述您的问题。", handover=False)
    best: tuple[float, Matter] | None = None
    preferred = (context or {}).get("key", "") if (context or {}).get("kind") == "matter" else ""
    for matter in Matter.objects.only("code", "name").order_by("code"):
        grams = _bigrams(matter.name)
        score = len(words & grams) / max(len(grams), 1)
        if matter.code == preferred:
            score += 0.2
        if best is None or score > best[0]:
            best = (score, matter)
    if best is None or best[0] < 0.2:
        return Answer(text="抱歉，知识库中没有找到相关内容，正在为您转接人工服务。", confidence=0.0, handover=True)
    score, matter = best
    citation = Citation(kind="matter", key=matter.code, title=matter.name, url=f"/matters/{matter.code}/")
    text = f"您可以参考办事指南《{matter.name}》（{matter.code}），其中列明了申请条件、材料和办理时限。"
    return Answer(text=text, citations=[citation], confidence=min(1.0, score), handover=False)
