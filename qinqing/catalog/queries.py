"""Catalog reads: Chinese text search and guide data."""

from __future__ import annotations

import logging
from functools import lru_cache

import jieba
from django.db.models import QuerySet
from django.utils.translation import get_language

from qinqing.catalog.models import Matter

jieba.setLogLevel(logging.WARNING)


@lru_cache(maxsize=2048)
def _tokens(text: str) -> tuple[str, ...]:
    words = {w.strip().lower() for w in jieba.cut_for_search(text) if w.strip()}
    return tuple(sorted(words))


def base_matters() -> QuerySet[Matter]:
    return Matter.objects.online().select_related("board", "department")


def search_matters(q: str = "", board: str = "") -> list[Matter]:
    """Return online matters matching the query, best match first; all of them for an empty query."""
    matters = base_matters()
    if board:
        matters = matters.filter(board__code=board)
    query = q.strip().lower()
    if not query:
        return list(matters)
    terms = [t for t in _tokens(query) if len(t) > 1 or not t.isascii()] or [query]
    scored = []
    for matter in matters:
        haystack = f"{matter.name} {matter.name_en} {matter.department.name} {matter.code} {matter.licence_name}".lower()
        score = 0.0
        if query in haystack:
            score += 10
        score += sum(2 if len(t) > 1 else 0.5 for t in terms if t in haystack)
        if score >= 2 or (score > 0 and len(terms) == 1):
            scored.append((score, matter))
    scored.sort(key=lambda pair: (-pair[0], pair[1].board.order, pair[1].code))
    return [m for _, m in scored]


def public_conditions(m: Matter) -> list[dict[str, str]]:
    """The conditions of a matter's automatic decision, as published to applicants."""
    if not m.is_automatic or m.rule_set is None:
        return []
    version = m.rule_set.current_version()
    if version is None:
        return []
    english = (get_language() or "").startswith("en")
    return [{"key": c["key"], "label": (c.get("label_en") if english else "") or c["label"]} for c in version.conditions]
