"""The service desk's assistant (智能客服): answers from matter guides, bundle guides, policies and the FAQ.

Loading is lazy: jieba and the BM25 index are built on the first question, not at Django start-up.
"""

from __future__ import annotations

from collections.abc import Mapping

from qinqing.servicedesk.assistant.types import Answer, Citation

__all__ = ["Answer", "Citation", "answer", "warm"]


def answer(question: str, *, context: Mapping[str, str] | None = None) -> Answer:
    """Answer `question`, citing the entry used; `context` ({"matter": code, …}) biases toward that page."""
    from qinqing.servicedesk.assistant.answering import answer as _answer

    return _answer(question, context=context)


def warm() -> None:
    """Start building the knowledge-base index in the background (call once when a server starts)."""
    from qinqing.servicedesk.assistant.ranking import warm as _warm

    _warm()
