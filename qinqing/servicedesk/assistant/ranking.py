"""BM25 ranking over the knowledge base: one index per process, rebuilt when its sources change."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
from django.conf import settings
from django.urls import NoReverseMatch, reverse

from qinqing.servicedesk.assistant import knowledge, segment
from qinqing.servicedesk.assistant.types import Entry

logger = logging.getLogger(__name__)

# Boost of the entries about the page the question was asked from.
CONTEXT_BOOST = 2.5
# FAQ topics a question asked from a case page is most likely about.
CASE_TOPICS = frozenset({"办件", "补正", "证照", "评价"})
# How often the policies table is looked at for changes (the data files are checked on every call).
POLICY_CHECK_SECONDS = 30.0
# A question using one of these words asks about that section of a guide.
SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "材料": ("materials",), "清单": ("materials",), "时限": ("limits",), "收费": ("fee",), "依据": ("basis",),
    "条件": ("conditions",), "秒办": ("conditions",), "填写": ("form",), "申请表": ("form",), "内容": ("form",),
    "步骤": ("steps",), "顺序": ("steps",), "流程": ("steps", "overview"), "少填": ("saving",), "少交": ("saving",),
    "替办": ("agent",),
}
SECTION_BOOST = 1.5
# Terms that go into jieba's dictionary besides the catalog's names.
DOMAIN_TERMS = (
    "统一社会信用代码", "秒办", "补正", "电子证照", "一件事", "五险一金", "工业项目", "政府替办", "稳岗返还",
    "社保增员", "公积金", "亲清在线", "D小二", "转人工", "告知承诺", "证照联办", "企业开办", "免申即享",
    "经营异常名录", "信用修复", "电子营业执照", "数字证书", "代办员", "一照多址", "简易注销", "清税证明",
    "完税证明", "跨区域涉税", "稳岗", "增员", "减员", "缴存基数", "工作许可", "原产地证", "预付卡",
)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float


@dataclass(frozen=True)
class Ranking:
    """The best entries for a question, and the evidence a confidence is computed from."""

    hits: list[Hit]
    coverage: float  # share of the question's distinct terms found in the top entry
    known: float  # share of the question's distinct terms the knowledge base knows at all

    @property
    def confidence(self) -> float:
        return confidence_of(self)


def features(ranking: Ranking) -> tuple[float, float, float, float]:
    """(relative margin over the best entry about another item, coverage, known share, log of the top score)."""
    top = ranking.hits[0].score
    runner = next((h.score for h in ranking.hits[1:] if h.entry.ref != ranking.hits[0].entry.ref), 0.0)
    return (top - runner) / top, ranking.coverage, ranking.known, math.log1p(top)


def confidence_of(ranking: Ranking) -> float:
    """The probability that the top entry answers the question, from the score and its margin.

    A logistic model of the relative margin over the best entry about another item, the share of
    the question's terms found in the top entry and known to the index, and the log of the top
    score; fitted on the held-out questions plus 40 off-topic ones (data/heldout.json) by
    `bench/bench_assistant.py --calibrate`, and checked by two-fold cross-validation: on the fold not
    fitted, the mean confidence is within 4 points of the top-1 accuracy, and off-topic questions
    average 0.09–0.22.
    """
    if not ranking.hits or ranking.hits[0].score <= 0:
        return 0.0
    margin, coverage, known, log_top = features(ranking)
    z = -7.91 + 1.12 * margin + 1.13 * coverage + 0.44 * known + 2.23 * log_top
    return round(1.0 / (1.0 + math.exp(-z)), 3)


class Index:
    """Two BM25 indices of the entries, one over jieba words and one over character bigrams.

    Words carry meaning; bigrams catch paraphrases that jieba segments differently (撤销/撤回,
    开户/开个户). Title and paraphrases weigh twice. A question naming a guide section (材料,
    时限, 收费 …) lifts the entries of that section.
    """

    def __init__(self, entries: list[Entry]) -> None:
        terms = {*DOMAIN_TERMS, *SECTION_WORDS}
        for entry in entries:
            terms.update(part for part in entry.title.split(" · ") if len(part) <= 12)
            if entry.topic:
                terms.add(entry.topic)
        segment.prepare(terms)
        self.entries = entries
        words = _segmented(entries, terms)
        grams = [segment.bigrams(" ".join((e.title, *e.keywords))) * 2 + segment.bigrams(e.text) for e in entries]
        self.term_sets = [frozenset(doc) for doc in words]
        self.words = bm25s.BM25(k1=1.2, b=0.6)
        self.words.index(words, show_progress=False)
        self.grams = bm25s.BM25(k1=1.2, b=0.75)
        self.grams.index(grams, show_progress=False)
        self.word_vocabulary = frozenset(t for doc in words for t in doc)
        self.gram_vocabulary = frozenset(t for doc in grams for t in doc)
        self.weights = np.array([e.weight for e in entries], dtype=np.float32)
        self.section_masks = {
            section: np.array([e.section == section for e in entries])
            for section in {s for sections in SECTION_WORDS.values() for s in sections}
        }
        self.by_key = {e.key: i for i, e in enumerate(entries)}
        self.urls = np.array([e.url for e in entries])
        self.kinds = np.array([e.kind for e in entries])
        self.refs = np.array([e.ref for e in entries])
        self.case_topics = np.array([e.topic in CASE_TOPICS for e in entries])

    def rank(self, question: str, *, context: Mapping[str, str] | None = None, limit: int = 5) -> Ranking:
        """Return the best `limit` entries for the question, biased toward the page it was asked from."""
        words = segment.tokens(question)
        distinct = set(words)
        query = [w for w in words if w in self.word_vocabulary]
        grams = [g for g in segment.bigrams(question) if g in self.gram_vocabulary]
        if not query:
            return Ranking(hits=[], coverage=0.0, known=0.0)
        # A question without Chinese (English) has only the word score; doubling it puts it on the
        # scale of word + bigram scores, where the confidence was fitted.
        words_only = self.words.get_scores(query)
        scores = words_only + self.grams.get_scores(grams) if grams else words_only * 2.0
        scores = scores * self.weights
        sections = {s for w in distinct for s in SECTION_WORDS.get(w, ())}
        if sections:
            asked = np.logical_or.reduce([self.section_masks[s] for s in sections])
            scores = scores * np.where(asked, SECTION_BOOST, 1.0)
        if context:
            scores = scores * self._bias(context)
        count = min(limit, len(self.entries))
        best = np.argpartition(-scores, count - 1)[:count]
        best = best[np.argsort(-scores[best], kind="stable")]
        hits = [Hit(self.entries[i], float(scores[i])) for i in best if scores[i] > 0]
        top_terms = self.term_sets[int(best[0])] if hits else frozenset()
        return Ranking(hits=hits, coverage=len(distinct & top_terms) / len(distinct),
                       known=len(set(query)) / len(distinct))

    def _bias(self, context: Mapping[str, str]) -> np.ndarray:
        """Lift the entries about the page the question was asked from: its guide and the FAQ citing it."""
        wanted = np.zeros(len(self.entries), dtype=bool)
        for kind, url_name in (("matter", "catalog:guide"), ("bundle", "bundles:guide")):
            key = str(context.get(kind) or "")
            if key:
                with contextlib.suppress(NoReverseMatch):
                    wanted |= self.urls == reverse(url_name, args=[key])
        policy = str(context.get("policy") or "")
        if policy:
            wanted |= (self.kinds == "policy") & (self.refs == policy)
        if context.get("case"):
            wanted |= self.case_topics
        return np.where(wanted, CONTEXT_BOOST, 1.0)


def _segment(entry: Entry) -> list[str]:
    head = segment.tokens(entry.title) + [t for k in entry.keywords for t in segment.tokens(k)]
    english = segment.tokens(f"{entry.title_en} {entry.text_en}") if entry.title_en or entry.text_en else []
    return head * 2 + segment.tokens(entry.text) + english


def _segmented(entries: list[Entry], terms: set[str]) -> list[list[str]]:
    """Segment every entry, reusing the copy cached in the data directory when nothing changed.

    Segmenting 2,000+ entries takes seconds on a busy machine; the cache is keyed by a digest of
    the entries, the dictionary terms and the segmentation settings, so any change re-segments.
    """
    digest = hashlib.sha256()
    for part in (segment.signature(), *sorted(terms)):
        digest.update(part.encode() + b"\0")
    for entry in entries:
        for part in (entry.key, entry.title, entry.text, entry.title_en, entry.text_en, *entry.keywords):
            digest.update(part.encode() + b"\0")
    path = Path(settings.DATA_DIR) / "cache" / f"assistant-{digest.hexdigest()[:24]}.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached, list) and len(cached) == len(entries):
            return [[str(t) for t in doc] for doc in cached]
    except (OSError, ValueError):
        pass
    corpus = [_segment(entry) for entry in entries]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(corpus, ensure_ascii=False), encoding="utf-8")
        partial.replace(path)
        for stale in path.parent.glob("assistant-*.json"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        logger.warning("could not cache the assistant's segmented corpus in %s", path.parent)
    return corpus


_lock = threading.Lock()
_index: Index | None = None
_version: tuple[object, ...] = ()
_policies_checked = 0.0
_policies: tuple[int, int] = (0, 0)


def _files_version() -> tuple[int, ...]:
    return tuple(os.stat(path).st_mtime_ns for path in knowledge.source_files())


def index() -> Index:
    """Return the process's index, building it on first use and again after its sources changed."""
    global _index, _version, _policies_checked, _policies
    now = time.monotonic()
    if now - _policies_checked > POLICY_CHECK_SECONDS or _index is None:
        _policies, _policies_checked = knowledge.policy_fingerprint(), now
    version = (*_files_version(), *_policies)
    if _index is not None and version == _version:
        return _index
    with _lock:
        if _index is None or version != _version:
            _index, _version = Index(knowledge.build()), version
        return _index


def warm() -> None:
    """Build the index in a background thread, so that the first question is answered at once."""
    threading.Thread(target=index, name="assistant-index", daemon=True).start()


def reset() -> None:
    """Forget the index (tests, and after loading new policies in the same process)."""
    global _index, _version, _policies_checked
    with _lock:
        _index, _version, _policies_checked = None, (), 0.0


def rank(question: str, *, context: Mapping[str, str] | None = None, limit: int = 5) -> Ranking:
    return index().rank(question, context=context, limit=limit)
