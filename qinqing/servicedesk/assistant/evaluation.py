"""The held-out questions, the plain keyword-match baseline and top-1 accuracy: shared by the bench and the tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from qinqing.servicedesk.assistant import segment
from qinqing.servicedesk.assistant.types import Entry

HELDOUT = Path(__file__).resolve().parent / "data" / "heldout.json"


@dataclass(frozen=True)
class Question:
    text: str
    expected: str
    also: tuple[str, ...] = ()

    def accepts(self, key: str | None) -> bool:
        return key == self.expected or key in self.also


def heldout() -> list[Question]:
    rows = json.loads(HELDOUT.read_text(encoding="utf-8"))["questions"]
    return [Question(r["question"], r["expected"], tuple(r.get("also", ()))) for r in rows]


def off_topic() -> list[str]:
    """Questions outside the platform's remit, which the assistant should hand over."""
    rows: list[str] = json.loads(HELDOUT.read_text(encoding="utf-8"))["off_topic"]
    return rows


class KeywordBaseline:
    """Plain keyword match: the question's words (plain jieba, stopwords dropped) found in each entry.

    A word found in the title or a paraphrase counts 2, in the text 1; ties go to the earlier entry.
    No synonyms, no user dictionary, no term weighting: what a site search box without ranking does.
    """

    def __init__(self, entries: Iterable[Entry]) -> None:
        import jieba

        self._cut = jieba.lcut
        self.entries = list(entries)
        self.heads = [" ".join((e.title, *e.keywords)).lower() for e in self.entries]
        self.texts = [e.text.lower() for e in self.entries]

    def top(self, question: str) -> str | None:
        words = {w for w in self._cut(segment.normalise(question)) if w.strip() and w not in segment.STOPWORDS}
        best, best_score = None, 0
        for i, entry in enumerate(self.entries):
            score = sum(2 if w in self.heads[i] else 1 if w in self.texts[i] else 0 for w in words)
            if score > best_score:
                best, best_score = entry.key, score
        return best


def accuracy(questions: list[Question], top: Callable[[str], str | None]) -> float:
    """Share of the questions whose top-1 entry is an expected one."""
    return sum(q.accepts(top(q.text)) for q in questions) / len(questions)
