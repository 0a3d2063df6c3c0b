"""Answer a question from the knowledge base, citing the entry used, or hand over to a D小二."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qinqing.servicedesk.assistant import ranking
from qinqing.servicedesk.assistant.types import Answer, Citation, Entry

# Below this confidence a D小二 takes over (bench/bench_assistant.py shows the accuracy on each side).
HANDOVER_BELOW = 0.35
# From this confidence a handed-over question still cites the nearest entry, as a hint.
HINT_FROM = 0.2
# Below this the answer is offered as a suggestion rather than stated.
SURE_FROM = 0.7
# Longer questions are cut before ranking; the chat itself refuses oversized messages.
MAX_QUESTION = 500

# Asking for a person, in the words enterprises use (找人社局 is a department, not a person).
HUMAN = re.compile(
    r"转人工|人工客服|人工服务|人工坐席|人工咨询|找人工|要人工|真人|活人|找人(?!社)|客服人员|找工作人员|联系工作人员|"
    r"\bhuman\b|real person|talk to (?:a|an|some) ?(?:person|officer|one)|speak to (?:a|an|some) ?(?:person|officer|one)",
    re.IGNORECASE,
)


def asks_for_person(question: str) -> bool:
    """Tell whether the question asks for a human rather than an answer."""
    return bool(HUMAN.search(unicodedata.normalize("NFKC", question)))


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _handover(reason: str, confidence: float, citations: list[Citation]) -> Answer:
    return Answer(text=reason, citations=citations, confidence=confidence, handover=True)


def _text(entry: Entry) -> str:
    return entry.text_en if _english() and entry.text_en else entry.text


def answer(question: str, *, context: Mapping[str, str] | None = None) -> Answer:
    """Answer from the best knowledge-base entry, citing it; hand over below the threshold or on request.

    The question is never echoed: the text comes from the knowledge base only, so markup in a
    question cannot reach the page through the answer.
    """
    question = (question or "")[:MAX_QUESTION]
    if asks_for_person(question):
        return _handover(_("Connecting you to a D小二 (a service officer), who will see this whole conversation."),
                         1.0, [])
    if not question.strip():
        return _handover(_("Please type your question; a D小二 (a service officer) can also take over."), 0.0, [])
    result = ranking.rank(question, context=dict(context or {}))
    confidence = result.confidence
    if not result.hits or confidence < HANDOVER_BELOW:
        # A near miss is worth showing the D小二 who takes over; an off-topic guess is not.
        hint = [result.hits[0].entry.citation()] if result.hits and confidence >= HINT_FROM else []
        return _handover(_("I am not sure I understood. A D小二 (a service officer) will take over and answer you "
                           "here; the conversation so far goes with your question."), confidence, hint)
    top = result.hits[0].entry
    citations = [top.citation()]
    for hit in result.hits[1:]:
        if len(citations) == 3:
            break
        if hit.score >= 0.8 * result.hits[0].score and hit.entry.url not in {c.url for c in citations}:
            citations.append(hit.entry.citation())
    text = _text(top)
    if confidence < SURE_FROM:
        text = _("This may help:") + " " + text
    return Answer(text=text, citations=citations, confidence=confidence, handover=False)
